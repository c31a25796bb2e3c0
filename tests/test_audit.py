"""The audit log: every answer is recorded with its model, a hash of the prompt, the
output and a hash of the user id, and can be read from the library, REST and the CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest

from rapport.core.errors import InvalidInput
from rapport.core.store.audit import user_hash
from rapport.engine import Engine
from tests.conftest import Cli, CountingEmbedder, LiveServer
from tests.llm_stub import LLMStub, llm_settings
from tests.test_answers import DOCS

QUESTION = "Can I get a refund for my event ticket?"


def test_answers_are_audited_without_naming_the_user(sqlite_engine: Engine) -> None:
    sqlite_engine.kb.add_records(DOCS)
    sqlite_engine.users.add([{"id": "ana"}])
    answer = sqlite_engine.kb.ask(QUESTION, user_id="ana")
    sqlite_engine.kb.ask("Who runs the mentoring programme?")
    page = sqlite_engine.audit.list()
    assert page.total == 2
    entry = page.items[-1]  # newest first: the first question is last
    assert entry.action == "answer" and entry.model == "extractive"
    assert entry.output == answer.answer
    assert entry.prompt_hash == hashlib.sha256(QUESTION.encode()).hexdigest()
    assert entry.user_hash == user_hash("default", "ana") and "ana" not in entry.user_hash
    assert page.items[0].user_hash == ""
    assert [e.id for e in sqlite_engine.audit.list(user_id="ana").items] == [entry.id]
    assert sqlite_engine.audit.list(action="nudge").total == 0
    with pytest.raises(InvalidInput):
        sqlite_engine.audit.list(action="launch")

    with LiveServer(sqlite_engine) as server, httpx.Client(base_url=server.url) as http:
        listed = http.get("/audit", params={"user_id": "ana"}).json()
        assert [e["id"] for e in listed["items"]] == [entry.id]
        assert http.get("/audit", params={"action": "launch"}).status_code == 422
    cli = Cli(sqlite_engine.settings.data)
    shown = cli("audit", "--action", "answer", "--json").json()
    assert shown["total"] == 2 and shown["items"][-1]["output"] == answer.answer
    assert cli("audit", "--action", "launch").returncode == 2


def test_generated_answers_name_the_model(
    tmp_path: Path, embedder: CountingEmbedder, llm: LLMStub
) -> None:
    llm.replies = ["Tickets can be refunded until 48 hours before the event [1]."]
    with Engine(
        data=tmp_path,
        embedder=embedder,
        **llm_settings(llm),
    ) as engine:
        engine.kb.add_records(DOCS)
        answer = engine.kb.ask(QUESTION)
        (entry,) = engine.audit.list().items
    assert answer.mode == "generated"
    assert entry.model == "tiny" and entry.output == answer.answer


def test_assistant_replies_and_generated_content_are_audited(sqlite_engine: Engine) -> None:
    sqlite_engine.users.add([{"id": "ana", "profile": {"interests": ["photography"]}}])
    reply = sqlite_engine.assistant.chat("ana", "Hello there!")
    post = sqlite_engine.generate.post(
        "ana", platform="x", achievement="finished the photography course"
    )
    chat_entry = sqlite_engine.audit.list(action="assistant").items[0]
    assert chat_entry.output == reply.reply and chat_entry.model == "rules"
    assert chat_entry.prompt_hash == hashlib.sha256(b"Hello there!").hexdigest()
    generated = sqlite_engine.audit.list(action="generation").items[0]
    assert generated.user_hash == user_hash("default", "ana")
    assert json.loads(generated.output)["hashtags"] == post.hashtags
    assert generated.model == post.mode
    # The audit log keeps no personal data, even when the output carried some.
    mailed = sqlite_engine.generate.post(
        "ana", platform="x", achievement="finished the course, ask me at ana.silva@example.com"
    )
    assert "ana.silva@example.com" in mailed.text
    assert (
        "ana.silva@example.com" not in sqlite_engine.audit.list(action="generation").items[0].output
    )
