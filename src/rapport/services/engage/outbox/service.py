"""`Outbox`: enqueue messages once, deliver them when due through their channel, retry
failures with exponential backoff, and feed outcomes and clicks back as events.

Feedback events (`nudge_sent`, `nudge_failed`, `nudge_click`) have ids derived from the
message id, so recording one twice stores it once. They name no item (the message's
`item_id` is kept in their context): they say what rapport did, not what the user likes,
and carry no signal weight for training (see `core/signals.py`).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import structlog

from rapport.core.errors import FieldError, InvalidInput, NotFound, validated
from rapport.core.models import Event, Page, Schema, utcnow
from rapport.core.pii import redact
from rapport.core.store.outbox import (
    OutboxEntry,
    OutboxMessage,
    OutboxStatus,
    OutboxStore,
)
from rapport.services.engage.outbox.channels import (
    ChannelError,
    ChannelRegistry,
    Delivery,
    NotConfigured,
)
from rapport.services.engage.outbox.config import OutboxConfig

log = structlog.get_logger(__name__)

SENT, FAILED, CLICK = "nudge_sent", "nudge_failed", "nudge_click"
RecordEvents = Callable[[str, list[Event]], int]


class DeliveryReport(Schema):
    """What one delivery pass did."""

    tenant: str
    """The tenant delivered for."""
    at: datetime
    """The time the pass acted at (due means `next_attempt_at <= at`)."""
    claimed: int
    """Messages that were due and attempted."""
    sent: int
    """Delivered."""
    retrying: int
    """Failed this time, pending again for a later attempt."""
    failed: int
    """Failed for good (attempts used up, a final refusal or a channel not configured)."""
    entries: list[OutboxEntry]
    """Each attempted message as it stands after the attempt."""


class Click(Schema):
    """A recorded click on a message's link."""

    id: str
    """The message."""
    url: str
    """Where the click leads: the `url` stored with the message, never anything else."""
    recorded: bool
    """Whether this was the message's first click (later ones are not recorded again)."""


