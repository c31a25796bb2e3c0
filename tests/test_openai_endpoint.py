"""The OpenAI-compatible endpoint, driven by the official `openai` client against the real
server: models, plain and streamed completions, conversations, errors; without a language
model and with the stub (including a tool-call round)."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from rapport.core.vectors.local import SentenceTransformerEmbedder
from rapport.engine import Engine
from tests.assistant_world import populate
from tests.conftest import LiveServer
from tests.llm_stub import LLMStub, StubToolCall, llm_settings


@pytest.fixture(scope="module")
def plain(
    tmp_path_factory: pytest.TempPathFactory, minilm: SentenceTransformerEmbedder
) -> Iterator[openai.OpenAI]:
    """One server without a language model for the whole module."""
    data = tmp_path_factory.mktemp("openai-plain")
    with Engine(data=data, embedder=minilm, api_key="secret") as engine:
        populate(engine)
        with (
            LiveServer(engine) as live,
            openai.OpenAI(base_url=f"{live.url}/v1", api_key="secret") as client,
        ):
            yield client


@pytest.fixture(scope="module")
def stub() -> Iterator[LLMStub]:
    server = LLMStub(name="local").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def with_llm(
    tmp_path_factory: pytest.TempPathFactory,
    minilm: SentenceTransformerEmbedder,
    stub: LLMStub,
) -> Iterator[openai.OpenAI]:
    data = tmp_path_factory.mktemp("openai-llm")
    with Engine(
        data=data,
        embedder=minilm,
        **llm_settings(stub),
    ) as engine:
        populate(engine)
        with (
            LiveServer(engine) as live,
            openai.OpenAI(base_url=f"{live.url}/v1", api_key="unused") as client,
        ):
            yield client


def test_models_lists_the_assistant(plain: openai.OpenAI) -> None:
    assert [m.id for m in plain.models.list()] == ["rapport"]


def test_a_completion_continues_its_conversation(plain: openai.OpenAI) -> None:
    first = plain.chat.completions.with_raw_response.create(
        model="rapport",
        messages=[
            {"role": "system", "content": "ignored: rapport has its own persona"},
            {"role": "user", "content": "How do refunds for tickets work?"},
        ],
        user="maya",
    )
    completion = first.parse()
    conversation = first.headers["x-conversation-id"]
    text = completion.choices[0].message.content or ""
    assert "48 hours" in text and completion.choices[0].finish_reason == "stop"
    extra = completion.model_extra or {}
    assert extra["conversation_id"] == conversation
    assert extra["rapport"]["mode"] == "rules"
    assert extra["rapport"]["citations"][0]["document_id"] == "refunds"
    # The conversation id in metadata (or the X-Conversation-Id header) continues it.
    second = plain.chat.completions.create(
        model="rapport",
        messages=[{"role": "user", "content": [{"type": "text", "text": "suggest something"}]}],
        extra_headers={"X-User-Id": "maya"},
        metadata={"conversation_id": conversation},
    )
    assert (second.model_extra or {})["conversation_id"] == conversation
    assert "Python for Beginners" in (second.choices[0].message.content or "")


def test_streaming_sends_the_reply_in_pieces(plain: openai.OpenAI) -> None:
    stream = plain.chat.completions.create(
        model="rapport",
        messages=[{"role": "user", "content": "find a running course"}],
        user="brief",
        stream=True,
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(pieces) > 3
    text = "".join(pieces)
    assert text.startswith("Here is what I found for you:") and "Couch to 10k" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert len({(c.model_extra or {})["conversation_id"] for c in chunks}) == 1


def test_errors_come_back_as_openai_errors(plain: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as missing_user:
        plain.chat.completions.create(model="rapport", messages=[{"role": "user", "content": "hi"}])
    assert "user" in str(missing_user.value)
    with pytest.raises(openai.NotFoundError):
        plain.chat.completions.create(
            model="rapport", messages=[{"role": "user", "content": "hi"}], user="nobody"
        )
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=str(plain.base_url), api_key="wrong").models.list()


def test_with_a_model_a_tool_round_and_a_stream(with_llm: openai.OpenAI, stub: LLMStub) -> None:
    stub.replies = [
        [StubToolCall("recommend", {"k": 2})],
        "Try Python for Beginners: it matches your interest in python.",
    ]
    completion = with_llm.chat.completions.create(
        model="rapport", messages=[{"role": "user", "content": "what next?"}], user="maya"
    )
    assert completion.choices[0].message.content == (
        "Try Python for Beginners: it matches your interest in python."
    )
    rapport = (completion.model_extra or {})["rapport"]
    assert rapport["mode"] == "llm"
    assert rapport["actions"][0]["tool"] == "recommend"
    assert rapport["actions"][0]["result"]["items"][0]["item_id"] == "py101"
    assert stub.requests[-1]["messages"][-1]["role"] == "tool"
    stub.replies = [
        [StubToolCall("search_items", {"query": "yoga"})],
        "Evening yoga would suit you well.",
    ]
    stream = with_llm.chat.completions.create(
        model="rapport",
        messages=[{"role": "user", "content": "and something calmer?"}],
        user="maya",
        stream=True,
        extra_headers={"X-Conversation-Id": (completion.model_extra or {})["conversation_id"]},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "Evening yoga would suit you well."
    assert stub.requests[-1]["stream"] is True  # the answer after the tool round, streamed
    final = (chunks[-1].model_extra or {})["rapport"]
    assert final["actions"][0]["tool"] == "search_items" and final["mode"] == "llm"
    remembered = [m["content"] for m in stub.requests[-1]["messages"][1:3]]
    assert remembered == [
        "what next?",
        "Try Python for Beginners: it matches your interest in python.",
    ]
