"""The experiment guard job: applies every running experiment's stop rule regularly, so a
clearly worse variant stops without anyone looking at the report."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from rapport.interfaces.jobs.periodic import PeriodicJob

if TYPE_CHECKING:
    from rapport.engine import Engine

log = structlog.get_logger(__name__)


class ExperimentGuardJob(PeriodicJob):
    """Every `interval` seconds, `check` the running experiments of each tenant."""

    name = "experiment-guard"

    def __init__(self, engine: Engine, interval: float = 900.0) -> None:
        super().__init__(interval)
        self.engine = engine

    def run_once(self) -> dict[str, list[str]]:
        """Returns the experiments stopped per tenant."""
        stopped: dict[str, list[str]] = {}
        for tenant in self.engine.tenants():
            names = self.engine.experiments.check_all(tenant=tenant)
            if names:
                stopped[tenant] = names
        if stopped:
            log.warning("experiments stopped by their guard", stopped=stopped)
        return stopped
