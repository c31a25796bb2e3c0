"""Engage: per-user engagement scores, the triggers that make a nudge due, their messages,
caps, quiet hours and delivery times (docs/engage.md)."""
