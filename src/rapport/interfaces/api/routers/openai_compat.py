"""An OpenAI-compatible chat endpoint over the assistant, so any OpenAI client, chat UI or
agent framework can talk to rapport: `GET /v1/models`, `POST /v1/chat/completions`
(plain and SSE streaming).

The user is the `user` field or the `X-User-Id` header; the last user message is the
message (earlier ones are ignored: the assistant keeps its own memory); a conversation is
continued with the `X-Conversation-Id` header or `metadata.conversation_id`, and its id comes
back in the `X-Conversation-Id` header and the `conversation_id` field (every chunk of a
stream carries it too). The full assistant reply (mode, citations, actions, escalation) is
in the extra field `rapport`."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from rapport.engine.schemas import ChatRequest, FieldError, InvalidInput, ReplyStream
from rapport.interfaces.api.deps import EngineDep, TenantDep

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

MODEL = "rapport"
"""The one model served: the assistant with the tenant's persona, memory and tools."""


class CompletionMessage(BaseModel):
    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)

    role: str
    """system, user, assistant or tool."""
    content: str | list[dict[str, Any]] | None = None
    """Text, or content parts (`{"type": "text", "text": ...}`)."""


class CompletionRequest(BaseModel):
    """An OpenAI chat completion request; fields rapport does not use are accepted and
    ignored (temperature, tools, ...)."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)

    model: str = MODEL
    """Any name: rapport serves one assistant."""
    messages: list[CompletionMessage] = Field(min_length=1)
    """The last `user` message is what the user says."""
    stream: bool = False
    """Answer as server-sent events."""
    user: str | None = None
    """The rapport user id (or send the `X-User-Id` header)."""
    metadata: dict[str, Any] | None = None
    """`conversation_id` continues a conversation."""


class ModelCard(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True)

    id: str
    """The model name to send."""
    object: Literal["model"] = "model"
    """Always `model`."""
    created: int = 0
    """Unix time the model was made (0: not meaningful here)."""
    owned_by: str = "rapport"
    """Always `rapport`."""


class ModelList(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True)

    object: Literal["list"] = "list"
    """Always `list`."""
    data: list[ModelCard]
    """The models served."""


@router.get("/models")
def models() -> ModelList:
    """The models this endpoint serves (one: `rapport`)."""
    return ModelList(data=[ModelCard(id=MODEL)])


@router.post("/chat/completions", response_model=None)
def chat_completions(
    engine: EngineDep,
    tenant: TenantDep,
    body: CompletionRequest,
    x_user_id: Annotated[str | None, Header(description="The rapport user id.")] = None,
    x_conversation_id: Annotated[
        str | None, Header(description="Continue this conversation.")
    ] = None,
) -> JSONResponse | StreamingResponse:
    """A chat completion from the assistant (`stream: true` for server-sent events)."""
    user_id = body.user or x_user_id
    if not user_id:
        raise InvalidInput(
            [FieldError(record="request", field="user", message="name the user (or X-User-Id)")]
        )
    message = _last_user_message(body.messages)
    conversation_id = x_conversation_id or (body.metadata or {}).get("conversation_id") or None
    request = ChatRequest(message=message, conversation_id=conversation_id)
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if body.stream:
        stream = engine.assistant.stream(user_id, request, tenant=tenant)
        return StreamingResponse(
            _events(completion_id, created, body.model, stream),
            media_type="text/event-stream",
            headers={"X-Conversation-Id": stream.conversation_id},
        )
    reply = engine.assistant.chat(user_id, request, tenant=tenant)
    headers = {"X-Conversation-Id": reply.conversation_id}
    prompt_tokens, completion_tokens = len(message.split()), len(reply.reply.split())
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": body.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.reply},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "conversation_id": reply.conversation_id,
            "rapport": reply.model_dump(mode="json"),
        },
        headers=headers,
    )


def _last_user_message(messages: list[CompletionMessage]) -> str:
    for position in range(len(messages) - 1, -1, -1):
        message = messages[position]
        if message.role != "user":
            continue
        content = message.content
        if isinstance(content, list):  # content parts: keep the text ones
            content = " ".join(str(p.get("text", "")) for p in content if p.get("type") == "text")
        if content and content.strip():
            return content
        raise InvalidInput(
            [
                FieldError(
                    record="request",
                    field=f"messages.{position}.content",
                    message="the last user message has no text",
                )
            ]
        )
    raise InvalidInput(
        [FieldError(record="request", field="messages", message="no message with role 'user'")]
    )


def _events(completion_id: str, created: int, model: str, stream: ReplyStream) -> Iterator[str]:
    """OpenAI's chunk format: a role chunk, one chunk per piece, a finish chunk carrying the
    whole reply in `rapport`, then `[DONE]`."""
    base = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "conversation_id": stream.conversation_id,
    }

    def event(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return f"data: {json.dumps({**base, 'choices': [choice], **extra})}\n\n"

    yield event({"role": "assistant", "content": ""})
    for piece in stream.pieces:
        yield event({"content": piece})
    reply = stream.reply.model_dump(mode="json") if stream.reply is not None else None
    yield event({}, "stop", rapport=reply)
    yield "data: [DONE]\n\n"
