"""`rapport bench scale`: a synthetic catalogue and event log of any size through the engine,
timed phase by phase: import, vector index build, training, the first request (catalogue
frame), then p50/p99 of `recommend` and `similar` in process and over REST, against their
peers in the same run (the trained model's bare scoring step, exact vector search), and
recall@10 of the vector index against exact search.

The world (`bench/synthetic.py`) is deterministic for a seed: power-law item popularity,
users with favourite topics and sessions, categories that follow the vectors. Item vectors
are drawn around real MiniLM vectors of the msmarco-5k passages and written to the store
directly (embedding a million texts would take hours here); everything else goes through
the engine's public calls.

Training runs in a child process whose memory is watched: past `memory_cap_gb` it is
stopped and the failure is reported instead of taking the machine down. Results are written
to `results` after every phase, so a long run that stops still says how far it got.
"""

from __future__ import annotations

import gc
import multiprocessing
import random
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from pydantic import Field

from rapport.bench.latency import Serve, Timing, timed
from rapport.bench.memory import peak_mb, reset_peak
from rapport.bench.progress import Bars, no_bars
from rapport.bench.synthetic import VectorSource, World, chunks
from rapport.core.config import Settings
from rapport.core.histories import Histories
from rapport.core.models import Item, Schema, content_hash
from rapport.core.store.repository import Store
from rapport.core.vectors.registry import make_embedder
from rapport.engine import Engine
from rapport.services.recommend.artifacts import ModelStore
from rapport.services.recommend.training import TrainingConfig

GB = 1024.0
RECALL_QUERIES = 200

SKIPPED = "already in the work directory: skipped"
"""Note of an import phase a resumed run did not redo (its time is not an import time)."""


class Phase(Schema):
    name: str
    seconds: float
    peak_mb: float
    """Highest resident memory during the phase (this process, or the training child)."""
    note: str = ""


class ScaleBench(Schema):
    items: int
    events: int
    users: int
    seed: int
    vectors: str
    """Where item vectors came from."""
    training: str
    """What was trained (and why, when not the default)."""
    phases: list[Phase]
    timings: list[Timing]
    """Peers first: the bare scoring step and exact search."""
    recall_at_10: float | None = None
    """Vector index (`similar`) against exact search over all vectors."""
    recall_queries: int = 0
    index: str = ""
    """Which vector search served: exact, HNSW graph, or pgvector."""
    peak_mb: float = 0.0
    """Highest resident memory of any phase."""
    failures: list[str] = Field(default_factory=list)
    events_stored: int = 0
    """Events in the store when training began (fewer than `events` when the import was
    stopped by its time budget)."""


class Run:
    """Collects phases and saves the result after each one."""

    def __init__(self, result: ScaleBench, path: Path | None) -> None:
        self.result, self.path = result, path

    def save(self) -> None:
        self.result.peak_mb = max([p.peak_mb for p in self.result.phases] or [0.0])
        if self.path is not None:
            self.path.write_text(self.result.model_dump_json(indent=2))

    def phase(self, name: str, work: Callable[[], Any], note: str = "") -> Any:
        reset_peak()
        started = time.perf_counter()
        try:
            value = work()
        except Exception as exc:
            self.result.failures.append(f"{name}: {type(exc).__name__}: {exc}")
            self.result.phases.append(
                Phase(
                    name=name,
                    seconds=round(time.perf_counter() - started, 1),
                    peak_mb=round(peak_mb(), 0),
                    note=f"failed: {exc}",
                )
            )
            self.save()
            raise
        self.result.phases.append(
            Phase(
                name=name,
                seconds=round(time.perf_counter() - started, 1),
                peak_mb=round(peak_mb(), 0),
                note=value if isinstance(value, str) else note,
            )
        )
        self.save()
        return value


def _import_items(engine: Engine, world: World, embedder_name: str, bars: Bars) -> str:
    store = Store(engine.settings.sqlalchemy_url)
    tenant = engine.tenant()
    if (
        engine.stats().items >= world.items
        and store.vector_state(tenant, "item", embedder_name)[0] >= world.items
    ):
        store.close()
        return SKIPPED
    with bars("import items + vectors", world.items) as advance:
        for start, count in chunks(world.items, 10_000):
            records = world.catalogue(start, count)
            engine.items.add(records, index=False)
            vectors = world.vectors.vectors(start, count)
            texts = [Item.model_validate(r).embedding_text() for r in records]
            store.upsert_vectors(
                tenant,
                "item",
                embedder_name,
                [
                    (r["id"], content_hash(t), v)
                    for r, t, v in zip(records, texts, vectors, strict=True)
                ],
            )
            advance(count)
    store.close()
    return ""


def _import_events(engine: Engine, world: World, budget: float, bars: Bars) -> str:
    """Import the event log (ids make a repeated import skip what is stored); stops after
    `budget` seconds and says how far it got."""
    if engine.stats().events >= world.events:
        return SKIPPED
    started = time.monotonic()
    with bars("import events", world.events) as advance:
        for batch in world.event_log(50_000):
            engine.events.add(batch)
            advance(len(batch))
            if time.monotonic() - started > budget:
                stored = engine.stats().events
                return f"stopped by the time budget at {stored:,} events"
    return ""


