"""The assistant with a language model (the local stub server): the persona and the user in
the system prompt, tool-call rounds, memory, the AI opt-out, fallback to rules, and intents
and summaries written by the model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rapport.engine import Engine
from tests.assistant_world import populate
from tests.conftest import CountingEmbedder
from tests.llm_stub import LLMStub, StubToolCall, llm_settings


@pytest.fixture
def world(tmp_path: Path, embedder: CountingEmbedder, llm: LLMStub) -> Iterator[Engine]:
    with Engine(
        data=tmp_path,
        embedder=embedder,
        **llm_settings(llm),
    ) as built:
        yield populate(built)


def test_a_knowledge_tool_round_gives_a_cited_reply_in_the_persona(
    world: Engine, llm: LLMStub
) -> None:
    world.persona.set(name="Coach Lena", methodology="One clear goal first.", tone="calm")
    llm.replies = [
        [StubToolCall("knowledge_answer", {"question": "How do ticket refunds work?"})],
        "Take a breath: tickets are refundable until 48 hours before the event [1].",
    ]
    reply = world.assistant.chat("maya", "Can I get my ticket money back?")
    assert reply.mode == "llm"
    assert reply.reply.startswith("Take a breath: tickets are refundable")
    assert [(a.tool, a.status) for a in reply.actions] == [("knowledge_answer", "done")]
    assert reply.citations and reply.citations[0].document_id == "refunds"
    first, second = llm.requests
    system = first["messages"][0]["content"]
    assert "You are Coach Lena" in system and "One clear goal first." in system
    assert "get a junior developer job" in system and "communication style: warm" in system
    assert {t["function"]["name"] for t in first["tools"]} >= {
        "recommend",
        "search_items",
        "knowledge_answer",
        "explain_recommendation",
        "update_profile",
    }
    called, result = second["messages"][-2], second["messages"][-1]
    assert called["tool_calls"][0]["function"]["name"] == "knowledge_answer"
    assert result["role"] == "tool" and result["tool_call_id"] == called["tool_calls"][0]["id"]
    assert "48 hours" in result["content"]


def test_tool_calls_change_the_profile_and_bad_calls_fail_softly(
    world: Engine, llm: LLMStub
) -> None:
    llm.replies = [
        [
            StubToolCall("update_profile", {"add_goals": ["learn SQL"], "hours_per_week": 4}),
            StubToolCall("teleport", {"to": "mars"}),
        ],
        "Noted: SQL it is, four hours a week.",
    ]
    reply = world.assistant.chat("maya", "I want to learn SQL, about 4 hours a week")
    assert reply.mode == "llm" and reply.reply == "Noted: SQL it is, four hours a week."
    assert [(a.tool, a.status) for a in reply.actions] == [
        ("update_profile", "done"),
        ("teleport", "failed"),
    ]
    profile = world.users.get("maya").profile
    assert profile.goals == ["get a junior developer job", "learn SQL"]
    assert profile.hours_per_week == 4


def test_the_model_sees_the_earlier_exchanges(world: Engine, llm: LLMStub) -> None:
    first = world.assistant.chat("maya", "I like evening classes")
    world.assistant.chat("maya", "What fits me?", conversation_id=first.conversation_id)
    messages = llm.requests[-1]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == "I like evening classes"
    assert messages[2]["content"] == "echo: I like evening classes"


def test_opted_out_users_and_failing_models_get_rule_based_replies(
    world: Engine, llm: LLMStub
) -> None:
    reply = world.assistant.chat("optout", "How do refunds work?")
    assert reply.mode == "rules" and llm.requests == []
    assert reply.citations and reply.citations[0].document_id == "refunds"
    assert world.assistant.intent("find yoga", user_id="optout").method == "rules"
    assert llm.requests == []
    llm.fail_status = 401  # not worth retrying: the chain gives up at once
    fallback = world.assistant.chat("maya", "recommend something for me")
    assert fallback.mode == "rules" and fallback.actions[0].tool == "recommend"
    assert len(llm.requests) == 1


def test_intents_and_summaries_from_the_model(world: Engine, llm: LLMStub) -> None:
    llm.replies = ['{"intent": "search", "confidence": 0.9, "parameters": {"query": "yoga"}}']
    found = world.assistant.intent("I need to unwind somewhere")
    assert (found.intent, found.method, found.confidence) == ("search", "llm", 0.9)
    assert found.parameters["query"] == "yoga"
    conversation = None
    for n in range(10):
        reply = world.assistant.chat("maya", f"note {n}", conversation_id=conversation)
        conversation = reply.conversation_id
    assert conversation is not None
    assert world.assistant.conversation(conversation).summary == ""
    llm.replies = ["echo reply", "Maya keeps sending numbered notes."]
    world.assistant.chat("maya", "note 10", conversation_id=conversation)
    assert world.assistant.conversation(conversation).summary == (
        "Maya keeps sending numbered notes."
    )
    summary_request = llm.requests[-1]["messages"][-1]["content"]
    assert "user: note 0" in summary_request and "note 1" not in summary_request


def test_after_a_tool_round_the_answer_is_streamed_as_generated(
    world: Engine, llm: LLMStub
) -> None:
    llm.replies = [
        [StubToolCall("search_items", {"query": "running course"})],
        "Couch to 10k is a gentle start.",
    ]
    stream = world.assistant.stream("maya", "anything for running?")
    assert stream.reply is None  # stored once the pieces are read
    pieces = list(stream.pieces)
    assert pieces == ["Couch ", "to ", "10k ", "is ", "a ", "gentle ", "start."]
    assert llm.requests[-1]["stream"] is True and llm.requests[-1]["messages"][-1]["role"] == (
        "tool"
    )
    assert "tools" not in llm.requests[-1]  # the answer round: no more tools
    assert stream.reply is not None and stream.reply.mode == "llm"
    assert stream.reply.actions[0].result["items"][0]["item_id"] == "run"
    stored = world.assistant.conversation(stream.conversation_id).messages
    assert [m.content for m in stored] == [
        "anything for running?",
        "Couch to 10k is a gentle start.",
    ]


def test_an_experiment_variant_can_switch_the_model_off(world: Engine, llm: LLMStub) -> None:
    world.experiments.create(
        "ai-or-rules",
        {"rules": {"share": 50, "settings": {"llm": False}}, "ai": {"share": 50}},
    )
    candidates = [f"user-{n}" for n in range(40)]
    world.users.add([{"id": user_id} for user_id in candidates])
    by_variant: dict[str, str] = {}
    for assigned in world.experiments.assign_many("ai-or-rules", candidates):
        by_variant.setdefault(assigned.variant, assigned.user_id)
    rules_user, ai_user = by_variant["rules"], by_variant["ai"]

    reply = world.assistant.chat(rules_user, "How do refunds work?")
    assert reply.mode == "rules" and llm.requests == []
    assert world.assistant.intent("find yoga", user_id=rules_user).method == "rules"
    assert world.kb.ask("How do refunds work?", user_id=rules_user).mode == "extractive"
    assert llm.requests == []

    assert world.assistant.chat(ai_user, "How do refunds work?").mode == "llm"
    assert len(llm.requests) == 1
