"""The delivery job: every `interval` seconds, queue each tenant's due nudges and session
reminders in the outbox and deliver what is due; failed ones come back when their backoff
has passed."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import structlog

from rapport.interfaces.jobs.periodic import PeriodicJob

if TYPE_CHECKING:
    from rapport.engine import Engine

log = structlog.get_logger(__name__)


class DeliverOutboxJob(PeriodicJob):
    name = "deliver-outbox"

    def __init__(
        self, engine: Engine, interval: float = 30.0, plan_interval: float = 600.0
    ) -> None:
        super().__init__(interval)
        self.engine = engine
        # Judging every user's triggers reads every history: not on each 30 s delivery pass.
        self.plan_interval = plan_interval
        self._planned_at = -math.inf

    def run_once(self) -> dict[str, int]:
        """Queue and deliver what is due in every tenant (nudges planned every
        `plan_interval` seconds, reminders every pass); returns messages sent per tenant."""
        now = time.monotonic()
        plan = now - self._planned_at >= self.plan_interval
        if plan:
            self._planned_at = now
        sent: dict[str, int] = {}
        for tenant in self.engine.tenants():
            report = self.engine.engage.dispatch(tenant=tenant, plan_nudges=plan).delivery
            if report.claimed:
                sent[tenant] = report.sent
        return sent