class Outbox:
    """The delivery outbox of every tenant."""

    def __init__(
        self,
        store: OutboxStore,
        config: OutboxConfig,
        channels: ChannelRegistry,
        record_events: RecordEvents,
    ) -> None:
        self.store = store
        self.config = config
        self.channels = channels
        self.record_events = record_events

    # -- enqueue ---------------------------------------------------------------------------

    def enqueue(
        self,
        tenant: str,
        messages: Iterable[OutboxMessage | dict[str, Any]],
        at: datetime | None = None,
    ) -> builtins.list[OutboxEntry]:
        """Store each message once per user, trigger and period and return its row
        (the existing one when it was enqueued before). One bad message rejects the
        batch: nothing is stored."""
        at = at or utcnow()
        checked, problems = validated(OutboxMessage, messages, "message", whole="(message)")
        if problems:
            raise InvalidInput(problems)
        default = self.config.for_tenant(tenant).default_channel or "webhook"
        channels = [message.channel or default for message in checked]
        for number, channel in enumerate(channels, 1):
            if self.channels.get(channel) is None:
                problems.append(
                    FieldError(
                        record=f"message {number}",
                        field="channel",
                        message=f"unknown channel '{channel}'; one of {self.channels.names}",
                    )
                )
        users = list(dict.fromkeys(message.user_id for message in checked))
        known = self.store.known_users(tenant, users)
        for number, message in enumerate(checked, 1):
            if message.user_id not in known:
                problems.append(
                    FieldError(
                        record=f"message {number}",
                        field="user_id",
                        message=f"unknown user '{message.user_id}'",
                    )
                )
        if problems:
            raise InvalidInput(problems)
        return self.store.enqueue(tenant, checked, channels, at)

    # -- deliver ---------------------------------------------------------------------------

    def deliver_due(self, tenant: str, at: datetime | None = None) -> DeliveryReport:
        """Attempt every pending message due at `at` (up to `batch`), highest priority
        first: sent ones are marked sent, failed ones retried later with backoff, or
        marked failed after `max_attempts` or a final refusal."""
        at = at or utcnow()
        settings = self.config.for_tenant(tenant)
        lease = timedelta(seconds=self.config.lease_seconds)
        claimed = self.store.claim_due(tenant, at, self.config.batch, lease)
        entries: builtins.list[OutboxEntry] = []
        for entry in claimed:
            delivery = Delivery(
                tenant=tenant,
                entry=entry,
                settings=settings,
                link=self.link(tenant, entry),
                contact=self.store.contact(tenant, entry.user_id),
            )
            try:
                done = self._attempt(delivery, at)
            except NotFound:  # erased meanwhile (delete-my-data): nothing to record
                continue
            entries.append(done)
            if done.status in ("sent", "failed"):  # recorded at once: a crash loses none
                self.record_events(
                    tenant, [_feedback(done, SENT if done.status == "sent" else FAILED, at)]
                )
        count = {s: sum(e.status == s for e in entries) for s in ("sent", "failed", "pending")}
        report = DeliveryReport(
            tenant=tenant,
            at=at,
            claimed=len(entries),
            sent=count["sent"],
            retrying=count["pending"],
            failed=count["failed"],
            entries=entries,
        )
        if entries:
            log.info(
                "outbox delivered",
                tenant=tenant,
                sent=report.sent,
                retrying=report.retrying,
                failed=report.failed,
            )
        return report

    def _attempt(self, delivery: Delivery, at: datetime) -> OutboxEntry:
        entry = delivery.entry
        channel = self.channels.get(entry.channel)
        try:
            if channel is None:
                raise NotConfigured(
                    f"no channel named '{entry.channel}' (registered: {self.channels.names})"
                )
            channel.send(delivery, self.config.timeout_seconds)
        except Exception as exc:  # a channel's bug fails the message, never the pass
            permanent = isinstance(exc, ChannelError) and exc.permanent
            if not isinstance(exc, ChannelError):
                log.exception("outbox channel error", channel=entry.channel, id=entry.id)
            error = redact(str(exc) or type(exc).__name__)
            if permanent or entry.attempts >= self.config.max_attempts:
                log.warning("outbox gave up", id=entry.id, channel=entry.channel, error=error)
                return self.store.record_attempt(
                    delivery.tenant, entry.id, at, status="failed", error=error
                )
            retry_at = at + timedelta(seconds=self.config.delay(entry.attempts))
            return self.store.record_attempt(
                delivery.tenant,
                entry.id,
                at,
                status="pending",
                error=error,
                next_attempt_at=retry_at,
            )
        return self.store.record_attempt(delivery.tenant, entry.id, at, status="sent")

    def link(self, tenant: str, entry: OutboxEntry) -> str | None:
        """The tracking link of a message with a `url`, when `public_url` is configured."""
        base = self.config.for_tenant(tenant).public_url
        if not base or not isinstance(entry.payload.get("url"), str):
            return None
        return f"{base.rstrip('/')}/outbox/{quote(entry.id)}/click?tenant={quote(tenant)}"

    # -- read and change -------------------------------------------------------------------

    def list(
        self,
        tenant: str,
        *,
        status: OutboxStatus | None = None,
        user_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[OutboxEntry]:
        return self.store.list(tenant, status=status, user_id=user_id, limit=limit, offset=offset)

    def get(self, tenant: str, message_id: str) -> OutboxEntry:
        return self.store.get(tenant, message_id)

    def find(self, tenant: str, user_id: str, trigger: str, period: str) -> OutboxEntry | None:
        """The message of this user, trigger and period, if one was enqueued (a session's
        reminder, to cancel it when the session moves)."""
        return self.store.find(tenant, user_id, trigger, period)

    def cancel(self, tenant: str, message_id: str, at: datetime | None = None) -> OutboxEntry:
        """A pending message is not delivered (Conflict once sent or failed)."""
        return self.store.cancel(tenant, message_id, at or utcnow())

    def retry(self, tenant: str, message_id: str, at: datetime | None = None) -> OutboxEntry:
        """A failed or cancelled message is due again at `at`, with a fresh count of
        attempts (Conflict once sent)."""
        return self.store.retry(tenant, message_id, at or utcnow())

    def click(self, tenant: str, message_id: str, at: datetime | None = None) -> Click:
        """Record the message's click (once) and return the link it leads to: only the
        `url` stored with the message."""
        entry = self.store.get(tenant, message_id)
        url = entry.payload.get("url")
        if not isinstance(url, str):
            raise NotFound("outbox link", message_id)
        written = self.record_events(tenant, [_feedback(entry, CLICK, at or utcnow())])
        return Click(id=entry.id, url=url, recorded=written == 1)


def _feedback(entry: OutboxEntry, kind: str, at: datetime) -> Event:
    context: dict[str, Any] = {
        "outbox_id": entry.id,
        "kind": entry.kind,
        "trigger": entry.trigger,
        "period": entry.period,
        "channel": entry.channel,
        "attempts": entry.attempts,
    }
    item = entry.payload.get("item_id")
    if isinstance(item, str):
        context["item_id"] = item
    if kind == FAILED:
        context["error"] = entry.last_error[:500]
    return Event(
        id=f"{kind}:{entry.id}", user_id=entry.user_id, type=kind, timestamp=at, context=context
    )
