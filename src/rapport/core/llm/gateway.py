"""The LLM gateway: the only place in rapport that talks to language models.

Every provider is an OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp server, hosted
APIs) reached through the official `openai` SDK. Providers form an ordered fallback chain;
transient errors are retried with exponential backoff before moving to the next provider.
An empty chain (provider `none`) is a supported configuration: callers catch
`LLMUnavailable` and use their deterministic mode.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from rapport.core.config import Settings
from rapport.core.errors import RapportError, Unavailable
from rapport.core.llm.cache import TTLCache, request_key
from rapport.core.llm.metrics import CallRecord, LLMMetrics
from rapport.core.llm.structured import (
    JsonMode,
    ToolCall,
    parse_tool_calls,
    repair_messages,
    response_format,
    schema_instruction,
    validate_reply,
)
from rapport.core.pii import redact_message_content

if TYPE_CHECKING:  # the SDK is imported when a provider is configured, not before
    from openai import OpenAI, OpenAIError, Stream
    from openai.types.chat import ChatCompletionChunk

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Message = dict[str, Any]

# Worth another try on the same provider; anything else (bad key, unknown model) is not.
_TRANSIENT_STATUS = {408, 409, 429}


class LLMUnavailable(Unavailable):
    """No language model can answer: provider `none`, or every provider of the chain failed."""

    code = "llm_unavailable"


class LLMOutputInvalid(RapportError):
    """The model kept answering with output that does not match the requested shape."""

    status = 502
    code = "llm_output_invalid"

    def __init__(self, message: str, *, last_reply: str = "", error: str = "") -> None:
        self.last_reply = last_reply
        self.error = error
        super().__init__(message)


class ProviderConfig(BaseModel):
    """One OpenAI-compatible chat endpoint of the fallback chain."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    """Label used in metrics, logs and `ChatResult.provider`."""

    base_url: str | None = None
    """e.g. `http://localhost:11434/v1` (Ollama); unset means the SDK default (OpenAI)."""

    model: str = Field(min_length=1)
    """Model name on that endpoint."""

    api_key: SecretStr | None = None
    """Key for the endpoint; local servers usually ignore it."""

    timeout: float = Field(default=60.0, gt=0)
    """Seconds one request may take (for streams: the wait between chunks)."""

    max_retries: int = Field(default=2, ge=0, le=10)
    """Extra tries on transient errors (timeouts, connection errors, 429, 5xx)."""

    json_mode: JsonMode = "json_schema"
    """How structured output is requested: `json_schema` (vLLM, llama.cpp, recent Ollama,
    OpenAI), `json_object`, or `prompt` (schema only in the system message)."""


class GatewayConfig(BaseModel):
    """Fallback chain, retries, cache and structured-output settings of the gateway."""

    model_config = ConfigDict(extra="forbid")

    providers: list[ProviderConfig] = Field(default_factory=list)
    """Tried in order. Empty means provider `none`: no LLM, deterministic features only."""

    retry_base_delay: float = Field(default=0.5, ge=0)
    """Seconds before the first retry; doubles on each further retry."""

    retry_max_delay: float = Field(default=8.0, ge=0)
    """Upper bound of one backoff sleep."""

    cache_enabled: bool = True
    """Serve identical chat and structured requests from memory."""

    cache_max_entries: int = Field(default=1024, ge=1)
    """Least recently used answers are evicted beyond this."""

    cache_ttl_seconds: float = Field(default=3600.0, gt=0)
    """Cached answers expire after this many seconds."""

    structured_retries: int = Field(default=2, ge=0, le=10)
    """Repair requests sent after an invalid structured reply before giving up."""

    metrics_max_records: int = Field(default=10_000, ge=1)
    """Per-request records kept in memory."""

    redact_pii: bool = True
    """Replace emails, phone numbers, card numbers, IBANs and street addresses in every
    message by placeholders before it leaves for a provider (`rapport.core.pii`)."""

    @field_validator("providers")
    @classmethod
    def _unique_names(cls, providers: list[ProviderConfig]) -> list[ProviderConfig]:
        names = [p.name for p in providers]
        if len(names) != len(set(names)):
            raise ValueError(f"provider names must be unique, got {names}")
        return providers

    @classmethod
    def from_settings(cls, settings: Settings) -> GatewayConfig:
        """`primary` (the `llm_*` settings) followed by the `llm_fallbacks` chain for
        `llm_provider = "openai"`; no provider at all for `"none"`."""
        if settings.llm_provider == "none":
            return cls()
        if not settings.llm_model:
            raise ValueError("llm_model must be set when llm_provider is 'openai'")
        primary = ProviderConfig(
            name="primary",
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
        )
        fallbacks = [ProviderConfig.model_validate(p) for p in settings.llm_fallbacks]
        return cls(providers=[primary, *fallbacks])


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True)
class ChatResult:
    """A chat answer and where it came from."""

    text: str
    tool_calls: tuple[ToolCall, ...]
    provider: str
    model: str
    usage: Usage
    latency_ms: float
    """Wall time of the whole call, retries and fallbacks included."""
    cached: bool = False
    finish_reason: str | None = None


@dataclass(frozen=True)
class _Sent(Generic[T]):
    """What a successful request returned, and which provider and attempt made it."""

    value: T
    provider: ProviderConfig
    fallback: bool
    attempt: int
    started: float


@dataclass
class _OpenStream:
    """A stream that has produced its first text delta (or ended without one)."""

    stream: Stream[ChatCompletionChunk]
    chunks: Iterator[ChatCompletionChunk]
    first: str
    usage: Usage = field(default_factory=Usage)

    def take(self, chunk: ChatCompletionChunk) -> str:
        """Remember usage (sent in the last chunk) and return the chunk's text delta."""
        if chunk.usage is not None:
            self.usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
        if chunk.choices and chunk.choices[0].delta.content:
            return chunk.choices[0].delta.content
        return ""


