"""`engine.assistant` (chat with memory, persona and tools; intents; conversations) and
`engine.persona` (who the assistant speaks as)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rapport.core.store.conversations import Conversation
from rapport.engine.services import Services
from rapport.services.assistant.chat.assistant import ChatReply, ChatRequest, ReplyStream
from rapport.services.assistant.chat.intents import Intent
from rapport.services.assistant.chat.persona import Persona


def _request(
    message: str | ChatRequest, conversation_id: str | None, context: dict[str, Any] | None
) -> ChatRequest:
    if isinstance(message, ChatRequest):
        return message
    return ChatRequest(message=message, conversation_id=conversation_id, context=context or {})


class AssistantArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def chat(
        self,
        user_id: str,
        message: str | ChatRequest,
        *,
        conversation_id: str | None = None,
        context: dict[str, Any] | None = None,
        tenant: str | None = None,
        now: datetime | None = None,
    ) -> ChatReply:
        """One turn: the reply (with citations, actions and how it was made) and the
        conversation id to continue with. Users who opted out of AI get rule-based replies."""
        request = _request(message, conversation_id, context)
        return self._s.assistant.chat(self._s.tenant(tenant), user_id, request, now=now)

    def stream(
        self,
        user_id: str,
        message: str | ChatRequest,
        *,
        conversation_id: str | None = None,
        context: dict[str, Any] | None = None,
        tenant: str | None = None,
        now: datetime | None = None,
    ) -> ReplyStream:
        """Like `chat`, with the reply as text pieces (`.pieces`); the model's answer after
        tool calls arrives as it is generated. `.reply` holds the `ChatReply` once the
        pieces are exhausted."""
        request = _request(message, conversation_id, context)
        return self._s.assistant.stream(self._s.tenant(tenant), user_id, request, now=now)

    def intent(
        self,
        text: str,
        *,
        user_id: str | None = None,
        tenant: str | None = None,
        now: datetime | None = None,
    ) -> Intent:
        """`{intent, parameters, confidence}` of a message; the language model classifies
        when there is one (and the user did not opt out of AI), the rules otherwise."""
        tenant = self._s.tenant(tenant)
        allow, timezone = True, "UTC"
        if user_id is not None:
            user = self._s.store.get_user(tenant, user_id)
            allow = self._s.experiments.llm_allowed(tenant, user)
            timezone = user.timezone
        return self._s.intents.detect(text, allow_llm=allow, now=now, timezone=timezone)

    def conversation(self, conversation_id: str, *, tenant: str | None = None) -> Conversation:
        """A conversation with its summary and every message."""
        return self._s.assistant.conversation(self._s.tenant(tenant), conversation_id)


class PersonaArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def get(self, *, tenant: str | None = None) -> Persona:
        """The tenant's persona (the default one until set)."""
        return self._s.assistant.persona(self._s.tenant(tenant))

    def set(
        self,
        persona: Persona | dict[str, Any] | None = None,
        *,
        tenant: str | None = None,
        **fields: Any,
    ) -> Persona:
        """Replace the tenant's persona: a `Persona`, a dict, or keyword fields."""
        if persona is None:
            persona = fields
        elif fields:
            raise TypeError("give a persona or keyword fields, not both")
        value = persona if isinstance(persona, Persona) else _validate(persona)
        return self._s.assistant.set_persona(self._s.tenant(tenant), value)


def _validate(raw: dict[str, Any]) -> Persona:
    from pydantic import ValidationError

    from rapport.core.errors import InvalidInput, field_errors

    try:
        return Persona.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(field_errors("persona", exc)) from exc
