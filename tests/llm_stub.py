"""A local OpenAI-compatible chat server for the LLM gateway tests.

Each `LLMStub` is its own uvicorn server on a free loopback port, standing in for one provider
(Ollama, vLLM, a hosted API). Its behaviour is set per instance: fail every request, fail the
first few, answer slowly, or play a script of replies (text, invalid JSON, tool calls). Without
a script it echoes the last user message. Every request body is kept in `requests`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse, Response, StreamingResponse

from rapport.interfaces.api.server import free_port


@dataclass(frozen=True)
class StubToolCall:
    """A scripted tool call; `arguments` given as a string is sent verbatim (to test bad JSON)."""

    name: str
    arguments: dict[str, Any] | str


Reply = str | list[StubToolCall]


def words(text: str) -> int:
    return len(text.split())


def text_deltas(text: str) -> list[str]:
    """How a streamed reply is cut: one word and its trailing space per chunk."""
    return re.findall(r"\S+\s*", text)


@dataclass
class LLMStub:
    name: str = "stub"
    api_key: str = "test-key"
    fail_status: int | None = None
    """Every request fails with this HTTP status."""
    fail_times: int = 0
    """The first N requests fail with 500, later ones succeed."""
    delay: float = 0.0
    """Seconds to wait before answering, to exceed a client timeout."""
    replies: list[Reply] = field(default_factory=list)
    """Scripted replies, used in order; after them the stub echoes."""
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        config = uvicorn.Config(self._app(), host="127.0.0.1", port=self.port, log_level="error")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def invalid_json_then(self, valid: str) -> None:
        self.replies = ["{'label': like", valid]

    def start(self) -> LLMStub:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("LLM stub did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes slow handlers so shutdown does not wait for them
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def _next(self, body: dict[str, Any]) -> tuple[int, Reply | None]:
        """HTTP status to answer with, and the reply when it is 200."""
        with self._lock:
            self.requests.append(body)
            if self.fail_status is not None:
                return self.fail_status, None
            if self.fail_times > 0:
                self.fail_times -= 1
                return 500, None
            if self.replies:
                return 200, self.replies.pop(0)
        users = [m for m in body["messages"] if m["role"] == "user"]
        return 200, f"echo: {users[-1]['content'] if users else ''}"

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        def chat(body: dict[str, Any], authorization: str = Header("")) -> Response:
            if authorization != f"Bearer {self.api_key}":
                with self._lock:
                    self.requests.append(body)
                return _error(401, "invalid api key")
            if self.delay:
                self._stopping.wait(self.delay)
            status, reply = self._next(body)
            if reply is None:
                return _error(status, f"{self.name} failed on purpose")
            prompt = sum(words(str(m.get("content") or "")) for m in body["messages"])
            text = reply if isinstance(reply, str) else ""
            usage = {
                "prompt_tokens": prompt,
                "completion_tokens": words(text),
                "total_tokens": prompt + words(text),
            }
            if body.get("stream"):
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                return StreamingResponse(
                    _sse(body["model"], text, usage if include_usage else None),
                    media_type="text/event-stream",
                )
            return JSONResponse(_completion(body["model"], reply, usage))

        return app


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": "stub_error", "code": status}}, status_code=status
    )


def _completion(model: str, reply: Reply, usage: dict[str, int]) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": reply if isinstance(reply, str) else None,
    }
    finish = "stop"
    if isinstance(reply, list):
        finish = "tool_calls"
        message["tool_calls"] = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": call.arguments
                    if isinstance(call.arguments, str)
                    else json.dumps(call.arguments),
                },
            }
            for i, call in enumerate(reply)
        ]
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": usage,
    }


def _sse(model: str, text: str, usage: dict[str, int] | None) -> Iterator[str]:
    """OpenAI chunk format: a role chunk, one chunk per delta, a finish chunk, an optional
    usage chunk without choices, then `[DONE]`."""
    base = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 0, "model": model}

    def event(choices: list[dict[str, Any]], **extra: Any) -> str:
        return f"data: {json.dumps({**base, 'choices': choices, **extra})}\n\n"

    yield event(
        [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]
    )
    for delta in text_deltas(text):
        yield event([{"index": 0, "delta": {"content": delta}, "finish_reason": None}])
    yield event([{"index": 0, "delta": {}, "finish_reason": "stop"}])
    if usage is not None:
        yield event([], usage=usage)
    yield "data: [DONE]\n\n"


def llm_settings(stub: LLMStub) -> dict[str, str]:
    """Engine settings that point the LLM gateway at `stub`."""
    return {
        "llm_provider": "openai",
        "llm_base_url": stub.url,
        "llm_model": "tiny",
        "llm_api_key": "test-key",
    }
