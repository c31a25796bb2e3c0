"""`engine.outbox`: messages waiting for delivery (nudges, session reminders), their
delivery, and the clicks on their links."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any

from rapport.core.models import Page
from rapport.core.store.outbox import OutboxEntry, OutboxMessage, OutboxStatus
from rapport.engine.moments import When, moment
from rapport.engine.services import Services
from rapport.services.engage.outbox.service import Click, DeliveryReport


class OutboxArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def enqueue(
        self,
        messages: Iterable[OutboxMessage | dict[str, Any]],
        *,
        at: When = None,
        tenant: str | None = None,
    ) -> builtins.list[OutboxEntry]:
        """Store each message once per user, trigger and period; returns each message's
        row, the existing one when it was enqueued before. One bad message rejects all."""
        return self._s.outbox.enqueue(self._s.tenant(tenant), messages, moment(at))

    def deliver(self, *, at: When = None, tenant: str | None = None) -> DeliveryReport:
        """Deliver the messages due at `at` (default now); failures are retried later."""
        return self._s.outbox.deliver_due(self._s.tenant(tenant), moment(at))

    def list(
        self,
        *,
        status: OutboxStatus | None = None,
        user_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
        tenant: str | None = None,
    ) -> Page[OutboxEntry]:
        """Messages, newest first, optionally of one status or user."""
        return self._s.outbox.list(
            self._s.tenant(tenant), status=status, user_id=user_id, limit=limit, offset=offset
        )

    def get(self, message_id: str, *, tenant: str | None = None) -> OutboxEntry:
        return self._s.outbox.get(self._s.tenant(tenant), message_id)

    def cancel(self, message_id: str, *, at: When = None, tenant: str | None = None) -> OutboxEntry:
        """A pending message will not be delivered (409 once sent or failed)."""
        return self._s.outbox.cancel(self._s.tenant(tenant), message_id, moment(at))

    def retry(self, message_id: str, *, at: When = None, tenant: str | None = None) -> OutboxEntry:
        """A failed or cancelled message is due again at `at` with fresh attempts (409
        once sent)."""
        return self._s.outbox.retry(self._s.tenant(tenant), message_id, moment(at))

    def click(self, message_id: str, *, at: When = None, tenant: str | None = None) -> Click:
        """Record a click on the message's link (once per message) and return the `url`
        stored with it: the only place a click leads to."""
        return self._s.outbox.click(self._s.tenant(tenant), message_id, moment(at))
