"""The assistant: one turn of a conversation.

Order of a turn (`Assistant.chat`):
1. the user and the conversation are looked up (nothing is written yet);
2. **the screen** (`Assistant.screen`, the one seam for the safety checks): it sees the user
   message before anything else runs; when it returns a `Screening` with a reply, that
   reply is given and nothing else (no intent, tools or model) sees the message;
3. the reply is made with the language model and its tool calls (`mode` `llm`), or, without
   a model, for users who opted out of AI, or when every provider fails, by intent rules,
   tools and templates (`mode` `rules`);
4. the exchange is stored, and the oldest remembered exchange is folded into the summary.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from rapport.core.errors import NotFound
from rapport.core.llm import LLMGateway, LLMOutputInvalid, LLMUnavailable, Message
from rapport.core.models import Schema, Strict, User, utcnow
from rapport.core.store.conversations import Conversation, ConversationStore, NewMessage
from rapport.core.store.repository import Store
from rapport.services.assistant.chat import memory, replies
from rapport.services.assistant.chat.intents import Intent, IntentDetector
from rapport.services.assistant.chat.persona import Persona
from rapport.services.assistant.chat.tools import Action, ToolContext, ToolOutcome, ToolRegistry
from rapport.services.knowledge.answer import Citation

MAX_TOOL_ROUNDS = 3
"""Model turns that may call tools before it must answer."""


class ChatRequest(Strict):
    """One user message to the assistant."""

    message: str = Field(min_length=1, max_length=4000)
    """What the user says."""
    conversation_id: str | None = Field(default=None, max_length=64)
    """Continue this conversation; a new one is started without it."""
    context: dict[str, Any] = Field(default_factory=dict)
    """What the platform knows about this moment (page, item shown, location...): given to
    the model as data and kept with the message."""


class Screening(Schema):
    """What the screen found in a user message (filled in by the safety checks)."""

    escalation: dict[str, Any]
    """Returned as `ChatReply.escalation`."""
    reply: str | None = None
    """When set, the reply to give instead of the assistant's (nothing else runs)."""


Screen = Callable[[str, User, str], Screening | None]
"""`screen(tenant, user, message)`: None lets the message through unchanged."""


def no_screen(tenant: str, user: User, message: str) -> Screening | None:
    """The default screen: lets every message through (the safety checks replace it)."""
    return None


class ChatReply(Schema):
    """The assistant's reply (`POST /users/{id}/chat`, `rapport chat`)."""

    reply: str
    """What the assistant says."""
    conversation_id: str
    """Pass it back to continue the conversation."""
    citations: list[Citation] = Field(default_factory=list)
    """Knowledge-base sources the reply cites as [n]."""
    actions: list[Action] = Field(default_factory=list)
    """Tools used while replying (recommend, search, profile updates...)."""
    escalation: dict[str, Any] | None = None
    """Set when the message was escalated to a human (safety checks); null otherwise."""
    mode: Literal["llm", "rules"]
    """How the reply was made: `llm` (AI-generated) or `rules` (intent rules and templates)."""
    intent: Intent | None = None
    """What the message was understood to ask for (rules detection)."""


@dataclass
class _Turn:
    reply: str
    mode: Literal["llm", "rules"]
    citations: list[Citation]
    actions: list[Action]
    user: User


