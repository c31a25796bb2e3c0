"""Engage: per-user scores, the triggers that make a nudge due, their messages, caps,
quiet hours and delivery times, and the delivery outbox (docs/engage.md)."""
