"""`PeriodicJob`: a background thread that runs one pass every `interval` seconds until
stopped; a failed pass is logged and the next one runs as planned."""

from __future__ import annotations

import threading
from typing import Any

import structlog

log = structlog.get_logger(__name__)


class PeriodicJob:
    name = "job"
    """Thread name suffix and what a failed pass is logged as."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"rapport-{self.name}", daemon=True)

    def run_once(self) -> Any:
        raise NotImplementedError

    def run_forever(self) -> None:
        """Run now and then every `interval` seconds until `stop` is called."""
        while True:
            self._safely()
            if self._stop.wait(self.interval):
                return

    def _safely(self) -> None:
        try:
            self.run_once()
        except Exception:  # a failed pass must not end the job
            log.exception(f"{self.name} failed")

    def _loop(self) -> None:
        if not self._stop.wait(self.interval):
            self.run_forever()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