class Assistant:
    def __init__(
        self,
        store: Store,
        conversations: ConversationStore,
        intents: IntentDetector,
        tools: ToolRegistry,
        gateway: LLMGateway,
        screen: Screen = no_screen,
    ) -> None:
        self.store = store
        self.conversations = conversations
        self.intents = intents
        self.tools = tools
        self.gateway = gateway
        self.screen = screen

    # -- persona ---------------------------------------------------------------------------

    def persona(self, tenant: str) -> Persona:
        stored = self.conversations.get_persona(tenant)
        return Persona() if stored is None else Persona.model_validate(stored)

    def set_persona(self, tenant: str, persona: Persona) -> Persona:
        self.conversations.set_persona(tenant, persona.model_dump(mode="json"))
        return persona

    # -- conversations ---------------------------------------------------------------------

    def conversation(self, tenant: str, conversation_id: str) -> Conversation:
        return self.conversations.get(tenant, conversation_id)

    def chat(
        self, tenant: str, user_id: str, request: ChatRequest, *, now: datetime | None = None
    ) -> ChatReply:
        now = now or utcnow()
        user = self.store.get_user(tenant, user_id)
        window: list[Any] = []
        summary = ""
        if request.conversation_id is not None:
            known = self.conversations.get(tenant, request.conversation_id, last=memory.WINDOW)
            if known.user_id != user_id:  # another user's conversation is not theirs to see
                raise NotFound("conversation", request.conversation_id)
            window, summary = known.messages, known.summary

        # The screen: the first thing that sees the message.
        screening = self.screen(tenant, user, request.message)

        intent = self.intents.detect(
            request.message, allow_llm=False, now=now, timezone=user.timezone
        )
        if screening is not None and screening.reply is not None:
            turn = _Turn(screening.reply, "rules", [], [], user)
        else:
            turn = self._reply(tenant, user, request, intent, window, summary, now)

        conversation_id = request.conversation_id
        if conversation_id is None:
            conversation_id = self.conversations.create(tenant, user_id).id
        new_summary = None
        dropped = memory.leaving(window)
        if dropped:
            allow = not user.ai_opt_out
            new_summary = memory.fold(summary, dropped, self.gateway, allow_llm=allow)
        data = {
            "mode": turn.mode,
            "intent": intent.model_dump(mode="json", exclude={"scores"}),
            "citations": [c.model_dump(mode="json") for c in turn.citations],
            "actions": [a.model_dump(mode="json") for a in turn.actions],
        }
        if screening is not None:
            data["escalation"] = screening.escalation
        self.conversations.append(
            tenant,
            conversation_id,
            [
                NewMessage("user", request.message, {"context": request.context}),
                NewMessage("assistant", turn.reply, data),
            ],
            summary=new_summary,
        )
        return ChatReply(
            reply=turn.reply,
            conversation_id=conversation_id,
            citations=turn.citations,
            actions=turn.actions,
            escalation=screening.escalation if screening is not None else None,
            mode=turn.mode,
            intent=intent,
        )

    def _reply(
        self,
        tenant: str,
        user: User,
        request: ChatRequest,
        intent: Intent,
        window: list[Any],
        summary: str,
        now: datetime,
    ) -> _Turn:
        persona = self.persona(tenant)
        context = ToolContext(tenant=tenant, user=user, now=now)
        if self.gateway.available and not user.ai_opt_out:
            try:
                return self._llm_turn(persona, context, request, window, summary)
            except (LLMUnavailable, LLMOutputInvalid):
                pass  # every provider failed: the rules still answer
        return self._rules_turn(persona, context, intent, first_turn=not window)

    def _rules_turn(
        self, persona: Persona, context: ToolContext, intent: Intent, *, first_turn: bool
    ) -> _Turn:
        tool = self.tools.for_intent(intent.intent, intent.text)
        actions: list[Action] = []
        citations: list[Citation] = []
        user = context.user
        if tool is None:
            body = replies.no_tool(intent.intent, intent.parameters)
        else:
            arguments = tool.from_intent(intent) if tool.from_intent else {}
            outcome, action = self.tools.run(tool.name, arguments, context)
            actions.append(action)
            citations = outcome.citations
            user = outcome.user or user
            body = self._body(persona, tool.name, outcome, action)
        reply = replies.compose(persona, user, body, first_turn=first_turn)
        return _Turn(reply, "rules", citations, actions, user)

    @staticmethod
    def _body(persona: Persona, tool: str, outcome: ToolOutcome, action: Action) -> str:
        if action.status == "failed":
            return f"I couldn't do that: {outcome.text}"
        if tool in ("recommend", "search_items"):
            return replies.found(persona, outcome.text)
        if tool == "update_profile" and not outcome.data.get("changed"):
            return (
                "Tell me what to change, for example “my goal is to …”, “I'm interested in …” "
                "or “I have 4 hours a week”."
            )
        return outcome.text

    def _llm_turn(
        self,
        persona: Persona,
        context: ToolContext,
        request: ChatRequest,
        window: list[Any],
        summary: str,
    ) -> _Turn:
        messages: list[Message] = [
            {
                "role": "system",
                "content": replies.system_prompt(persona, context.user, summary, request.context),
            },
            *memory.history(window),
            {"role": "user", "content": request.message},
        ]
        actions: list[Action] = []
        citations: list[Citation] = []
        tools = self.tools.schemas()
        for _ in range(MAX_TOOL_ROUNDS):
            result = self.gateway.chat(messages, tools=tools, cache=False)
            if not result.tool_calls:
                break
            messages.append(
                {
                    "role": "assistant",
                    "content": result.text or None,
                    "tool_calls": [
                        {
                            "id": call.id,
                            "type": "function",
                            "function": {
                                "name": call.name,
                                "arguments": json.dumps(call.arguments),
                            },
                        }
                        for call in result.tool_calls
                    ],
                }
            )
            for call in result.tool_calls:
                outcome, action = self.tools.run(call.name, call.arguments, context)
                actions.append(action)
                citations = _renumbered(citations, outcome.citations)
                if outcome.user is not None:
                    context = ToolContext(context.tenant, outcome.user, context.now)
                messages.append({"role": "tool", "tool_call_id": call.id, "content": outcome.text})
        else:  # still calling tools: ask for the answer without them
            result = self.gateway.chat(messages, cache=False)
        text = result.text.strip() or "I'm sorry, I have no answer to that right now."
        return _Turn(text, "llm", citations, actions, context.user)


def _renumbered(kept: list[Citation], new: list[Citation]) -> list[Citation]:
    """Citations of every knowledge answer in one turn. A second answer's [n] would clash
    with the first's, so only the first answer's citations are kept when both cite."""
    return kept or list(new)
