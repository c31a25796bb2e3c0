"""The assistant: chat with memory, persona and tools; intents; the tenant's persona."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from rapport.core.models import Strict
from rapport.engine.schemas import ChatReply, ChatRequest, Conversation, Intent, Persona
from rapport.interfaces.api.deps import EngineDep, TenantDep

router = APIRouter(tags=["assistant"])


@router.post("/users/{user_id}/chat")
def chat(engine: EngineDep, tenant: TenantDep, user_id: str, body: ChatRequest) -> ChatReply:
    """One turn of a conversation: the reply, its citations, the tools used (`actions`),
    `escalation` and `mode` (`llm` or `rules`). Pass `conversation_id` back to continue."""
    return engine.assistant.chat(user_id, body, tenant=tenant)


@router.get("/conversations/{conversation_id}")
def conversation(engine: EngineDep, tenant: TenantDep, conversation_id: str) -> Conversation:
    """A conversation with its running summary and every message."""
    return engine.assistant.conversation(conversation_id, tenant=tenant)


class IntentRequest(Strict):
    text: str = Field(min_length=1, max_length=4000)
    """The message to understand."""
    user_id: str | None = None
    """The user who wrote it: their time zone and AI opt-out are respected."""


@router.post("/assistant/intent")
def intent(engine: EngineDep, tenant: TenantDep, body: IntentRequest) -> Intent:
    """`{intent, parameters, confidence}` of a message."""
    return engine.assistant.intent(body.text, user_id=body.user_id, tenant=tenant)


@router.get("/persona")
def get_persona(engine: EngineDep, tenant: TenantDep) -> Persona:
    """Who the assistant speaks as (the default persona until one is set)."""
    return engine.persona.get(tenant=tenant)


@router.put("/persona")
def set_persona(engine: EngineDep, tenant: TenantDep, body: Persona) -> Persona:
    """Replace the tenant's persona: name, expertise, methodology, tone, language, sample
    texts, greeting, sign-off."""
    return engine.persona.set(body, tenant=tenant)
