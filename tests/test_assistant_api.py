"""The assistant over REST and the CLI: the same result models as the library."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from rapport.core.vectors.local import SentenceTransformerEmbedder
from rapport.engine import Engine
from rapport.interfaces.cli.main import app
from tests.assistant_world import DOCS, ITEMS, USERS, populate
from tests.conftest import Cli, LiveServer


@pytest.fixture(scope="module")
def api(
    tmp_path_factory: pytest.TempPathFactory, minilm: SentenceTransformerEmbedder
) -> Iterator[httpx.Client]:
    data = tmp_path_factory.mktemp("assistant-api")
    with Engine(data=data, embedder=minilm) as engine:
        populate(engine)
        with LiveServer(engine) as live, httpx.Client(base_url=live.url, timeout=60) as client:
            yield client


def test_chat_over_rest(api: httpx.Client) -> None:
    first = api.post("/users/maya/chat", json={"message": "How do refunds work?"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) >= {"reply", "conversation_id", "citations", "actions", "escalation", "mode"}
    assert body["mode"] == "rules" and body["escalation"] is None
    assert body["citations"][0]["document_id"] == "refunds"
    second = api.post(
        "/users/maya/chat",
        json={
            "message": "suggest something",
            "conversation_id": body["conversation_id"],
            "context": {"page": "home"},
        },
    ).json()
    assert second["conversation_id"] == body["conversation_id"]
    stored = api.get(f"/conversations/{body['conversation_id']}").json()
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"] * 2
    assert stored["messages"][2]["data"]["context"] == {"page": "home"}
    assert stored["messages"][3]["content"] == second["reply"]


def test_rest_errors(api: httpx.Client) -> None:
    assert api.post("/users/nobody/chat", json={"message": "hi"}).status_code == 404
    empty = api.post("/users/maya/chat", json={"message": ""})
    assert empty.status_code == 422 and empty.json()["error"]["details"][0]["field"] == "message"
    unknown = api.post("/users/maya/chat", json={"message": "hi", "mood": "sad"})
    assert unknown.status_code == 422
    assert api.get("/conversations/nope").status_code == 404


def test_persona_and_intent_over_rest(api: httpx.Client) -> None:
    assert api.get("/persona").json()["name"] == "Rapport"
    persona = {"name": "Max", "tone": "direct", "sample_texts": ["Do the work. Then rest."]}
    saved = api.put("/persona", json=persona)
    assert saved.status_code == 200 and saved.json()["tone"] == "direct"
    assert api.get("/persona").json()["sample_texts"] == ["Do the work. Then rest."]
    bad = api.put("/persona", json={"name": "Max", "tone": "sarcastic"})
    assert bad.status_code == 422 and api.get("/persona").json()["tone"] == "direct"
    reply = api.post("/users/maya/chat", json={"message": "find a running course"}).json()
    assert reply["reply"].startswith("Hi maya.\n\nResults:")
    found = api.post("/assistant/intent", json={"text": "Tell Paul that I'm running late"})
    assert found.status_code == 200
    assert found.json()["intent"] == "send_message"
    assert found.json()["parameters"]["recipient"] == "Paul"


def test_cli_chat_persona_and_intent(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    for name, rows in (("items", ITEMS), ("users", USERS)):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows))
        assert cli(name, "import", str(path)).returncode == 0
    docs = tmp_path / "docs.jsonl"
    docs.write_text("\n".join(json.dumps(d) for d in DOCS))
    assert cli("kb", "add", str(docs)).returncode == 0
    assert cli("persona", "set", "--name", "Coach Lena", "--tone", "calm", "--json").json()[
        "name"
    ] == ("Coach Lena")
    shown = cli("persona", "show", "--json").json()
    assert (shown["name"], shown["tone"]) == ("Coach Lena", "calm")
    assert cli("persona", "set", "--tone", "sarcastic").returncode == 2
    first = cli("chat", "maya", "--message", "How do refunds work?", "--json").json()
    assert first["mode"] == "rules" and first["citations"][0]["document_id"] == "refunds"
    assert first["reply"].startswith("Hello maya, take your time.")
    again = cli(
        "chat",
        "maya",
        "-m",
        "suggest something",
        "--conversation",
        first["conversation_id"],
        "--json",
    ).json()
    assert again["conversation_id"] == first["conversation_id"]
    assert cli("chat", "nobody", "-m", "hi").returncode == 1
    found = cli("assistant", "intent", "book a call with Ana tomorrow at 5pm", "--json").json()
    assert found["intent"] == "schedule_session" and found["parameters"]["with"] == "Ana"
    people = cli("chat", "maya", "-m", "find a running course")
    assert people.returncode == 0 and "Couch to 10k" in people.stdout
    stored = cli("assistant", "conversation", first["conversation_id"], "--json").json()
    assert len(stored["messages"]) == 4
    talk = CliRunner().invoke(
        app,
        [*cli.options, "chat", "maya"],
        input="suggest something\nfind a running course\nexit\n",
        env={"COLUMNS": "200"},
    )
    assert talk.exit_code == 0, talk.output
    assert "Python for Beginners" in talk.stdout and "Couch to 10k" in talk.stdout
    said = re.search(r"conversation: ([0-9a-f]{32})", talk.stdout)
    assert said is not None
    conversation = said.group(1)
    assert len(cli("assistant", "conversation", conversation, "--json").json()["messages"]) == 4
