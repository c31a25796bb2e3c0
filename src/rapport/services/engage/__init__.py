"""Engagement: abandonment risk and other per-user scores, triggers and messages."""
