"""`NudgeHistory`: what the outbox already holds for users, read-only, for frequency caps
and "one nudge per user, trigger and period". The outbox itself is written elsewhere."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from rapport.core.store.repository import Store, _chunks
from rapport.core.store.schema import outbox

COUNTED = ("pending", "sent")
"""Statuses that use up a cap: queued or delivered (failed and cancelled ones reached no one)."""


class NudgeHistory:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def send_times(
        self, tenant: str, user_ids: Sequence[str], since: datetime, until: datetime
    ) -> dict[str, list[datetime]]:
        """When each user's queued or sent nudges go out (or went out), `since <= t < until`."""
        found: dict[str, list[datetime]] = defaultdict(list)
        with self.engine.connect() as conn:
            for part in _chunks(list(user_ids)):
                rows = conn.execute(
                    select(outbox.c.user_id, outbox.c.send_at, outbox.c.sent_at).where(
                        outbox.c.tenant_id == tenant,
                        outbox.c.kind == "nudge",
                        outbox.c.user_id.in_(part),
                        outbox.c.status.in_(COUNTED),
                        outbox.c.send_at >= since,
                        outbox.c.send_at < until,
                    )
                )
                for row in rows:
                    found[row.user_id].append(row.sent_at or row.send_at)
        return found

    def periods(self, tenant: str, user_ids: Sequence[str]) -> set[tuple[str, str, str]]:
        """`(user, trigger, period)` of every nudge recorded for these users, whatever its
        status: a period gets one nudge, also when that one was cancelled."""
        found: set[tuple[str, str, str]] = set()
        with self.engine.connect() as conn:
            for part in _chunks(list(user_ids)):
                rows = conn.execute(
                    select(outbox.c.user_id, outbox.c.trigger, outbox.c.period).where(
                        outbox.c.tenant_id == tenant,
                        outbox.c.kind == "nudge",
                        outbox.c.user_id.in_(part),
                    )
                )
                found.update((row.user_id, row.trigger, row.period) for row in rows)
        return found
