"""The `log` channel: each message written to the server's structured log instead of being
sent (development and the demo, where no receiver is set up). Logs pass through the PII
redaction of `core/pii.py` like every other log line."""

from __future__ import annotations

import structlog

from rapport.services.engage.outbox.channels import Delivery


class LogChannel:
    name = "log"

    def send(self, delivery: Delivery, timeout: float) -> None:
        entry = delivery.entry
        # Looked up per message: the configuration in force now decides where it goes.
        structlog.get_logger(__name__).info(
            "outbox message",
            id=entry.id,
            tenant=delivery.tenant,
            user_id=entry.user_id,
            kind=entry.kind,
            trigger=entry.trigger,
            subject=entry.subject,
            body=entry.body,
            link=delivery.url,
        )
