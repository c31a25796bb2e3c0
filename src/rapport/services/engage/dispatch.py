"""`Dispatcher`: one pass of speaking first. Due nudges and the messages of other producers
(session reminders) go into the outbox (once per user, trigger and period), queued nudges
whose trigger no longer holds are cancelled, then the outbox delivers what is due."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime

from pydantic import Field

from rapport.core.models import Schema
from rapport.core.store.audit import AuditLog
from rapport.core.store.outbox import OutboxEntry, OutboxMessage
from rapport.services.engage.nudges import Nudge, NudgePlanner
from rapport.services.engage.outbox import Outbox
from rapport.services.engage.outbox.service import DeliveryReport

Producer = Callable[[str, datetime], list[OutboxMessage]]
"""Messages another area wants sent at a moment (tenant, at), e.g. session reminders."""

PAGE = 500


class DispatchReport(Schema):
    """What one dispatch pass did for a tenant."""

    tenant: str
    """The tenant."""
    at: datetime
    """The moment the pass judged."""
    queued: list[OutboxEntry]
    """The outbox rows of the messages due this pass (a nudge already in the outbox for its
    period is not due again; the outbox keeps one per user, trigger and period)."""
    cancelled: list[str] = Field(default_factory=list)
    """Ids of queued nudges cancelled because their trigger no longer holds (the user came
    back, the milestone passed)."""
    delivery: DeliveryReport
    """What the outbox delivered."""


RECHECK = "recheck"
"""Payload flag of the nudges the planner queued: only those are re-judged before they go
out (a message a platform enqueued itself is sent as it is)."""


def nudge_message(nudge: Nudge) -> OutboxMessage:
    """The outbox message of a due nudge."""
    payload: dict[str, object] = {RECHECK: True}
    if nudge.item_id:
        payload["item_id"] = nudge.item_id
    return OutboxMessage(
        user_id=nudge.user_id,
        kind="nudge",
        trigger=nudge.trigger,
        period=nudge.period,
        channel=nudge.channel,
        priority=nudge.priority,
        subject=nudge.subject,
        body=nudge.message,
        payload=payload,
        send_at=nudge.send_at,
    )


class Dispatcher:
    def __init__(
        self,
        planner: NudgePlanner,
        outbox: Outbox,
        producers: Sequence[Producer] = (),
        audit: AuditLog | None = None,
        model: Callable[[], str] = lambda: "llm",
    ) -> None:
        self.planner = planner
        self.outbox = outbox
        self.producers = list(producers)
        self.audit = audit
        self.model = model

    def run(self, tenant: str, at: datetime, plan_nudges: bool = True) -> DispatchReport:
        """One pass; `plan_nudges` false skips judging every user's triggers (the delivery
        job does that less often than it delivers)."""
        nudges = self.planner.due(tenant, at).nudges if plan_nudges else []
        messages = [nudge_message(n) for n in nudges]
        for produce in self.producers:
            messages.extend(produce(tenant, at))
        for message in messages:
            # A channel this process cannot reach (a user's `preferred_channel` whose plug-in
            # is not loaded) must not hold everyone's batch: use the tenant's default.
            if message.channel is not None and self.outbox.channels.get(message.channel) is None:
                message.channel = None
        queued = self.outbox.enqueue(tenant, messages, at) if messages else []
        if self.audit is not None:  # what rapport decided to say to whom, and how it wrote it
            for nudge in nudges:
                self.audit.record(
                    tenant,
                    "nudge",
                    user_id=nudge.user_id,
                    model=self.model() if nudge.personalised else "template",
                    prompt=f"{nudge.trigger} {nudge.period}: {'; '.join(nudge.reasons)}",
                    output=nudge.message,
                )
        cancelled = [e.id for e in self._stale_nudges(tenant, at)]
        for message_id in cancelled:
            self.outbox.cancel(tenant, message_id, at)
        return DispatchReport(
            tenant=tenant,
            at=at,
            queued=queued,
            cancelled=cancelled,
            delivery=self.outbox.deliver_due(tenant, at),
        )

    def _stale_nudges(self, tenant: str, at: datetime) -> list[OutboxEntry]:
        """Pending nudges about to go out whose trigger no longer holds for their period."""
        waiting: dict[str, list[OutboxEntry]] = defaultdict(list)
        offset = 0
        while True:
            page = self.outbox.list(tenant, status="pending", limit=PAGE, offset=offset)
            for entry in page.items:
                if entry.kind == "nudge" and entry.send_at <= at and entry.payload.get(RECHECK):
                    waiting[entry.user_id].append(entry)
            offset += PAGE
            if offset >= page.total:
                break
        stale: list[OutboxEntry] = []
        for user_id, entries in waiting.items():
            triggers = sorted({e.trigger for e in entries})
            plan = self.planner.due(tenant, at, [user_id], only=triggers, check=True)
            holding = {(n.trigger, n.period) for n in plan.nudges}
            stale.extend(e for e in entries if (e.trigger, e.period) not in holding)
        return stale
