"""The LLM gateway over real HTTP, with the real `openai` SDK, against local stub servers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from rapport.core.config import Settings
from rapport.core.errors import Unavailable
from rapport.core.llm import (
    GatewayConfig,
    LLMGateway,
    LLMOutputInvalid,
    LLMUnavailable,
    ProviderConfig,
    TTLCache,
    tool_schema,
)
from tests.llm_stub import LLMStub, StubToolCall, text_deltas

MakeStub = Callable[..., LLMStub]
USER = [{"role": "user", "content": "recommend a jazz evening"}]


class Verdict(BaseModel):
    label: Literal["like", "dislike"]
    score: float = Field(ge=0, le=1)


class SearchItems(BaseModel):
    """Search the catalogue for items matching a query."""

    query: str
    limit: int = 5


@pytest.fixture
def stubs() -> Iterator[MakeStub]:
    started: list[LLMStub] = []

    def make(name: str = "stub", **behaviour: Any) -> LLMStub:
        stub = LLMStub(name=name, **behaviour).start()
        started.append(stub)
        return stub

    yield make
    for stub in started:
        stub.stop()


def provider(stub: LLMStub, **overrides: Any) -> ProviderConfig:
    values: dict[str, Any] = {
        "name": stub.name,
        "base_url": stub.url,
        "model": f"{stub.name}-model",
        "api_key": "test-key",
        "timeout": 5.0,
        "max_retries": 0,
    }
    return ProviderConfig(**(values | overrides))


def gateway(*providers: ProviderConfig, **config: Any) -> LLMGateway:
    return LLMGateway(
        GatewayConfig(providers=list(providers), **({"retry_base_delay": 0.01} | config))
    )


def test_basic_chat_returns_text_usage_and_provider(stubs: MakeStub) -> None:
    stub = stubs("local")
    result = gateway(provider(stub)).chat(USER, temperature=0.3, max_tokens=50)
    assert result.text == "echo: recommend a jazz evening"
    assert (result.provider, result.model, result.cached) == ("local", "local-model", False)
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (4, 5)
    assert result.finish_reason == "stop" and result.tool_calls == ()
    assert result.latency_ms > 0
    body = stub.requests[0]
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("local-model", 0.3, 50)
    assert body["messages"] == USER


def test_fallback_from_failing_provider_is_in_metrics(stubs: MakeStub) -> None:
    broken, healthy = stubs("broken", fail_status=500), stubs("healthy")
    gw = gateway(provider(broken, max_retries=1), provider(healthy))
    result = gw.chat(USER)
    assert result.provider == "healthy" and result.text == "echo: recommend a jazz evening"
    assert len(broken.requests) == 2 and len(healthy.requests) == 1
    records = gw.metrics.records()
    assert [(r.provider, r.success, r.fallback, r.attempt) for r in records] == [
        ("broken", False, False, 0),
        ("broken", False, False, 1),
        ("healthy", True, True, 0),
    ]
    assert records[0].error is not None and "500" in records[0].error
    summary = gw.metrics.summary()
    assert (summary["broken"].calls, summary["broken"].failures) == (2, 2)
    assert (summary["healthy"].calls, summary["healthy"].failures) == (1, 0)
    assert summary["healthy"].fallbacks == 1
    assert (summary["healthy"].prompt_tokens, summary["healthy"].completion_tokens) == (4, 5)
    assert summary["broken"].prompt_tokens == 0


def test_every_provider_failing_raises_unavailable(stubs: MakeStub) -> None:
    first, second = stubs("first", fail_status=503), stubs("second", fail_status=500)
    with pytest.raises(LLMUnavailable, match=r"first: .*503.*second: .*500"):
        gateway(provider(first), provider(second)).chat(USER)


def test_timeout_triggers_fallback(stubs: MakeStub) -> None:
    slow, fast = stubs("slow", delay=3.0), stubs("fast")
    gw = gateway(provider(slow, timeout=0.3), provider(fast))
    started = time.perf_counter()
    result = gw.chat(USER)
    assert time.perf_counter() - started < 2.0
    assert result.provider == "fast"
    failure = gw.metrics.records()[0]
    assert failure.provider == "slow" and not failure.success
    assert failure.error is not None and failure.error.startswith("APITimeoutError")
    assert 250 <= failure.latency_ms < 2000


def test_transient_errors_are_retried_with_backoff(stubs: MakeStub) -> None:
    flaky = stubs("flaky", fail_times=2)
    gw = gateway(provider(flaky, max_retries=3), retry_base_delay=0.05)
    started = time.perf_counter()
    result = gw.chat(USER)
    assert time.perf_counter() - started >= 0.05 + 0.1  # two backoff sleeps: base, then 2x base
    assert result.provider == "flaky" and len(flaky.requests) == 3
    assert [(r.attempt, r.success) for r in gw.metrics.records()] == [
        (0, False),
        (1, False),
        (2, True),
    ]


def test_bad_key_is_not_retried_but_falls_back(stubs: MakeStub) -> None:
    locked, open_ = stubs("locked"), stubs("open")
    gw = gateway(provider(locked, api_key="wrong", max_retries=3), provider(open_))
    assert gw.chat(USER).provider == "open"
    assert len(locked.requests) == 1
    error = gw.metrics.records()[0].error
    assert error is not None and error.startswith("AuthenticationError 401")


def test_second_identical_call_is_served_from_cache(stubs: MakeStub) -> None:
    stub = stubs("local")
    gw = gateway(provider(stub))
    first = gw.chat(USER)
    second = gw.chat(USER)
    assert len(stub.requests) == 1
    assert (first.cached, second.cached) == (False, True)
    assert (second.text, second.provider) == (first.text, "local")
    assert gw.metrics.summary()["local"].cache_hits == 1
    assert gw.metrics.summary()["local"].calls == 1
    gw.chat(USER, temperature=0.7)  # different parameters: a different entry
    gw.chat(USER, cache=False)  # explicit bypass
    assert len(stub.requests) == 3


def test_cache_is_provider_independent_and_can_be_disabled(stubs: MakeStub) -> None:
    stub = stubs("local")
    # The key is the request content, so a fresh answer after a fallback is reused as is.
    flaky, healthy = stubs("flaky", fail_times=1), stubs("healthy")
    gw = gateway(provider(flaky), provider(healthy))
    assert gw.chat(USER).provider == "healthy"
    assert gw.chat(USER).cached and len(flaky.requests) == 1

    uncached = gateway(provider(stub), cache_enabled=False)
    assert not uncached.chat(USER).cached and not uncached.chat(USER).cached
    assert len(stub.requests) == 2


def test_ttl_cache_expires_and_evicts_least_recently_used() -> None:
    now = [0.0]
    cache: TTLCache[str] = TTLCache(max_entries=2, ttl_seconds=10, clock=lambda: now[0])
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # a is now the most recently used
    cache.put("c", "C")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("A", None, "C")
    now[0] = 10.5
    assert cache.get("a") is None and len(cache) == 1


def test_structured_output_is_repaired_after_one_invalid_reply(stubs: MakeStub) -> None:
    stub = stubs("local")
    stub.invalid_json_then('Sure! ```json\n{"label": "like", "score": 0.9}\n```')
    gw = gateway(provider(stub))
    verdict = gw.structured(USER, Verdict)
    assert verdict == Verdict(label="like", score=0.9)
    assert len(stub.requests) == 2
    first, repair = stub.requests
    assert first["response_format"]["type"] == "json_schema"
    assert first["response_format"]["json_schema"]["name"] == "Verdict"
    assert first["response_format"]["json_schema"]["schema"] == Verdict.model_json_schema()
    assert first["messages"][0]["role"] == "system" and '"score"' in first["messages"][0]["content"]
    assert first["messages"][1:] == USER
    assert repair["messages"][-2] == {"role": "assistant", "content": "{'label': like"}
    assert "Invalid JSON" in repair["messages"][-1]["content"]
    # The validated answer is cached under the schema.
    assert gw.structured(USER, Verdict) == verdict and len(stub.requests) == 2


def test_structured_validation_error_is_quoted_in_the_repair(stubs: MakeStub) -> None:
    stub = stubs("local", replies=['{"label": "like", "score": 3}', '{"label": "dislike"}'])
    stub.replies.append('{"label": "dislike", "score": 0.2}')
    verdict = gateway(provider(stub, json_mode="prompt")).structured(USER, Verdict)
    assert verdict == Verdict(label="dislike", score=0.2)
    assert "response_format" not in stub.requests[0]
    assert "less than or equal to 1" in stub.requests[1]["messages"][-1]["content"]
    assert "score" in stub.requests[2]["messages"][-1]["content"]
    assert "Field required" in stub.requests[2]["messages"][-1]["content"]


def test_structured_output_gives_up_after_all_attempts(stubs: MakeStub) -> None:
    stub = stubs("local", replies=["nope", "still nope", "{}", "never sent"])
    gw = gateway(provider(stub, json_mode="json_object"), structured_retries=2)
    with pytest.raises(LLMOutputInvalid, match="no valid Verdict after 3 replies") as caught:
        gw.structured(USER, Verdict)
    assert len(stub.requests) == 3
    assert stub.requests[0]["response_format"] == {"type": "json_object"}
    assert caught.value.last_reply == "{}" and "label" in caught.value.error
    assert caught.value.status == 502


def test_tool_calls_are_parsed(stubs: MakeStub) -> None:
    schema = tool_schema(SearchItems)
    assert schema == {
        "type": "function",
        "function": {
            "name": "SearchItems",
            "description": "Search the catalogue for items matching a query.",
            "parameters": SearchItems.model_json_schema(),
        },
    }
    call = StubToolCall("SearchItems", {"query": "jazz", "limit": 3})
    stub = stubs("local", replies=[[call]])
    result = gateway(provider(stub)).chat(USER, tools=[schema])
    assert stub.requests[0]["tools"] == [schema]
    assert (result.text, result.finish_reason) == ("", "tool_calls")
    [parsed] = result.tool_calls
    assert (parsed.id, parsed.name, parsed.arguments) == (
        "call_0",
        "SearchItems",
        {"query": "jazz", "limit": 3},
    )
    assert parsed.parse(SearchItems) == SearchItems(query="jazz", limit=3)


def test_tool_call_with_broken_arguments_is_invalid_output(stubs: MakeStub) -> None:
    stub = stubs("local", replies=[[StubToolCall("SearchItems", '{"query": ')]])
    with pytest.raises(LLMOutputInvalid, match="invalid JSON arguments"):
        gateway(provider(stub)).chat(USER, tools=[tool_schema(SearchItems)])


def test_stream_yields_deltas_in_order(stubs: MakeStub) -> None:
    reply = "Try the late jazz club, then a quiet walk home."
    stub = stubs("local", replies=[reply])
    gw = gateway(provider(stub))
    deltas = list(gw.stream(USER, max_tokens=64))
    assert deltas == text_deltas(reply) and len(deltas) == 10
    assert "".join(deltas) == reply
    assert stub.requests[0]["stream"] is True
    assert stub.requests[0]["stream_options"] == {"include_usage": True}
    [record] = gw.metrics.records()
    assert (record.operation, record.success, record.completion_tokens) == ("stream", True, 10)


def test_stream_closed_early_is_recorded(stubs: MakeStub) -> None:
    stub = stubs("local", replies=["one two three four"])
    gw = gateway(provider(stub))
    deltas = gw.stream(USER)
    assert next(deltas) == "one "
    deltas.close()
    [record] = gw.metrics.records()
    assert (record.operation, record.provider, record.success) == ("stream", "local", True)


def test_stream_falls_back_when_provider_fails_before_first_token(stubs: MakeStub) -> None:
    broken, healthy = stubs("broken", fail_status=500), stubs("healthy")
    gw = gateway(provider(broken), provider(healthy))
    assert "".join(gw.stream(USER)) == "echo: recommend a jazz evening"
    records = gw.metrics.records()
    assert [(r.provider, r.success, r.fallback) for r in records] == [
        ("broken", False, False),
        ("healthy", True, True),
    ]


def test_provider_none_is_unavailable() -> None:
    gw = LLMGateway.from_settings(Settings(llm_provider="none"))
    assert gw.available is False and gw.config.providers == []
    with pytest.raises(LLMUnavailable, match="no LLM provider is configured") as caught:
        gw.chat(USER)
    assert isinstance(caught.value, Unavailable) and caught.value.status == 503
    with pytest.raises(LLMUnavailable):
        gw.stream(USER)
    with pytest.raises(LLMUnavailable):
        gw.structured(USER, Verdict)
    assert gw.metrics.records() == []


def test_from_settings_builds_a_one_provider_chain(stubs: MakeStub) -> None:
    stub = stubs("ollama")
    settings = Settings(
        llm_provider="openai", llm_base_url=stub.url, llm_model="llama3.2", llm_api_key="test-key"
    )
    config = GatewayConfig.from_settings(settings)
    [primary] = config.providers
    assert (primary.name, primary.base_url, primary.model) == ("primary", stub.url, "llama3.2")
    assert primary.api_key is not None and primary.api_key.get_secret_value() == "test-key"
    with LLMGateway.from_settings(settings) as gw:
        assert gw.available and gw.chat(USER).provider == "primary"
    assert stub.requests[0]["model"] == "llama3.2"
    with pytest.raises(ValueError, match="llm_model must be set"):
        GatewayConfig.from_settings(Settings(llm_provider="openai", llm_base_url=stub.url))


def test_settings_fallback_chain_is_used_in_order(stubs: MakeStub, tmp_path) -> None:
    down, backup = stubs("down", fail_status=500), stubs("backup")
    (tmp_path / "rapport.toml").write_text(
        '[rapport]\nllm_provider = "openai"\n'
        f'llm_base_url = "{down.url}"\nllm_model = "big"\nllm_api_key = "test-key"\n'
        '[[rapport.llm_fallbacks]]\nname = "backup"\n'
        f'base_url = "{backup.url}"\nmodel = "small"\napi_key = "test-key"\nmax_retries = 0\n'
    )
    settings = Settings.load(data=tmp_path)
    assert [p.name for p in GatewayConfig.from_settings(settings).providers] == [
        "primary",
        "backup",
    ]
    with LLMGateway(
        GatewayConfig.from_settings(settings).model_copy(update={"retry_base_delay": 0.01})
    ) as gw:
        result = gw.chat(USER)
    assert (result.provider, result.model) == ("backup", "small")
    assert down.requests and backup.requests[0]["model"] == "small"


def test_config_rejects_duplicate_names_and_unknown_keys() -> None:
    one = ProviderConfig(name="a", model="m")
    with pytest.raises(ValueError, match="unique"):
        GatewayConfig(providers=[one, one])
    with pytest.raises(ValueError, match="extra"):
        ProviderConfig(name="a", model="m", temperature=0.2)  # type: ignore[call-arg]
