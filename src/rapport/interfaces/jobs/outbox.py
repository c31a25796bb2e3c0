"""The delivery job: every `interval` seconds, deliver each tenant's due outbox messages
(nudges, reminders); failed ones come back when their backoff has passed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from rapport.interfaces.jobs.periodic import PeriodicJob

if TYPE_CHECKING:
    from rapport.engine import Engine

log = structlog.get_logger(__name__)


class DeliverOutboxJob(PeriodicJob):
    name = "deliver-outbox"

    def __init__(self, engine: Engine, interval: float = 30.0) -> None:
        super().__init__(interval)
        self.engine = engine

    def run_once(self) -> dict[str, int]:
        """Deliver what is due in every tenant; returns messages sent per tenant."""
        sent: dict[str, int] = {}
        for tenant in self.engine.tenants():
            report = self.engine.outbox.deliver(tenant=tenant)
            if report.claimed:
                sent[tenant] = report.sent
        return sent
