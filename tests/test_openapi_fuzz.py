"""Schemathesis over the whole OpenAPI of the app: no operation answers a 5xx and every
status returned is documented, for generated requests (valid by the schema, and edge cases
around its limits) against the real app on SQLite with the demo world loaded.

Every route the app has is covered, including routers added later; only operations listed
in `EXCLUDED` are left out, each with its reason."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from rapport.demo.world import DemoWorld, build_demo_world
from rapport.engine import Engine
from rapport.interfaces.api.app import create_app
from tests.conftest import CountingEmbedder

EXAMPLES = 8
"""Generated requests per operation and way of generating: enough to reach each
parameter's edges, small enough for the whole API in well under 60 s."""
NEGATIVE_EXAMPLES = 5
"""Requests that break the schema on purpose: each should be a plain 4xx."""

EXCLUDED = {
    # Fits a recommender in a background task: seconds per call, and training itself is
    # covered by tests/test_training.py; its 409 for a tenant without events is checked in
    # tests/test_bad_input.py.
    ("POST", "/model/train"),
}

DEMO_ITEMS = 40
"""Demo items loaded (with their users, events and documents): enough for every kind of
answer, few enough to embed quickly."""


@pytest.fixture(scope="module")
def demo() -> DemoWorld:
    world = build_demo_world(seed=3)
    items = world.items[:DEMO_ITEMS]
    kept = {item["id"] for item in items}
    events = [e for e in world.events if e.get("item_id") in kept]
    return DemoWorld(items=items, users=world.users, events=events, documents=world.documents)


ADMIN_KEY = "fuzz-admin-key"


@pytest.fixture(scope="module")
def fuzzed_app(
    tmp_path_factory: pytest.TempPathFactory, minilm: Any, demo: DemoWorld
) -> Iterator[FastAPI]:
    """The app over a SQLite engine holding part of the demo world (untrained, so model
    routes answer "none yet")."""
    data: Path = tmp_path_factory.mktemp("fuzz")
    # An admin key: without one the API is open only until the fuzzer creates a key.
    with Engine(data=data, embedder=CountingEmbedder(minilm), api_key=ADMIN_KEY) as engine:
        engine.users.add(demo.users)
        engine.items.add(demo.items)
        engine.events.add(demo.events)
        engine.kb.add_records(demo.documents)
        yield create_app(engine)


def test_no_operation_answers_5xx_or_an_undocumented_status(
    fuzzed_app: FastAPI, demo: DemoWorld
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    covered = [op for op in operations if (op.method.upper(), op.path) not in EXCLUDED]
    assert len(covered) >= 30, [op.label for op in operations]
    # Random ids and tenants mostly meet 404s and 422s; requests on the demo tenant with
    # ids that exist reach the engine's code behind them.
    known = {
        "item_id": demo.items[0]["id"],
        "user_id": demo.users[0]["id"],
        "document_id": demo.documents[0]["id"],
    }
    failures: list[str] = []
    for operation in covered:
        names = re.findall(r"{(\w+)}", operation.path)
        existing = {n: known[n] for n in names if n in known}
        if operation.method.upper() == "DELETE":
            existing = {}  # keep the demo records for the other operations
        strategies = [
            (operation.as_strategy(), EXAMPLES),
            (
                operation.as_strategy(path_parameters=existing, headers={"X-Tenant": "default"}),
                EXAMPLES,
            ),
            (operation.as_strategy(GenerationMode.NEGATIVE), NEGATIVE_EXAMPLES),
        ]
        for strategy, examples in strategies:
            failures.extend(_fuzz(operation.label, strategy, examples))
    assert not failures, "\n\n".join(failures)


def _fuzz(label: str, strategy: Any, examples: int = EXAMPLES) -> list[str]:
    found: list[str] = []

    @given(case=strategy)
    @settings(
        max_examples=examples,
        derandomize=True,  # the same requests on every run
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        try:
            case.call_and_validate(
                headers={"X-API-Key": ADMIN_KEY},
                checks=[not_a_server_error, status_code_conformance],
            )
        except Exception as exc:  # collect instead of stopping: report every operation
            if len(found) < 2:
                found.append(f"{label}: {type(exc).__name__}: {exc}")

    with suppress(Unsatisfiable):  # negative mode on an operation without parameters or body
        run()
    return found


def test_the_fuzzer_sees_a_server_error(fuzzed_app: FastAPI) -> None:
    """The check can fail: a route that breaks is reported (on a copy of the app)."""
    app = create_app(fuzzed_app.state.engine)

    @app.get("/broken", responses={200: {"description": "never"}})
    def broken(n: int = 0) -> dict[str, int]:
        return {"n": 1 // (n - n)}  # ZeroDivisionError: an unexpected exception

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    [operation] = [r.ok() for r in schema.get_all_operations() if r.ok().path == "/broken"]
    failures = _fuzz(operation.label, operation.as_strategy(), examples=2)
    assert failures and "/broken" in failures[0], failures


def test_strategy_is_deterministic(fuzzed_app: FastAPI) -> None:
    """Derandomized generation: two runs draw the same first requests."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    [operation] = [
        r.ok()
        for r in schema.get_all_operations()
        if r.ok().path == "/items" and r.ok().method.upper() == "GET"
    ]

    def draw() -> list[Any]:
        seen: list[Any] = []

        @given(case=operation.as_strategy())
        @settings(max_examples=5, derandomize=True, database=None, deadline=None)
        def collect(case: Any) -> None:
            seen.append(case.query)

        collect()
        return seen

    assert draw() == draw()
