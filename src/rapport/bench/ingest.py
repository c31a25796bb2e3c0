"""`rapport bench ingest`: JSONL event import speed against a bare sqlite3 baseline."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rapport.bench.datasets import movielens_events, write_jsonl
from rapport.engine import Engine


@dataclass(frozen=True)
class IngestResult:
    events: int
    rapport_seconds: float
    rapport_repeat_seconds: float
    baseline_seconds: float
    counts_after_first: int
    counts_after_repeat: int

    @property
    def ratio_to_baseline(self) -> float:
        """How many times slower than bare sqlite3 rapport is (validation, indexes, JSON)."""
        return self.rapport_seconds / self.baseline_seconds


def bench_ingest(movielens: Path, limit: int = 100_000) -> IngestResult:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        path = folder / "events.jsonl"
        total = write_jsonl(movielens_events(movielens, limit), path)
        with Engine(data=folder / "rapport", log_level="warning") as engine:
            start = time.perf_counter()
            engine.import_file("events", path)
            first = time.perf_counter() - start
            counted = engine.stats()["default"]["events"]
            start = time.perf_counter()
            engine.import_file("events", path)
            repeat = time.perf_counter() - start
            recounted = engine.stats()["default"]["events"]
        baseline = _bare_sqlite_import(path, folder / "bare.db")
    return IngestResult(total, first, repeat, baseline, counted, recounted)


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
