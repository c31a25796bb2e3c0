"""One shape per operation: the library, REST and CLI `--json` return the same object."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rapport.engine import Engine
from tests.conftest import Cli, LiveServer

ITEMS = [
    {"id": "py", "kind": "course", "title": "Python programming", "categories": ["data"]},
    {"id": "pandas", "kind": "course", "title": "Data analysis with pandas and Python"},
    {"id": "jazz", "kind": "event", "title": "Live jazz quartet", "price": 12},
    {"id": "fado", "kind": "event", "title": "Fado night in Alfama", "price": 15},
]
DOCS = [
    {"id": "refunds", "title": "Refunds", "text": "Tickets are refundable until 48 hours before."},
    {"id": "booking", "title": "Booking", "text": "Book a mentor from their profile page."},
]


def shape(value: Any) -> Any:
    """The key structure of JSON data: what must agree between interfaces."""
    if isinstance(value, dict):
        return {key: shape(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


@pytest.fixture
def three(tmp_path: Path) -> Iterator[tuple[Engine, Any, Cli]]:
    # The default embedder on both sides: the CLI builds its own engine from the settings.
    with Engine(data=tmp_path) as engine:
        engine.items.add(ITEMS)
        engine.users.add([{"id": "ana", "profile": {"interests": ["python"]}}])
        engine.events.add([{"user_id": "ana", "item_id": "jazz", "type": "like"}])
        engine.kb.add_records(DOCS)
        with LiveServer(engine) as server, httpx.Client(base_url=server.url, timeout=60) as http:
            yield engine, http, Cli(tmp_path)


@pytest.mark.parametrize(
    ("name", "library", "rest", "command"),
    [
        (
            "recommend",
            lambda e: e.recommendations.for_user("ana", k=2),
            ("/users/ana/recommendations", {"k": 2}),
            ["recommend", "ana", "--k", "2"],
        ),
        (
            "similar",
            lambda e: e.items.similar("py", k=2),
            ("/items/py/similar", {"k": 2}),
            ["items", "similar", "py", "--k", "2"],
        ),
        (
            "kb search",
            lambda e: e.kb.search("refund a ticket", 2),
            ("/kb/search", {"q": "refund a ticket", "k": 2}),
            ["kb", "search", "refund a ticket", "--k", "2"],
        ),
        (
            "search",
            lambda e: e.search.items("jazz under 13"),
            ("/search", {"q": "jazz under 13"}),
            ["search", "jazz under 13"],
        ),
        ("stats", lambda e: e.stats(), ("/stats", {}), ["stats"]),
    ],
)
def test_library_rest_and_cli_agree(
    three: tuple[Engine, httpx.Client, Cli],
    name: str,
    library: Any,
    rest: tuple[str, dict[str, Any]],
    command: list[str],
) -> None:
    engine, http, cli = three
    ours = library(engine)
    own = (
        [x.model_dump(mode="json") for x in ours]
        if isinstance(ours, list)
        else ours.model_dump(mode="json")
    )
    path, params = rest
    served = http.get(path, params=params).json()
    printed = cli(*command, "--json").json()
    assert shape(own) == shape(served) == shape(printed), name
    assert own == served == printed or _ids(own) == _ids(served) == _ids(printed)
    assert shape(own) not in ({}, [])  # something was compared


def test_ask_agrees(three: tuple[Engine, httpx.Client, Cli]) -> None:
    engine, http, cli = three
    own = engine.kb.ask("Until when can I get a refund?").model_dump(mode="json")
    served = http.post("/ask", json={"question": "Until when can I get a refund?"}).json()
    printed = cli("ask", "Until when can I get a refund?", "--json").json()
    assert own == served == printed
    assert own["citations"][0]["document_id"] == "refunds" and "48 hours" in own["answer"]


def _ids(value: Any) -> Any:
    """Ids in order, for results whose scores may differ in the last float bit."""
    rows = value if isinstance(value, list) else value.get("items") or value.get("hits") or []
    return [row.get("item_id") or row.get("doc_id") for row in rows]
