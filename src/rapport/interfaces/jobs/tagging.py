"""The post-tagging job: imported items of kind `post` without tags get tags in the
background, so imports stay as fast as before and the ingest path is unchanged."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from rapport.interfaces.jobs.periodic import PeriodicJob

if TYPE_CHECKING:
    from rapport.engine import Engine

log = structlog.get_logger(__name__)


class TagPostsJob(PeriodicJob):
    """Every `interval` seconds, tag up to `batch` untagged posts of each tenant."""

    name = "tag-posts"

    def __init__(self, engine: Engine, interval: float = 60.0, batch: int = 1000) -> None:
        super().__init__(interval)
        self.engine = engine
        self.batch = batch

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
