"""`rapport bench latency`: recommendation latency in process and over REST, on MovieLens
padded to a 10,000-item catalogue, against the bare EASE scoring step."""

from __future__ import annotations

import random
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np

from rapport.bench.datasets import movielens_events, movielens_items
from rapport.core.models import utcnow
from rapport.engine import Engine
from rapport.interfaces.cli.output import progress_bar

CATALOGUE = 10_000


@dataclass(frozen=True)
class Timing:
    name: str
    p50_ms: float
    p99_ms: float
    requests: int


def _timed(
    name: str, calls: int, call: Callable[[int], object], advance: Callable[[int], None]
) -> Timing:
    samples = []
    for n in range(calls):
        start = time.perf_counter()
        call(n)
        samples.append((time.perf_counter() - start) * 1000)
        advance(1)
    return Timing(name, float(np.percentile(samples, 50)), float(np.percentile(samples, 99)), calls)


def _padding(count: int) -> list[dict]:
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


def bench_latency(movielens: Path, requests: int = 1000) -> tuple[list[Timing], dict]:
    with tempfile.TemporaryDirectory() as scratch:
        engine = Engine(data=Path(scratch), log_level="warning")
        items = list(movielens_items(movielens))
        items += _padding(max(0, CATALOGUE - len(items)))
        with progress_bar("embed catalogue", len(items)) as advance:
            engine.add_items(items, index=False)
            engine.index_items(progress=advance)
        engine.add_events(list(movielens_events(movielens)))
        manifest = engine.train()
        users = [u.id for u in engine.list_users(limit=10_000).items]
        rng = random.Random(11)
        chosen = [rng.choice(users) for _ in range(requests)]
        engine.recommend(chosen[0], k=10)  # warm caches: frame, model, interests
        model = engine.models.get(engine.tenant())
        assert model is not None
        core = model.model.core()
        rows = engine.interactions().matrix()
        timings = []
        with progress_bar("requests", requests * 3) as advance:
            timings.append(
                _timed(
                    "peer: EASE scoring + top-10 only (numpy)",
                    requests,
                    lambda n: _ease_top(rows, core, n % rows.shape[0]),
                    advance,
                )
            )
            timings.append(
                _timed(
                    "rapport recommend (in process)",
                    requests,
                    lambda n: engine.recommend(chosen[n], k=10),
                    advance,
                )
            )
            timings.append(_rest(engine, chosen, advance))
        engine.close()
    return timings, {"items": len(items), "train_seconds": manifest["training"]["seconds"]}


def _ease_top(rows: object, core: np.ndarray, user: int) -> np.ndarray:
    row = rows[user]  # type: ignore[index]
    scores = np.asarray(row[:, : core.shape[0]] @ core).ravel()
    return np.argpartition(-scores, 10)[:10]


def _rest(engine: Engine, users: list[str], advance: Callable[[int], None]) -> Timing:
    import uvicorn

    from rapport.interfaces.api.app import create_app

    server = uvicorn.Server(
        uvicorn.Config(create_app(engine), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            return _timed(
                "rapport REST GET /users/{id}/recommendations",
                len(users),
                lambda n: http.get(
                    f"/users/{users[n]}/recommendations", params={"k": 10}
                ).raise_for_status(),
                advance,
            )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
