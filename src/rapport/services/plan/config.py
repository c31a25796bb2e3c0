"""The `[schedule]` settings section."""

from __future__ import annotations

from rapport.core.components import ComponentConfig


class ScheduleConfig(ComponentConfig):
    """Scheduling settings (the `[schedule]` section)."""

    calendar_private_urls: bool = False
    """Let calendar imports fetch URLs on loopback, private or link-local addresses. Off by
    default: any caller could otherwise make the server read internal addresses (cloud
    metadata, admin pages)."""