def _train_child(data: str, database_url: str | None, config: str, out: str) -> None:
    """Runs in a child process: train and write the manifest (or the error) to `out`."""
    try:
        with Engine(data=Path(data), database_url=database_url) as engine:
            manifest = engine.models.train(config=TrainingConfig.model_validate_json(config))
        Path(out).write_text(manifest.model_dump_json())
    except BaseException:
        Path(out).write_text("ERROR " + traceback.format_exc())
        raise


def _train(
    engine: Engine, config: TrainingConfig, cap_gb: float, timeout: float
) -> tuple[str, float]:
    """Train in a child process, stopping it past `cap_gb` resident or `timeout` seconds;
    returns what happened and the child's peak memory in MB."""
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "manifest.json"
        child = context.Process(
            target=_train_child,
            args=(
                str(engine.settings.data),
                engine.settings.database_url,
                config.model_dump_json(),
                str(out),
            ),
        )
        child.start()
        peak = 0.0
        note = ""
        started = time.monotonic()
        while child.is_alive():
            child.join(0.5)
            resident = _child_kb(child.pid, "VmHWM") / 1024
            peak = max(peak, resident)
            if resident > cap_gb * GB:
                child.kill()
                note = f"stopped at {resident / GB:.1f} GB resident (cap {cap_gb} GB)"
            elif time.monotonic() - started > timeout:
                child.kill()
                note = f"stopped after {timeout:.0f} s (time limit)"
        child.join()
        if not note:
            text = out.read_text() if out.is_file() else "ERROR no result"
            note = text.splitlines()[-1] if text.startswith("ERROR") else "ok"
        return note, peak


