"""`OutboxStore`: messages waiting to be delivered (nudges, reminders), on the `Store`'s
database.

One row per user, trigger and period (`uq_outbox_once`): enqueueing the same message again
returns the stored row, also when two processes enqueue it at the same moment (the insert
does nothing on conflict, atomically on SQLite and PostgreSQL). Delivery claims a due row
by a compare-and-set update, so two workers never send the same message twice.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlalchemy import select, tuple_, update

from rapport.core.errors import Conflict
from rapport.core.models import Id, JsonObject, Page, Schema, Strict, Timestamp
from rapport.core.store.paging import one_of, page_of
from rapport.core.store.repository import Store
from rapport.core.store.schema import outbox, user_contexts, users

OutboxStatus = Literal["pending", "sent", "failed", "cancelled"]
MessageKind = Literal["nudge", "reminder"]
ERROR_CHARS = 2000
"""Characters of a delivery error kept on the row."""


class OutboxMessage(Strict):
    """A message to deliver: what producers (nudges, session reminders) enqueue.

    `payload` is free JSON passed to the channel; keys the outbox itself reads: `url` (the
    link a click leads to, http or https), `to` (the email address for the `email`
    channel, else the user's context `email`) and `item_id` (what the message is about,
    kept with the feedback events)."""

    user_id: Id
    """Who receives it."""
    kind: MessageKind = "nudge"
    """`nudge` (a proactive message) or `reminder` (of a scheduled session)."""
    trigger: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_.:-]+$")
    """What caused it (`inactivity`, `milestone`, `session_reminder`...)."""
    period: str = Field(min_length=1, max_length=64)
    """The period it belongs to (`2026-11-22`, `2026-W47`, a session id): one message per
    user, trigger and period."""
    channel: str | None = Field(default=None, max_length=16)
    """`webhook`, `email` or another registered channel; default: the tenant's
    `default_channel`."""
    priority: int = Field(default=0, ge=-1000, le=1000)
    """Higher is delivered first among messages due at the same time."""
    subject: str = Field(default="", max_length=500)
    """A short title (the email subject)."""
    body: str = Field(default="", max_length=20_000)
    """The text."""
    payload: JsonObject = Field(default_factory=dict)
    """Anything else the channel passes on (see above for `url`, `to`, `item_id`)."""
    send_at: Timestamp | None = None
    """When to deliver it, not before; default: when it is enqueued."""

    @field_validator("payload")
    @classmethod
    def _link_is_web(cls, value: dict[str, Any]) -> dict[str, Any]:
        url = value.get("url")
        if url is not None and (
            not isinstance(url, str) or not url.lower().startswith(("http://", "https://"))
        ):
            raise ValueError("payload.url must be an http or https address")
        return value


class OutboxEntry(Schema):
    """A message in the outbox and where its delivery stands."""

    id: str
    """Unique per tenant; the click link names it."""
    tenant: str
    """The tenant it belongs to."""
    user_id: str
    """Who receives it."""
    kind: str
    """`nudge` or `reminder`."""
    trigger: str
    """What caused it."""
    period: str
    """The period it belongs to (one message per user, trigger and period)."""
    channel: str
    """How it is delivered."""
    priority: int
    """Higher first."""
    subject: str
    """The title."""
    body: str
    """The text."""
    payload: dict[str, Any]
    """What the channel passes on."""
    status: OutboxStatus
    """`pending`, `sent`, `failed` (gave up, see `last_error`) or `cancelled`."""
    attempts: int
    """Delivery attempts so far."""
    send_at: datetime
    """Not delivered before this time."""
    next_attempt_at: datetime
    """When the next attempt is due (while pending)."""
    sent_at: datetime | None
    """When it was delivered."""
    last_error: str
    """Why the last attempt failed (personal data redacted); empty after success."""
    created_at: datetime
    """When it was enqueued."""
    updated_at: datetime
    """When its row last changed."""


class OutboxStore:
    """The outbox of each tenant. Each write is one transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def enqueue(
        self, tenant: str, messages: Sequence[OutboxMessage], channels: Sequence[str], at: datetime
    ) -> builtins.list[OutboxEntry]:
        """Insert the messages not stored yet (by user, trigger and period) and return the
        stored row of each message, in the given order. `channels[i]` is the resolved
        channel of `messages[i]`."""
        if not messages:
            return []
        rows = [
            {
                "tenant_id": tenant,
                "id": "msg_" + uuid.uuid4().hex,
                "user_id": message.user_id,
                "kind": message.kind,
                "trigger": message.trigger,
                "period": message.period,
                "channel": channel,
                "priority": message.priority,
                "subject": message.subject,
                "body": message.body,
                "payload": message.payload,
                "status": "pending",
                "attempts": 0,
                "send_at": message.send_at or at,
                "next_attempt_at": message.send_at or at,
                "sent_at": None,
                "last_error": "",
                "created_at": at,
                "updated_at": at,
            }
            for message, channel in zip(messages, channels, strict=True)
        ]
        keys = [(m.user_id, m.trigger, m.period) for m in messages]
        statement = self.store._insert(outbox).on_conflict_do_nothing(
            index_elements=["tenant_id", "user_id", "trigger", "period"]
        )
        with self.engine.begin() as conn:
            self.store._ensure_tenant(conn, tenant)
            for row in rows:  # one statement per row: a repeated key in the batch is skipped
                conn.execute(statement, row)
            found = conn.execute(
                select(outbox).where(
                    outbox.c.tenant_id == tenant,
                    tuple_(outbox.c.user_id, outbox.c.trigger, outbox.c.period).in_(
                        list(set(keys))
                    ),
                )
            ).mappings()
            by_key = {(r["user_id"], r["trigger"], r["period"]): _entry(dict(r)) for r in found}
        return [by_key[key] for key in keys]

    def get(self, tenant: str, message_id: str) -> OutboxEntry:
        where = [outbox.c.tenant_id == tenant, outbox.c.id == message_id]
        return one_of(self.engine, outbox, where, _entry, "outbox message", message_id)

    def find(self, tenant: str, user_id: str, trigger: str, period: str) -> OutboxEntry | None:
        """The message of this user, trigger and period, if one was enqueued."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(outbox).where(
                        outbox.c.tenant_id == tenant,
                        outbox.c.user_id == user_id,
                        outbox.c.trigger == trigger,
                        outbox.c.period == period,
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else _entry(dict(row))

    def list(
        self,
        tenant: str,
        *,
        status: OutboxStatus | None = None,
        user_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[OutboxEntry]:
        """Newest first."""
        where = [outbox.c.tenant_id == tenant]
        if status is not None:
            where.append(outbox.c.status == status)
        if user_id is not None:
            where.append(outbox.c.user_id == user_id)
        order = [outbox.c.created_at.desc(), outbox.c.id]
        return page_of(self.engine, outbox, where, order, limit, offset, _entry)

    def claim_due(
        self, tenant: str, at: datetime, limit: int, lease: timedelta
    ) -> builtins.list[OutboxEntry]:
        """Pending messages due at `at`, highest priority first, each claimed for one
        attempt: its attempts counted and its next attempt moved to `at + lease`, so a
        crashed sender's message comes back after the lease and a second worker skips it."""
        due = [
            outbox.c.tenant_id == tenant,
            outbox.c.status == "pending",
            outbox.c.next_attempt_at <= at,
        ]
        with self.engine.connect() as conn:
            candidates = conn.execute(
                select(outbox.c.id, outbox.c.next_attempt_at)
                .where(*due)
                .order_by(outbox.c.priority.desc(), outbox.c.next_attempt_at, outbox.c.id)
                .limit(limit)
            ).all()
        claimed: builtins.list[str] = []
        for message_id, seen in candidates:
            with self.engine.begin() as conn:
                won = conn.execute(
                    update(outbox)
                    .where(*due, outbox.c.id == message_id, outbox.c.next_attempt_at == seen)
                    .values(
                        attempts=outbox.c.attempts + 1,
                        next_attempt_at=at + lease,
                        updated_at=at,
                    )
                ).rowcount
            if won == 1:
                claimed.append(message_id)
        return [self.get(tenant, message_id) for message_id in claimed]

    def record_attempt(
        self,
        tenant: str,
        message_id: str,
        at: datetime,
        *,
        status: OutboxStatus,
        error: str = "",
        next_attempt_at: datetime | None = None,
    ) -> OutboxEntry:
        """The outcome of a claimed attempt: `sent`, `failed` for good, or `pending` again
        with the time of the next attempt. A failure does not overwrite a message cancelled
        while it was being attempted (a success does: it was delivered)."""
        values: dict[str, Any] = {"status": status, "last_error": error[:ERROR_CHARS]}
        values["updated_at"] = at
        where = [outbox.c.tenant_id == tenant, outbox.c.id == message_id]
        if status == "sent":
            values["sent_at"] = at
        else:
            where.append(outbox.c.status == "pending")
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(*where).values(**values))
        return self.get(tenant, message_id)

    def cancel(self, tenant: str, message_id: str, at: datetime) -> OutboxEntry:
        """Pending messages only; cancelling twice is harmless."""
        current = self.get(tenant, message_id)
        if current.status == "cancelled":
            return current
        if not self._change(tenant, message_id, "pending", {"status": "cancelled"}, at):
            raise Conflict(
                f"outbox message '{message_id}' is {self.get(tenant, message_id).status}; "
                "only pending messages can be cancelled"
            )
        return self.get(tenant, message_id)

    def retry(self, tenant: str, message_id: str, at: datetime) -> OutboxEntry:
        """A failed or cancelled message (or a pending one) becomes due at `at` with its
        attempts counted from zero; sent messages stay sent."""
        current = self.get(tenant, message_id)
        if current.status == "sent":
            raise Conflict(f"outbox message '{message_id}' was already sent")
        values = {"status": "pending", "attempts": 0, "next_attempt_at": at, "last_error": ""}
        if not self._change(tenant, message_id, current.status, values, at):
            raise Conflict(f"outbox message '{message_id}' changed meanwhile; try again")
        return self.get(tenant, message_id)

    def _change(
        self, tenant: str, message_id: str, expected: str, values: dict[str, Any], at: datetime
    ) -> bool:
        """Update only if the status is still `expected` (a sender may have claimed it)."""
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(outbox)
                .where(
                    outbox.c.tenant_id == tenant,
                    outbox.c.id == message_id,
                    outbox.c.status == expected,
                )
                .values(**values, updated_at=at)
            ).rowcount
        return changed == 1

    def known_users(self, tenant: str, user_ids: Sequence[str]) -> set[str]:
        """Which of these users exist."""
        found: set[str] = set()
        ids = list(dict.fromkeys(user_ids))
        with self.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                found.update(
                    conn.scalars(
                        select(users.c.id).where(users.c.tenant_id == tenant, users.c.id.in_(part))
                    )
                )
        return found

    def contact(self, tenant: str, user_id: str) -> dict[str, Any]:
        """The user's context as the platform last sent it (`user_contexts.context`): where
        the email channel finds the `email` address when the message names none."""
        with self.engine.connect() as conn:
            found = conn.scalar(
                select(user_contexts.c.context).where(
                    user_contexts.c.tenant_id == tenant, user_contexts.c.user_id == user_id
                )
            )
        return dict(found) if isinstance(found, Mapping) else {}


def _entry(row: Mapping[str, Any]) -> OutboxEntry:
    return OutboxEntry.model_validate({**row, "tenant": row["tenant_id"]})
