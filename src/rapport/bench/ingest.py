"""`rapport bench ingest`: JSONL event import speed against a bare sqlite3 baseline."""

from __future__ import annotations

import json
import resource
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rapport.bench.datasets import movielens_events, write_jsonl
from rapport.core.models import Schema
from rapport.engine import Engine


class IngestBench(Schema):
    events: int
    rapport_seconds: float
    rapport_repeat_seconds: float
    baseline_seconds: float
    counts_after_first: int
    counts_after_repeat: int
    ratio_to_baseline: float
    """How many times slower than bare sqlite3 rapport is (validation, indexes, JSON)."""
    longest_writer_wait_seconds: float
    """During the first import, the longest another process's small write waited for the
    database: how long the import held the write lock at once."""
    peak_rss_mb: float
    """The bench process's peak resident memory through rapport's two imports (before the
    peer runs)."""


def bench_ingest(movielens: Path, limit: int = 100_000, copies: int = 1) -> IngestBench:
    """`copies` > 1 repeats the ratings as new users (ids suffixed), for a larger file."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        path = folder / "events.jsonl"
        total = write_jsonl(_copies(movielens, limit, copies), path)
        with Engine(data=folder / "rapport") as engine:
            engine.events.add([{"user_id": "u", "type": "search"}], tenant="warm-up")  # the file
            with _other_writer(folder / "rapport" / "rapport.db") as waits:
                start = time.perf_counter()
                engine.events.import_file(path)
                first = time.perf_counter() - start
            counted = engine.stats().events
            start = time.perf_counter()
            engine.events.import_file(path)
            repeat = time.perf_counter() - start
            recounted = engine.stats().events
        # Before the peer, which holds the whole file in memory.
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        baseline = _bare_sqlite_import(path, folder / "bare.db")
    return IngestBench(
        events=total,
        rapport_seconds=first,
        rapport_repeat_seconds=repeat,
        baseline_seconds=baseline,
        counts_after_first=counted,
        counts_after_repeat=recounted,
        ratio_to_baseline=first / baseline,
        longest_writer_wait_seconds=max(waits, default=0.0),
        peak_rss_mb=rss,
    )


def _copies(movielens: Path, limit: int, copies: int) -> Iterator[dict[str, Any]]:
    for copy in range(copies):
        for event in movielens_events(movielens, limit):
            if copy:
                event["id"] = f"{event['id']}-{copy}"
                event["user_id"] = f"{event['user_id']}-{copy}"
            yield event


@contextmanager
def _other_writer(database: Path, every: float = 0.2) -> Iterator[list[float]]:
    """Another process's writer taking the write lock every `every` seconds; yields the
    list of how long each attempt waited."""
    waits: list[float] = []
    stop = threading.Event()

    def write() -> None:
        conn = sqlite3.connect(database, timeout=600, isolation_level=None)
        while not stop.is_set():
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            waits.append(time.perf_counter() - start)
            stop.wait(every)
        conn.close()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield waits
    finally:
        stop.set()
        thread.join()


def _bare_sqlite_import(path: Path, database: Path) -> float:
    """The peer: parse JSON lines, INSERT OR IGNORE into one indexed table, no validation."""
    start = time.perf_counter()
    conn = sqlite3.connect(database)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE events (id TEXT PRIMARY KEY, user_id TEXT, item_id TEXT, "
        "type TEXT, value REAL, timestamp REAL)"
    )
    conn.execute("CREATE INDEX ix_user ON events (user_id, timestamp)")
    with path.open() as handle:
        rows = [
            (r["id"], r["user_id"], r["item_id"], r["type"], r["value"], r["timestamp"])
            for r in map(json.loads, handle)
        ]
    with conn:
        conn.executemany("INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.close()
    return time.perf_counter() - start
