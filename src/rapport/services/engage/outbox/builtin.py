"""The channels every engine starts with."""

from __future__ import annotations

from rapport.services.engage.outbox.channels import ChannelRegistry
from rapport.services.engage.outbox.log import LogChannel
from rapport.services.engage.outbox.smtp import EmailChannel
from rapport.services.engage.outbox.webhook import WebhookChannel


def default_channels() -> ChannelRegistry:
    """`webhook`, `email` and `log`; a Discord DM channel registers itself on the result."""
    return ChannelRegistry([WebhookChannel(), EmailChannel(), LogChannel()])
