"""A write that meets another process's write lock on the SQLite file waits, then gets a
503 with Retry-After (REST) or a clear message (CLI): never a 500 or a traceback."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rapport.engine import Engine
from tests.conftest import Cli, CountingEmbedder, LiveServer

EVENT = {"id": "e1", "user_id": "ana", "item_id": "x", "type": "like"}


@pytest.fixture
def impatient(tmp_path: Path, embedder: CountingEmbedder) -> Iterator[Engine]:
    with Engine(data=tmp_path, embedder=embedder, sqlite_busy_timeout=0.2) as engine:
        engine.users.add([{"id": "ana"}])
        yield engine


def _lock(data: Path) -> sqlite3.Connection:
    """Another process's writer holding the lock (a transaction not yet committed)."""
    other = sqlite3.connect(data / "rapport.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_waiting_writers_get_503_with_retry_after(impatient: Engine) -> None:
    with LiveServer(impatient) as server, httpx.Client(base_url=server.url) as http:
        other = _lock(impatient.settings.data)
        try:
            refused = http.post("/events", json=[EVENT])
        finally:
            other.rollback()
            other.close()
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "5"
        assert refused.json()["error"]["code"] == "busy"
        assert impatient.stats().events == 0
        assert http.post("/events", json=[EVENT]).status_code == 200
    assert impatient.stats().events == 1


def test_the_cli_says_the_database_is_busy(
    impatient: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAPPORT_SQLITE_BUSY_TIMEOUT", "0.2")
    events = tmp_path / "events.jsonl"
    events.write_text('{"id": "e1", "user_id": "ana", "item_id": "x", "type": "like"}\n')
    other = _lock(impatient.settings.data)
    try:
        ran = Cli(impatient.settings.data)("events", "import", str(events))
    finally:
        other.rollback()
        other.close()
    assert ran.returncode == 1
    assert "busy" in ran.stderr and "Traceback" not in ran.stderr
