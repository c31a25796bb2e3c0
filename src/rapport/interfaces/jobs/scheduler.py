"""The in-process job scheduler: periodic checks that retrain when enough feedback arrived."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from rapport.interfaces.jobs.periodic import PeriodicJob

if TYPE_CHECKING:
    from rapport.engine import Engine

log = structlog.get_logger(__name__)


class RetrainJob(PeriodicJob):
    """Every `interval` seconds, retrain each tenant whose event count grew by at least
    `min_new_events` and `min_growth` (a share) since its newest model version was trained
    (serving, or a candidate the model gate kept back), and its abandonment model with it
    (when its history is long enough)."""

    name = "retrain"

    def __init__(
        self,
        engine: Engine,
        interval: float = 300.0,
        min_new_events: int = 500,
        min_growth: float = 0.1,
    ) -> None:
        super().__init__(interval)
        self.engine = engine
        self.min_new_events = min_new_events
        self.min_growth = min_growth

    def run_once(self) -> list[str]:
        """Finish interrupted embedding, then retrain every tenant that is due; returns the
        names of the tenants retrained."""
        finished = self.engine.finish_indexing()
        if finished:
            log.info("finished interrupted embedding", tenants=sorted(finished))
        done = self.engine.models.retrain_due(self.min_new_events, self.min_growth)
        if done:
            log.info("retrained", tenants=done)
            # Abandonment risk learns from the same new history; it takes seconds.
            churned = self.engine.churn.retrain(done)
            log.info("retrained abandonment risk", tenants=churned)
        return done
