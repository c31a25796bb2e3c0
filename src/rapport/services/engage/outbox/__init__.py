"""The delivery outbox: messages enqueued once per user, trigger and period, delivered
through channels (signed webhooks, SMTP email, more by registration), retried with
backoff, with outcomes and clicks fed back as events."""

from rapport.core.store.outbox import OutboxEntry, OutboxMessage, OutboxStatus
from rapport.services.engage.outbox.channels import (
    Channel,
    ChannelError,
    ChannelRegistry,
    Delivery,
    NotConfigured,
)
from rapport.services.engage.outbox.config import ChannelSettings, OutboxConfig
from rapport.services.engage.outbox.service import Click, DeliveryReport, Outbox

__all__ = [
    "Channel",
    "ChannelError",
    "ChannelRegistry",
    "ChannelSettings",
    "Click",
    "Delivery",
    "DeliveryReport",
    "NotConfigured",
    "Outbox",
    "OutboxConfig",
    "OutboxEntry",
    "OutboxMessage",
    "OutboxStatus",
]
