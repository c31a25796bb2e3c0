"""Engagement: scores, triggers, proactive messages and their delivery outbox."""