def _child_kb(pid: int | None, field: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return 0.0


class _Exact:
    """All item vectors in one matrix, regenerated from the world: the exact peer."""

    def __init__(self, world: World) -> None:
        self.matrix = np.zeros((world.items, world.vectors.base.shape[1]), dtype=np.float32)
        for start, count in chunks(world.items, 100_000):
            self.matrix[start : start + count] = world.vectors.vectors(start, count)

    def top(self, item: int, k: int) -> np.ndarray:
        scores = self.matrix @ self.matrix[item]
        scores[item] = -np.inf
        top = np.argpartition(-scores, k)[:k]
        return top[np.argsort(-scores[top])]


def _model_peer(engine: Engine, users: list[str]) -> Callable[[int], object] | None:
    """The trained model's bare scoring step for a user's history, plus a top-10."""
    served = ModelStore(engine.settings.data).serving(engine.tenant())
    if served is None:
        return None
    model = served.model
    histories = []
    for user in users[:200]:
        events = engine.events.list(user_id=user, limit=None)
        known = [served.position[e.item_id] for e in events if e.item_id in served.position]
        if known:
            histories.append(
                Histories.single(
                    len(model.item_ids),
                    np.array(known),
                    np.ones(len(known), dtype=np.float32),
                    np.full(len(known), np.nan, dtype=np.float32),
                    np.arange(len(known), dtype=np.float64),
                    ref_time=float(len(known)),
                )
            )
    if not histories:
        return None

    def step(n: int) -> object:
        scores = model.score(histories[n % len(histories)])[0]
        return np.argpartition(-scores, 10)[:10]

    return step


def bench_scale(
    msmarco: Path,
    items: int,
    events: int,
    serve: Serve,
    *,
    users: int | None = None,
    requests: int = 500,
    seed: int = 0,
    data: Path | None = None,
    database_url: str | None = None,
    train_model: str | None = None,
    train_settings: dict[str, Any] | None = None,
    train: bool = True,
    fallback_model: str | None = None,
    memory_cap_gb: float = 14.0,
    train_timeout: float = 3600.0,
    events_budget: float = 86_400.0,
    results: Path | None = None,
    bars: Bars = no_bars,
) -> ScaleBench:
    from rapport.bench.synthetic import msmarco_source

    source, titles = msmarco_source(msmarco, seed)
    users = users or max(100, events // 50)
    world = World(source, items, events, users, seed, titles=titles)
    config = TrainingConfig(
        **({"model": train_model} if train_model else {}),
        **({"settings": train_settings} if train_settings else {}),
    )
    result = ScaleBench(
        items=items,
        events=events,
        users=users,
        seed=seed,
        vectors="synthetic around msmarco-5k MiniLM vectors (written directly, not embedded)",
        training=f"{config.model} {config.settings or ''}".strip() if train else "skipped",
        phases=[],
        timings=[],
    )
    run = Run(result, results)
    scratch = tempfile.TemporaryDirectory() if data is None else None
    folder = Path(scratch.name) if scratch is not None else Path(data)  # type: ignore[arg-type]
    try:
        _bench(
            run,
            world,
            source,
            folder,
            database_url,
            config,
            TrainingConfig(model=fallback_model) if fallback_model else None,
            train,
            memory_cap_gb,
            train_timeout,
            events_budget,
            requests,
            serve,
            bars,
        )
    finally:
        if scratch is not None:
            scratch.cleanup()
    run.save()
    return result


def _bench(
    run: Run,
    world: World,
    source: VectorSource,
    folder: Path,
    database_url: str | None,
    config: TrainingConfig,
    fallback: TrainingConfig | None,
    train: bool,
    cap_gb: float,
    train_timeout: float,
    events_budget: float,
    requests: int,
    serve: Serve,
    bars: Bars,
) -> None:
    result = run.result
    settings = Settings.load(data=folder, database_url=database_url)
    embedder_name = make_embedder(settings).name
    engine = Engine(settings)
    try:
        run.phase(
            "import items and vectors", lambda: _import_items(engine, world, embedder_name, bars)
        )
        if world.events:
            run.phase("import events", lambda: _import_events(engine, world, events_budget, bars))
            result.events_stored = engine.stats().events
        run.phase("build vector index", lambda: engine.items.index())
        result.index = _index_kind(engine)
        if train and world.events:
            for attempt in (config, fallback):
                if attempt is None:
                    break
                started = time.perf_counter()
                note, peak = _train(engine, attempt, cap_gb, train_timeout)
                result.phases.append(
                    Phase(
                        name=f"train ({attempt.model})",
                        seconds=round(time.perf_counter() - started, 1),
                        peak_mb=round(peak, 0),
                        note=note,
                    )
                )
                result.training = f"{attempt.model} {attempt.settings or ''}".strip()
                run.save()
                if note == "ok":
                    break
                result.failures.append(f"train ({attempt.model}): {note}")
        rng = random.Random(world.seed)
        chosen_users = [world.user_id(rng.randrange(world.users)) for _ in range(requests)]
        chosen_items = [world.item_id(rng.randrange(world.items)) for _ in range(requests)]
        recommending = bool(world.events)  # without events there are no users to ask for
        run.phase(
            "first request (catalogue frame, model mapping)",
            lambda: (
                engine.recommendations.for_user(chosen_users[0], k=10)
                if recommending
                else engine.items.similar(chosen_items[0], k=10)
            ),
        )
        exact = run.phase("exact peer: all vectors in memory", lambda: _Exact(world))
        peer = _model_peer(engine, chosen_users) if recommending else None  # any served model
        timings: list[Timing] = []
        with bars("requests", requests * 6) as advance:
            if peer is not None:
                timings.append(
                    timed("peer: model scoring + top-10 (numpy)", requests, peer, advance)
                )
            timings.append(
                timed(
                    "peer: exact search + top-10 (numpy)",
                    requests,
                    lambda n: exact.top(world.index_of(chosen_items[n]), 10),
                    advance,
                )
            )
            for n in range(min(5, requests)):  # warm up as the REST server is warmed up
                if recommending:
                    engine.recommendations.for_user(chosen_users[n], k=10)
                engine.items.similar(chosen_items[n], k=10)
            gc.collect()
            gc.freeze()  # as `rapport serve` does after warm-up
            if recommending:
                timings.append(
                    timed(
                        "rapport recommend (in process)",
                        requests,
                        lambda n: engine.recommendations.for_user(chosen_users[n], k=10),
                        advance,
                    )
                )
            timings.append(
                timed(
                    "rapport similar (in process)",
                    requests,
                    lambda n: engine.items.similar(chosen_items[n], k=10),
                    advance,
                )
            )
            with serve(engine) as url, httpx.Client(base_url=url, timeout=60) as http:
                for n in range(min(5, requests)):
                    if recommending:
                        http.get(f"/users/{chosen_users[n]}/recommendations", params={"k": 10})
                    http.get(f"/items/{chosen_items[n]}/similar", params={"k": 10})
                if recommending:
                    timings.append(
                        timed(
                            "rapport REST GET /users/{id}/recommendations",
                            requests,
                            lambda n: http.get(
                                f"/users/{chosen_users[n]}/recommendations", params={"k": 10}
                            ).raise_for_status(),
                            advance,
                        )
                    )
                timings.append(
                    timed(
                        "rapport REST GET /items/{id}/similar",
                        requests,
                        lambda n: http.get(
                            f"/items/{chosen_items[n]}/similar", params={"k": 10}
                        ).raise_for_status(),
                        advance,
                    )
                )
        result.timings = timings
        run.save()
        queries = min(RECALL_QUERIES, world.items)
        hits = 0
        for item in rng.sample(range(world.items), queries):
            truth = {world.item_id(i) for i in exact.top(item, 10).tolist()}
            found = {h.item_id for h in engine.items.similar(world.item_id(item), k=10)}
            hits += len(truth & found)
        result.recall_at_10 = round(hits / (10 * queries), 4)
        result.recall_queries = queries
        result.peak_mb = max(p.peak_mb for p in result.phases)
        run.save()
    finally:
        engine.close()


def _index_kind(engine: Engine) -> str:
    settings = engine.settings
    if settings.is_postgres:
        return "pgvector HNSW"
    if settings.vector_index == "exact":
        return "exact"
    return "hnswlib HNSW" if engine.stats().items >= settings.ann_min_vectors else "exact"
