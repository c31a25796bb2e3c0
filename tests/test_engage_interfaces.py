"""Engage through its interfaces: messages personalised by the language model (the local
stub) or from templates, opt-out, crisis holds, the "near you now" context nudge, and the
same shapes from the library, REST and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from rapport.core.store.conversations import NewMessage
from rapport.core.vectors.local import SentenceTransformerEmbedder
from rapport.engine import Engine
from tests.conftest import Cli, LiveServer
from tests.engage_world import DAY, T0, H, event, user
from tests.llm_stub import LLMStub, llm_settings

STARTS = T0 + 20 * H
NEAR = {"lat": 38.7110, "lon": -9.1370}


def _workshop(engine: Engine, *users: tuple[str, list[str], bool]) -> None:
    engine.items.add(
        [{"id": "ws", "title": "Darkroom workshop", "starts_at": STARTS, "ends_at": STARTS + H}],
        index=False,
    )
    for user_id, interests, opt_out in users:
        user(engine, user_id, profile={"interests": interests}, ai_opt_out=opt_out)
        event(engine, user_id, "enroll", T0 - H, "ws")


@pytest.fixture
def llm_engine(
    tmp_path: Path, minilm: SentenceTransformerEmbedder, llm: LLMStub
) -> Iterator[Engine]:
    with Engine(data=tmp_path, embedder=minilm, **llm_settings(llm)) as built:
        yield built


def test_the_language_model_personalises_and_is_checked(llm_engine: Engine, llm: LLMStub) -> None:
    _workshop(
        llm_engine,
        ("ana", ["film photography"], False),
        ("bo", ["street photography"], False),
        ("cy", ["portraits"], False),
        ("dee", ["landscapes"], True),
    )
    written = "Darkroom workshop starts tomorrow: bring the film rolls you shot last week."
    llm.replies = [written, "See you tomorrow!", f"{written} I want to kill myself."]
    due = {
        n.user_id: n
        for n in llm_engine.engage.nudges(
            T0,
        )
    }
    # ana: the model's text, which keeps the title.
    assert due["ana"].personalised and due["ana"].message == written
    sent = json.loads(llm.requests[0]["messages"][-1]["content"])
    assert sent["trigger"] == "milestone" and sent["interests"] == ["film photography"]
    assert sent["draft"].startswith("Reminder: Darkroom workshop starts")
    # bo: a reply without the title; cy: one that reads as a crisis. Both get the template.
    for name in ("bo", "cy"):
        assert not due[name].personalised
        assert due[name].message == "Reminder: Darkroom workshop starts tomorrow at 08:00."
    # dee opted out of AI: the template, and the model is never asked.
    assert not due["dee"].personalised and len(llm.requests) == 3


def test_a_failing_model_falls_back_to_the_template(llm_engine: Engine, llm: LLMStub) -> None:
    _workshop(llm_engine, ("eve", ["film"], False))
    llm.fail_status = 500
    (nudge,) = llm_engine.engage.nudges(T0)
    assert not nudge.personalised and nudge.message.startswith("Reminder: Darkroom workshop")


def test_no_nudges_while_the_latest_message_reads_as_a_crisis(sqlite_engine: Engine) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    for name in ("fay", "gil"):
        user(sqlite_engine, name, created_at=(now - 30 * DAY).isoformat())
        event(sqlite_engine, name, "view", now - 2 * DAY)
    # What the assistant stores of a chat (the crisis flow itself is tested elsewhere).
    talks = sqlite_engine._services.conversations
    for name, text in (
        ("fay", "I am going to kill myself tonight, I have the pills"),
        ("gil", "Any photography workshops this weekend?"),
    ):
        conversation = talks.create("default", name)
        talks.append("default", conversation.id, [NewMessage(role="user", content=text)])
    plan = sqlite_engine.engage.plan(now + H)
    assert {n.user_id for n in plan.nudges} == {"gil"}
    assert [(h.user_id, h.reason) for h in plan.held] == [
        ("fay", "latest message reads as a crisis")
    ]


def test_context_change_makes_something_near_due(sqlite_engine: Engine) -> None:
    at = T0.replace(hour=15)  # 15:00 in Lisbon
    sqlite_engine.items.add(
        [
            {"id": "walk", "kind": "event", "title": "Street photography walk",
             "categories": ["photography"], "location": NEAR, "starts_at": at - H,
             "ends_at": at + 2 * H},
            {"id": "far", "kind": "event", "title": "Photo fair in Porto",
             "categories": ["photography"], "location": {"lat": 41.15, "lon": -8.61},
             "starts_at": at - H, "ends_at": at + 2 * H},
            {"id": "mentor", "kind": "mentor", "title": "Photography mentor",
             "categories": ["photography"], "location": NEAR},
            {"id": "jam", "kind": "event", "title": "Night photo jam",
             "categories": ["photography"], "location": NEAR,
             "starts_at": at.replace(hour=20), "ends_at": at.replace(hour=23)},
        ]
    )  # fmt: skip
    user(sqlite_engine, "hal", timezone="Europe/Lisbon")
    found = sqlite_engine.engage.context("hal", at=at, context={"activity": "walking"}, **NEAR)
    assert found.context.context == {"activity": "walking"}
    assert found.nudge is not None and found.nudge.item_id == "walk"
    assert found.nudge.trigger == "near_now" and found.nudge.send_at == at
    assert "Street photography walk" in found.nudge.message
    # The stored context keeps the nudge due for the next two hours, in the full list.
    later = [n for n in sqlite_engine.engage.nudges(at + H) if n.trigger == "near_now"]
    assert [n.period for n in later] == [found.nudge.period]
    assert not [n for n in sqlite_engine.engage.nudges(at + 3 * H) if n.trigger == "near_now"]
    # In Porto nothing near is on now; at 21:30 in Lisbon the jam is on, but in quiet hours.
    porto = sqlite_engine.engage.context("hal", 41.0, -8.0, at=at)
    assert porto.nudge is None
    night = sqlite_engine.engage.context("hal", at=at.replace(hour=21, minute=30), **NEAR)
    assert night.nudge is None
    assert [h.reason for h in night.held] == ["quiet hours: no longer 'now'"]


def test_library_rest_and_cli_agree(sqlite_engine: Engine, tmp_path: Path) -> None:
    user(sqlite_engine, "ivy", profile={"hours_per_week": 6, "interests": ["film"]})
    event(sqlite_engine, "ivy", "complete", T0 - 3 * DAY, "c1")
    at = T0.isoformat()
    library = [n.model_dump(mode="json") for n in sqlite_engine.engage.nudges(at)]
    assert {n["trigger"] for n in library} == {"inactivity", "goal_deviation"}
    for n in library:
        assert {"user_id", "trigger", "priority", "message", "send_at", "channel"} <= set(n)
    scores = sqlite_engine.engage.scores("ivy", at).model_dump(mode="json")
    assert scores["abandonment_risk"] is None and scores["engagement"]["drivers"]
    with LiveServer(sqlite_engine) as live:
        assert httpx.get(f"{live.url}/nudges", params={"at": at}).json() == library
        assert httpx.get(f"{live.url}/nudges", params={"at": at, "user_id": "x"}).status_code == 404
        got = httpx.get(f"{live.url}/users/ivy/scores", params={"at": at})
        assert got.json() == scores
        bad = httpx.post(f"{live.url}/users/ivy/context", json={"lat": 38.7})
        assert bad.status_code == 422 and "lon" in bad.text
        assert httpx.get(f"{live.url}/nudges", params={"at": "soon"}).status_code == 422
    cli = Cli(tmp_path)
    assert cli("nudges", "--at", at, "--json").json() == library
    assert cli("scores", "ivy", "--at", at, "--json").json() == scores
    table = cli("nudges", "--at", at, "--held")
    assert table.returncode == 0 and "goal_deviation" in table.stdout
    assert cli("nudges", "--at", "yesterday").returncode == 2
