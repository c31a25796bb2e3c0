"""The post-tagging job: imported items of kind `post` without tags get tags in the
background, so imports stay as fast as before and the ingest path is unchanged."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from rapport.engine import Engine

log = structlog.get_logger(__name__)


class TagPostsJob:
    """Every `interval` seconds, tag up to `batch` untagged posts of each tenant."""

    def __init__(self, engine: Engine, interval: float = 60.0, batch: int = 1000) -> None:
        self.engine = engine
        self.interval = interval
        self.batch = batch
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rapport-tag-posts", daemon=True)

    def run_once(self) -> dict[str, int]:
        """Tag each tenant's pending posts; returns how many were tagged per tenant."""
        done: dict[str, int] = {}
        for tenant in self.engine.tenants():
            tagged = self.engine.generate.tag_posts(tenant=tenant, limit=self.batch).tagged
            if tagged:
                done[tenant] = tagged
        if done:
            log.info("posts tagged", tenants=done)
        return done

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:  # a failed pass must not end the job
                log.exception("post tagging failed")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
