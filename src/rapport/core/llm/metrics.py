"""Per-request LLM metrics, kept in memory and logged with structlog."""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import asdict, dataclass

import structlog

from rapport.core.telemetry import LLM_SECONDS

log = structlog.get_logger("rapport.llm")


@dataclass(frozen=True)
class CallRecord:
    """One request to one provider (each retry is its own record), or one cache hit."""

    operation: str
    """`chat`, `stream` or `structured`."""
    provider: str
    """Provider name; for a cache hit, the provider that produced the cached answer."""
    model: str
    latency_ms: float
    prompt_tokens: int
    completion_tokens: int
    cached: bool
    success: bool
    fallback: bool
    """The request went to a provider other than the first of the chain."""
    attempt: int = 0
    """0 for the first try on this provider, 1.. for retries."""
    error: str | None = None


@dataclass(frozen=True)
class ProviderStats:
    """Totals for one provider. Requests exclude cache hits, which are counted apart."""

    calls: int
    failures: int
    cache_hits: int
    fallbacks: int
    """Successful requests served as a fallback for an earlier provider."""
    mean_latency_ms: float
    p95_latency_ms: float
    prompt_tokens: int
    completion_tokens: int


class LLMMetrics:
    """The last `max_records` records; bounded so a long-running server does not grow."""

    def __init__(self, max_records: int = 10_000) -> None:
        self._records: deque[CallRecord] = deque(maxlen=max_records)
        self._lock = threading.Lock()

    def record(self, record: CallRecord) -> None:
        with self._lock:
            self._records.append(record)
        outcome = "cached" if record.cached else "ok" if record.success else "error"
        LLM_SECONDS.labels(record.operation, record.provider, outcome).observe(
            record.latency_ms / 1000
        )
        # Prompts and replies are never logged: they can hold personal data.
        fields = asdict(record)
        if not record.success:
            log.warning("llm request failed", **fields)
        elif record.cached:
            log.debug("llm cache hit", **fields)
        else:
            log.info("llm request", **fields)

    def records(self) -> list[CallRecord]:
        with self._lock:
            return list(self._records)

    def reset(self) -> None:
        with self._lock:
            self._records.clear()

    def summary(self) -> dict[str, ProviderStats]:
        by_provider: dict[str, list[CallRecord]] = {}
        for record in self.records():
            by_provider.setdefault(record.provider, []).append(record)
        return {name: _stats(records) for name, records in by_provider.items()}


def _stats(records: list[CallRecord]) -> ProviderStats:
    sent = [r for r in records if not r.cached]
    latencies = sorted(r.latency_ms for r in sent)
    return ProviderStats(
        calls=len(sent),
        failures=sum(not r.success for r in sent),
        cache_hits=len(records) - len(sent),
        fallbacks=sum(r.success and r.fallback for r in sent),
        mean_latency_ms=sum(latencies) / len(latencies) if latencies else 0.0,
        p95_latency_ms=_percentile(latencies, 0.95),
        prompt_tokens=sum(r.prompt_tokens for r in sent),
        completion_tokens=sum(r.completion_tokens for r in sent),
    )


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]
