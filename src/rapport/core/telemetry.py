"""Prometheus metrics measured in-process (request, recommendation and LLM latencies), and
their exposition together with values read at scrape time.

With several API worker processes, `PROMETHEUS_MULTIPROC_DIR` names a directory the
processes write their samples to (prometheus-client's multiprocess mode, chosen when the
client is first imported); a scrape of any worker then reads every worker's samples.
`rapport serve --workers N` sets it. Without it, each process exposes its own samples.
See docs/operations.md for every metric and label.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SAMPLE_FILES = ("counter_*.db", "histogram_*.db", "gauge_*.db", "summary_*.db")

# Request latencies span sub-millisecond reads to multi-second LLM answers.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

REQUEST_SECONDS = Histogram(
    "rapport_http_request_duration_seconds",
    "REST request latency by route template (never the raw path) and status; the _count "
    "series counts requests.",
    ["method", "route", "status"],
    buckets=_BUCKETS,
)
RECOMMEND_SECONDS = Histogram(
    "rapport_recommendation_duration_seconds",
    "Time to rank one list (library, REST and CLI alike).",
    ["kind"],
    buckets=_BUCKETS,
)
LLM_SECONDS = Histogram(
    "rapport_llm_request_duration_seconds",
    "Latency of each request the LLM gateway sent (each retry counts), and of cache hits.",
    ["operation", "provider", "outcome"],
    buckets=_BUCKETS,
)


def multiprocess_dir() -> Path | None:
    path = os.environ.get(MULTIPROC_ENV)
    return Path(path) if path else None


def clear_samples(folder: Path) -> None:
    """Remove sample files a previous server left (their counts would be added to ours)."""
    for pattern in SAMPLE_FILES:
        for stale in folder.glob(pattern):
            stale.unlink(missing_ok=True)


class _Default(Collector):
    """This process's own metrics (single-process mode)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


class _Fixed(Collector):
    def __init__(self, metrics: Sequence[Metric]) -> None:
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        return self.metrics


def exposition(extra: Sequence[Metric] = ()) -> bytes:
    """The Prometheus text format of every measured metric (of all worker processes in
    multiprocess mode), followed by `extra` (values read at scrape time)."""
    registry = CollectorRegistry()
    folder = multiprocess_dir()
    if folder is not None:
        MultiProcessCollector(registry, path=str(folder))  # type: ignore[no-untyped-call]
    else:
        registry.register(_Default())
    if extra:
        registry.register(_Fixed(extra))
    return generate_latest(registry)
