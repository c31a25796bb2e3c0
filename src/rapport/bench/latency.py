"""`rapport bench latency`: recommendation latency in process and over REST, on MovieLens
padded to a 10,000-item catalogue, against the bare EASE scoring step."""

from __future__ import annotations

import gc
import random
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from rapport.bench.datasets import movielens_events, movielens_items
from rapport.bench.progress import Advance, Bars, no_bars
from rapport.core.models import Schema, utcnow
from rapport.engine import Engine
from rapport.services.recommend.artifacts import ModelStore
from rapport.services.recommend.models import HybridModel

CATALOGUE = 10_000


class Timing(Schema):
    name: str
    p50_ms: float
    p99_ms: float
    requests: int


class LatencyBench(Schema):
    items: int
    train_seconds: float
    timings: list[Timing]
    """The bare scoring step first: the peer the others are compared with."""


def timed(name: str, calls: int, call: Callable[[int], object], advance: Advance) -> Timing:
    """p50 and p99 of `calls` calls of `call(n)`, in milliseconds."""
    samples = []
    for n in range(calls):
        start = time.perf_counter()
        call(n)
        samples.append((time.perf_counter() - start) * 1000)
        advance(1)
    return Timing(
        name=name,
        p50_ms=round(float(np.percentile(samples, 50)), 3),
        p99_ms=round(float(np.percentile(samples, 99)), 3),
        requests=calls,
    )


def _padding(count: int) -> list[dict[str, Any]]:
    """City events with places and time windows, so context scoring has work to do."""
    now = utcnow()
    rng = random.Random(7)
    return [
        {
            "id": f"bench-event-{n}",
            "kind": "event",
            "title": f"Open-air screening {n}",
            "categories": [rng.choice(["Drama", "Comedy", "Action", "Documentary"])],
            "location": {"lat": 38.70 + rng.random() / 10, "lon": -9.20 + rng.random() / 10},
            "starts_at": (now + timedelta(hours=rng.randrange(1, 300))).isoformat(),
            "price": float(rng.randrange(0, 30)),
        }
        for n in range(count)
    ]


Serve = Callable[[Engine], AbstractContextManager[str]]
"""Serves an engine's REST API for the duration of a block, yielding its base URL."""


def bench_latency(
    movielens: Path, requests: int, serve: Serve, bars: Bars = no_bars
) -> LatencyBench:
    with tempfile.TemporaryDirectory() as scratch:
        # Rate limits are off: the bench measures serving, not how fast requests get a 429.
        engine = Engine(data=Path(scratch), rate_limit_read="none")
        items = list(movielens_items(movielens))
        items += _padding(max(0, CATALOGUE - len(items)))
        with bars("embed catalogue", len(items)) as advance:
            engine.items.add(items, index=False)
            engine.items.index(progress=advance)
        engine.events.add(list(movielens_events(movielens)))
        manifest = engine.models.train()
        users = _user_ids(engine)
        rng = random.Random(11)
        chosen = [rng.choice(users) for _ in range(requests)]
        engine.warm_up()  # as `rapport serve` does before it listens
        engine.recommendations.for_user(chosen[0], k=10)  # warm caches: frame, model, interests
        gc.collect()
        gc.freeze()  # as `rapport serve` does after warm-up: long-lived objects left alone
        # The peer: the trained EASE core's scoring step alone, read from the artifacts.
        served = ModelStore(engine.settings.data).serving(engine.tenant())
        assert served is not None and isinstance(served.model, HybridModel)
        core = served.model.core()
        rows = engine.models.interactions().matrix()[:, served.model.state.modelled]
        timings = []
        with bars("requests", requests * 3) as advance:
            timings.append(
                timed(
                    "peer: EASE scoring + top-10 only (numpy)",
                    requests,
                    lambda n: _ease_top(rows, core, n % rows.shape[0]),
                    advance,
                )
            )
            timings.append(
                timed(
                    "rapport recommend (in process)",
                    requests,
                    lambda n: engine.recommendations.for_user(chosen[n], k=10),
                    advance,
                )
            )
            with serve(engine) as url:
                timings.append(_rest(url, chosen, advance))
        engine.close()
    return LatencyBench(items=len(items), train_seconds=manifest.training.seconds, timings=timings)


def _user_ids(engine: Engine) -> list[str]:
    """Every user id, a page at a time (pages hold at most 500)."""
    found: list[str] = []
    while True:
        page = engine.users.list(limit=500, offset=len(found))
        found += [u.id for u in page.items]
        if not page.items or len(found) >= page.total:
            return found


def _ease_top(rows: Any, core: np.ndarray, user: int) -> np.ndarray:
    scores = np.asarray(rows[user] @ core).ravel()
    return np.argpartition(-scores, 10)[:10]


def _rest(url: str, users: list[str], advance: Advance) -> Timing:
    with httpx.Client(base_url=url, timeout=30) as http:
        for user in users[:5]:  # warm up the server, as the in-process run is warmed up
            http.get(f"/users/{user}/recommendations", params={"k": 10}).raise_for_status()
        return timed(
            "rapport REST GET /users/{id}/recommendations",
            len(users),
            lambda n: http.get(
                f"/users/{users[n]}/recommendations", params={"k": 10}
            ).raise_for_status(),
            advance,
        )
