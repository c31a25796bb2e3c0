"""The in-process job scheduler: periodic checks that retrain when enough feedback arrived."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from rapport.engine import Engine

log = structlog.get_logger(__name__)


class RetrainJob:
    """Every `interval` seconds, retrain each tenant whose event count grew by at least
    `min_new_events` and `min_growth` (a share) since its current model was trained."""

    def __init__(
        self,
        engine: Engine,
        interval: float = 300.0,
        min_new_events: int = 500,
        min_growth: float = 0.1,
    ) -> None:
        self.engine = engine
        self.interval = interval
        self.min_new_events = min_new_events
        self.min_growth = min_growth
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rapport-retrain", daemon=True)

    def run_once(self) -> list[str]:
        """Finish interrupted embedding, then retrain every tenant that is due; returns the
        names of the tenants retrained."""
        finished = self.engine.finish_indexing()
        if finished:
            log.info("finished interrupted embedding", tenants=sorted(finished))
        done = self.engine.models.retrain_due(self.min_new_events, self.min_growth)
        if done:
            log.info("retrained", tenants=done)
        return done

    def run_forever(self) -> None:
        """Check now and then every `interval` seconds until `stop` is called."""
        while True:
            try:
                self.run_once()
            except Exception:  # a failed run must not kill the scheduler
                log.exception("retraining failed")
            if self._stop.wait(self.interval):
                return

    def _loop(self) -> None:
        if not self._stop.wait(self.interval):
            self.run_forever()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
