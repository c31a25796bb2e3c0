"""Replayed timelines for the engage tests: users, items and events at fixed times."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from rapport.core.store.schema import outbox
from rapport.engine import Engine

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
"""The reference moment every timeline is placed around."""
H = timedelta(hours=1)
DAY = timedelta(days=1)


def user(engine: Engine, user_id: str, **fields: Any) -> None:
    record: dict[str, Any] = {
        "id": user_id,
        "created_at": (T0 - timedelta(days=30)).isoformat(),
        "profile": {"interests": ["photography"]},
    }
    record.update(fields)
    engine.users.add([record])


def event(engine: Engine, user_id: str, kind: str, at: datetime, item: str | None = None) -> None:
    engine.events.add([{"user_id": user_id, "type": kind, "timestamp": at.isoformat(),
                        "item_id": item}])  # fmt: skip


def triggers(engine: Engine, at: datetime, user_id: str | None = None) -> dict[str, Any]:
    """The nudges due at `at`, by trigger (one user's, when given)."""
    return {n.trigger: n for n in engine.engage.nudges(at, user_id)}


def queue(
    engine: Engine,
    user_id: str,
    trigger: str,
    period: str,
    send_at: datetime,
    status: str = "pending",
) -> None:
    """An outbox row as the outbox writes it (the engage part only reads that table)."""
    store = engine._services.store
    row = {
        "tenant_id": engine.tenant(),
        "id": uuid.uuid4().hex,
        "user_id": user_id,
        "kind": "nudge",
        "trigger": trigger,
        "period": period,
        "channel": "webhook",
        "priority": 0,
        "subject": "",
        "body": "",
        "payload": {},
        "status": status,
        "attempts": 0,
        "send_at": send_at,
        "next_attempt_at": send_at,
        "sent_at": None,
        "last_error": "",
        "created_at": send_at,
        "updated_at": send_at,
    }
    with store.engine.begin() as conn:
        conn.execute(outbox.insert().values(**row))
