"""Work an import left half done (items and chunks stored, not yet embedded) is visible in
`stats` and finished by the worker and by `serve` on start."""

from __future__ import annotations

from sqlalchemy import delete

from rapport.core.store.schema import vectors
from rapport.engine import Engine
from rapport.interfaces.jobs.scheduler import RetrainJob
from tests.conftest import Cli

ITEMS = [
    {"id": f"c{n}", "kind": "course", "title": title, "categories": ["data"]}
    for n, title in enumerate(["Python basics", "Pandas for analysis", "Knitting socks"])
]
DOCS = [
    {"id": "help", "title": "Mentors", "text": "Mentors answer questions within two days."},
    {"id": "fees", "title": "Fees", "text": "Courses are free for members."},
]


def _interrupted(engine: Engine) -> None:
    """The state a kill during embedding leaves: records stored, vectors missing."""
    engine.items.add(ITEMS, index=False)
    engine.kb.add_records(DOCS)
    with engine._services.store.engine.begin() as conn:
        conn.execute(delete(vectors).where(vectors.c.space == "chunk"))


def test_stats_show_what_waits_and_the_worker_finishes_it(engine: Engine) -> None:
    _interrupted(engine)
    before = engine.stats()
    assert (before.unindexed_items, before.unindexed_chunks) == (3, 2)
    assert engine.kb.search("How fast do mentors answer?").hits == []
    RetrainJob(engine).run_once()  # no events: nothing to retrain, but embedding finishes
    after = engine.stats()
    assert (after.unindexed_items, after.unindexed_chunks) == (0, 0)
    assert [s.item_id for s in engine.items.similar("c0", k=1)] == ["c1"]
    assert engine.kb.search("How fast do mentors answer?").hits[0].doc_id == "help"


def test_serving_finishes_on_start_and_the_cli_shows_the_counts(sqlite_engine: Engine) -> None:
    _interrupted(sqlite_engine)
    cli = Cli(sqlite_engine.settings.data)
    shown = cli("stats")
    assert shown.returncode == 0
    assert "waiting for embedding: 3 items, 2 knowledge chunks" in shown.stdout
    sqlite_engine.warm_up()
    after = sqlite_engine.stats()
    assert (after.unindexed_items, after.unindexed_chunks) == (0, 0)
