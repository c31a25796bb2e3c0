"""Safety and trust: crisis screening and escalation, moderation, injection and PII
defences."""
