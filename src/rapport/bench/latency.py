"""`rapport bench latency`: recommendation latency in process and over REST, on MovieLens
padded to a 10,000-item catalogue, against the bare EASE scoring step.

The ruler: rapport and the peer are measured interleaved, request by request (the peer's
step for a user, then rapport's list for the same user, in a random order per pair), so a
load spike meets both instead of only rapport, whose 1,000 requests take about forty times
longer than the peer's. The old sequential ruler (all peer requests, then all of rapport's)
is measured too, after it, so the change of ruler stays visible. `load` runs that many
busy processes during every measurement, so a loaded run can be repeated.
"""

from __future__ import annotations

import gc
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from pydantic import Field

from rapport.bench.datasets import movielens_events, movielens_items
from rapport.bench.progress import Advance, Bars, no_bars
from rapport.core.models import Schema, utcnow
from rapport.engine import Engine
from rapport.services.recommend.artifacts import ModelStore
from rapport.services.recommend.models import HybridModel

CATALOGUE = 10_000
PEER = "peer: EASE scoring + top-10 only (numpy)"
RAPPORT = "rapport recommend (in process)"


class Timing(Schema):
    name: str
    p50_ms: float
    p99_ms: float
    requests: int
    ruler: str = "interleaved"
    """"interleaved" (peer and rapport request by request), "sequential" (the old ruler:
    one measurement after the other) or "rest"."""
    vs_peer: float | None = None
    """p99 over the peer's p99 measured with the same ruler (REST: the interleaved one)."""


class LatencyBench(Schema):
    items: int
    train_seconds: float
    timings: list[Timing]
    """The interleaved peer and rapport first, then the sequential pair, then REST."""
    load: int = 0
    """Busy background processes run during the measurements."""
    load_average: list[float] = Field(default_factory=list)
    """The machine's 1-minute load average before and after the measurements."""


def _timing(name: str, samples: list[float], ruler: str) -> Timing:
    return Timing(
        name=name,
        p50_ms=round(float(np.percentile(samples, 50)), 3),
        p99_ms=round(float(np.percentile(samples, 99)), 3),
        requests=len(samples),
        ruler=ruler,
    )


def timed(
    name: str,
    calls: int,
    call: Callable[[int], object],
    advance: Advance,
    ruler: str = "sequential",
) -> Timing:
    """p50 and p99 of `calls` calls of `call(n)`, in milliseconds."""
    samples = []
    for n in range(calls):
        start = time.perf_counter()
        call(n)
        samples.append((time.perf_counter() - start) * 1000)
        advance(1)
    return _timing(name, samples, ruler)


def paired(
    calls: dict[str, Callable[[int], object]],
    rounds: int,
    advance: Advance,
    seed: int = 5,
) -> list[Timing]:
    """p50 and p99 of each call, measured interleaved: in round n every call runs once with
    `n`, in a random order, so every call meets the same moments of the machine."""
    rng = random.Random(seed)
    names = list(calls)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for n in range(rounds):
        for name in rng.sample(names, len(names)):
            start = time.perf_counter()
            calls[name](n)
            samples[name].append((time.perf_counter() - start) * 1000)
            advance(1)
    return [_timing(name, samples[name], "interleaved") for name in names]


@contextmanager
def busy_processes(count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` processes spinning on a core each for the duration of the block (a
    reproducible load), stopped by their own ids afterwards."""
    started = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield started
    finally:
        for process in started:
            process.kill()
        for process in started:
            process.wait()


def with_ratios(timings: list[Timing]) -> list[Timing]:
    """Each timing's p99 over the peer's p99 of its ruler (REST against the interleaved
    peer)."""
    peers = {t.ruler: t.p99_ms for t in timings if t.name == PEER}
    peers["rest"] = peers.get("interleaved", 0.0)
    for t in timings:
        peer = peers.get(t.ruler)
        t.vs_peer = round(t.p99_ms / peer, 2) if peer else None
    return timings


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
    movielens: Path, requests: int, serve: Serve, bars: Bars = no_bars, load: int = 0
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
        timings, averages = measure(engine, chosen, serve, bars, load)
        engine.close()
    return LatencyBench(
        items=len(items),
        train_seconds=manifest.training.seconds,
        timings=timings,
        load=load,
        load_average=averages,
    )


def measure(
    engine: Engine, chosen: list[str], serve: Serve, bars: Bars = no_bars, load: int = 0
) -> tuple[list[Timing], list[float]]:
    """The timings of `chosen` users' requests (interleaved, sequential, REST) on a trained
    engine, with `load` busy processes running; and the load average before and after."""
    engine.warm_up()  # as `rapport serve` does before it listens
    engine.recommendations.for_user(chosen[0], k=10)  # warm caches: frame, model, interests
    gc.collect()
    gc.freeze()  # as `rapport serve` does after warm-up: long-lived objects left alone
    # The peer: the trained EASE core's scoring step alone, read from the artifacts, for
    # the same user as rapport's request.
    served = ModelStore(engine.settings.data).serving(engine.tenant())
    assert served is not None and isinstance(served.model, HybridModel)
    core = served.model.core()
    interactions = engine.models.interactions()
    rows = interactions.matrix()[:, served.model.state.modelled]
    row_of = {user: n for n, user in enumerate(interactions.user_ids)}
    peer_rows = [row_of[user] for user in chosen]
    requests = len(chosen)

    def peer(n: int) -> object:
        return _ease_top(rows, core, peer_rows[n])

    def rapport(n: int) -> object:
        return engine.recommendations.for_user(chosen[n], k=10)

    before = os.getloadavg()[0]
    timings = []
    with busy_processes(load), bars("requests", requests * 5) as advance:
        timings += paired({PEER: peer, RAPPORT: rapport}, requests, advance)
        timings.append(timed(PEER, requests, peer, advance))
        timings.append(timed(RAPPORT, requests, rapport, advance))
        with serve(engine) as url:
            timings.append(_rest(url, chosen, advance))
    return with_ratios(timings), [round(before, 2), round(os.getloadavg()[0], 2)]


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
            ruler="rest",
        )