class LLMGateway:
    """Chat, streaming, structured output and tool calling over a provider fallback chain."""

    def __init__(self, config: GatewayConfig | None = None) -> None:
        self.config = config or GatewayConfig()
        self.metrics = LLMMetrics(self.config.metrics_max_records)
        self._cache: TTLCache[ChatResult] | None = (
            TTLCache(self.config.cache_max_entries, self.config.cache_ttl_seconds)
            if self.config.cache_enabled
            else None
        )
        self._clients = {
            p.name: _client_class()(
                base_url=p.base_url,
                # The SDK refuses to start without a key; local servers do not need one.
                api_key=p.api_key.get_secret_value() if p.api_key else "unused",
                timeout=p.timeout,
                max_retries=0,  # retries are ours, so they are counted and configurable
            )
            for p in self.config.providers
        }

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMGateway:
        return cls(GatewayConfig.from_settings(settings))

    @property
    def available(self) -> bool:
        return bool(self.config.providers)

    @property
    def model(self) -> str:
        """The first provider's model ("" without one): what answers when nothing fails."""
        return self.config.providers[0].model if self.config.providers else ""

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def __enter__(self) -> LLMGateway:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def chat(
        self,
        messages: list[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = 1024,
        tools: list[dict[str, Any]] | None = None,
        cache: bool = True,
    ) -> ChatResult:
        """One completion. `tools` are OpenAI tool schemas (see `tool_schema`); the calls the
        model makes come back parsed in `ChatResult.tool_calls`."""
        self._require_available()
        started = time.perf_counter()
        key = self._key(cache, "chat", messages, temperature, max_tokens, tools=tools)
        hit = self._cached(key, "chat", started)
        if hit is not None:
            return hit
        result = self._complete("chat", messages, temperature, max_tokens, tools=tools)
        result = replace(result, latency_ms=_ms_since(started))
        self._store(key, result)
        return result

    def structured(
        self,
        messages: list[Message],
        schema: type[M],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = 1024,
        cache: bool = True,
    ) -> M:
        """A reply validated as `schema`. Invalid replies get up to `structured_retries` repair
        requests that quote the error; then `LLMOutputInvalid` is raised."""
        self._require_available()
        started = time.perf_counter()
        key = self._key(
            cache,
            "structured",
            messages,
            temperature,
            max_tokens,
            schema=schema.model_json_schema(),
        )
        hit = self._cached(key, "structured", started)
        if hit is not None:
            return schema.model_validate_json(hit.text)
        prompt = [schema_instruction(schema), *messages]
        attempt_messages = prompt
        last_error: Exception | None = None
        last_reply = ""
        for _ in range(self.config.structured_retries + 1):
            result = self._complete(
                "structured", attempt_messages, temperature, max_tokens, schema=schema
            )
            try:
                value = validate_reply(result.text, schema)
            except ValueError as exc:
                last_error, last_reply = exc, result.text
                # Only the latest bad exchange is sent back: prompts stay short for small models.
                attempt_messages = [*prompt, *repair_messages(result.text, exc)]
                continue
            canonical = replace(result, text=value.model_dump_json(), latency_ms=_ms_since(started))
            self._store(key, canonical)
            return value
        raise LLMOutputInvalid(
            f"no valid {schema.__name__} after {self.config.structured_retries + 1} replies: "
            f"{str(last_error)[:300]}",
            last_reply=last_reply,
            error=str(last_error),
        )

    def stream(
        self,
        messages: list[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = 1024,
    ) -> Generator[str, None, None]:
        """Text deltas as they arrive. The stream is opened here, up to its first token, so a
        provider that fails before then is retried or skipped and errors surface at the call;
        a break after the first token raises `LLMUnavailable` from the iterator. Iterate to
        the end or `close()` the iterator: that releases the connection and records metrics.
        Streams are never cached."""
        self._require_available()

        def open_stream(client: OpenAI, provider: ProviderConfig) -> _OpenStream:
            stream = client.chat.completions.create(
                **_params(provider, messages, temperature, max_tokens, self.config.redact_pii),
                stream=True,
                stream_options={"include_usage": True},
            )
            opened = _OpenStream(stream=stream, chunks=iter(stream), first="")
            try:
                for chunk in opened.chunks:
                    opened.first = opened.take(chunk)
                    if opened.first:
                        break
            except BaseException:
                stream.close()
                raise
            return opened

        sent = self._send("stream", open_stream)
        return self._relay(sent)

    def _relay(self, sent: _Sent[_OpenStream]) -> Generator[str, None, None]:
        from openai import OpenAIError

        opened, provider = sent.value, sent.provider
        error: str | None = None
        try:
            if opened.first:
                yield opened.first
            for chunk in opened.chunks:
                text = opened.take(chunk)
                if text:
                    yield text
        except OpenAIError as exc:
            error = _describe(exc)
            raise LLMUnavailable(f"stream from '{provider.name}' broke off: {error}") from exc
        finally:
            opened.stream.close()
            self._record_sent("stream", sent, opened.usage, error)

    def _complete(
        self,
        operation: str,
        messages: list[Message],
        temperature: float,
        max_tokens: int | None,
        *,
        tools: list[dict[str, Any]] | None = None,
        schema: type[BaseModel] | None = None,
    ) -> ChatResult:
        """One uncached completion through the chain."""

        def send(client: OpenAI, provider: ProviderConfig) -> Any:
            params = _params(provider, messages, temperature, max_tokens, self.config.redact_pii)
            if tools:
                params["tools"] = tools
            if schema is not None:
                fmt = response_format(schema, provider.json_mode)
                if fmt is not None:
                    params["response_format"] = fmt
            return client.chat.completions.create(**params)

        sent = self._send(operation, send)
        completion = sent.value
        usage = (
            Usage(completion.usage.prompt_tokens, completion.usage.completion_tokens)
            if completion.usage
            else Usage()
        )
        self._record_sent(operation, sent, usage, None)
        choice = completion.choices[0] if completion.choices else None
        message = choice.message if choice else None
        try:
            tool_calls = parse_tool_calls(message.tool_calls if message else None)
        except ValueError as exc:
            raise LLMOutputInvalid(str(exc)) from exc
        return ChatResult(
            text=(message.content or "") if message else "",
            tool_calls=tuple(tool_calls),
            provider=sent.provider.name,
            model=completion.model or sent.provider.model,
            usage=usage,
            latency_ms=_ms_since(sent.started),
            finish_reason=choice.finish_reason if choice else None,
        )

    def _send(self, operation: str, request: Callable[[OpenAI, ProviderConfig], T]) -> _Sent[T]:
        """Try each provider in order, retrying transient errors; the first success wins."""
        from openai import OpenAIError

        failures: list[str] = []
        for index, provider in enumerate(self.config.providers):
            client = self._clients[provider.name]
            for attempt in range(provider.max_retries + 1):
                if attempt:
                    time.sleep(self._backoff(attempt))
                started = time.perf_counter()
                try:
                    value = request(client, provider)
                except OpenAIError as exc:
                    self.metrics.record(
                        CallRecord(
                            operation=operation,
                            provider=provider.name,
                            model=provider.model,
                            latency_ms=_ms_since(started),
                            prompt_tokens=0,
                            completion_tokens=0,
                            cached=False,
                            success=False,
                            fallback=index > 0,
                            attempt=attempt,
                            error=_describe(exc),
                        )
                    )
                    failures.append(f"{provider.name}: {_describe(exc)}")
                    if not _is_transient(exc):
                        break
                    continue
                return _Sent(value, provider, index > 0, attempt, started)
        raise LLMUnavailable("every LLM provider failed: " + "; ".join(failures))

    def _backoff(self, attempt: int) -> float:
        return min(self.config.retry_base_delay * 2 ** (attempt - 1), self.config.retry_max_delay)

    def _record_sent(
        self, operation: str, sent: _Sent[Any], usage: Usage, error: str | None
    ) -> None:
        self.metrics.record(
            CallRecord(
                operation=operation,
                provider=sent.provider.name,
                model=sent.provider.model,
                latency_ms=_ms_since(sent.started),
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                cached=False,
                success=error is None,
                fallback=sent.fallback,
                attempt=sent.attempt,
                error=error,
            )
        )

    def _require_available(self) -> None:
        if not self.available:
            raise LLMUnavailable(
                "no LLM provider is configured (llm_provider = 'none'); "
                "use the deterministic mode instead"
            )

    def _key(
        self,
        cache: bool,
        operation: str,
        messages: list[Message],
        temperature: float,
        max_tokens: int | None,
        **extra: Any,
    ) -> str | None:
        if not cache or self._cache is None:
            return None
        return request_key(
            operation=operation,
            messages=messages,
            temperature=temperature,
            max_tokens=max_tokens,
            **extra,
        )

    def _cached(self, key: str | None, operation: str, started: float) -> ChatResult | None:
        if key is None or self._cache is None:
            return None
        hit = self._cache.get(key)
        if hit is None:
            return None
        latency = _ms_since(started)
        self.metrics.record(
            CallRecord(
                operation=operation,
                provider=hit.provider,
                model=hit.model,
                latency_ms=latency,
                prompt_tokens=0,
                completion_tokens=0,
                cached=True,
                success=True,
                fallback=False,
            )
        )
        # A copy: callers may mutate tool-call arguments without touching the cache.
        return replace(copy.deepcopy(hit), cached=True, latency_ms=latency)

    def _store(self, key: str | None, result: ChatResult) -> None:
        if key is not None and self._cache is not None:
            self._cache.put(key, result)


def _params(
    provider: ProviderConfig,
    messages: list[Message],
    temperature: float,
    max_tokens: int | None,
    redact: bool,
) -> dict[str, Any]:
    if redact:  # the one place every request passes: no personal data leaves
        messages = [
            {**m, "content": redact_message_content(m["content"])} if "content" in m else m
            for m in messages
        ]
    params: dict[str, Any] = {
        "model": provider.model,
        "messages": messages,
        "temperature": temperature,
    }
    # `max_tokens`, not `max_completion_tokens`: it is what Ollama, vLLM and llama.cpp accept.
    if max_tokens is not None:
        params["max_tokens"] = max_tokens
    return params


def _client_class() -> type[OpenAI]:
    from openai import OpenAI

    return OpenAI


def _is_transient(exc: OpenAIError) -> bool:
    from openai import APIConnectionError, APIStatusError

    if isinstance(exc, APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, APIStatusError):
        return exc.status_code in _TRANSIENT_STATUS or exc.status_code >= 500
    return False


def _describe(exc: OpenAIError) -> str:
    from openai import APIStatusError

    status = f" {exc.status_code}" if isinstance(exc, APIStatusError) else ""
    return f"{type(exc).__name__}{status}: {str(exc)[:200]}"


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
