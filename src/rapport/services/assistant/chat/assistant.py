"""The assistant: one turn of a conversation.

Order of a turn (`Assistant.chat`):
1. the user and the conversation are looked up (nothing is written yet);
2. **the screen** (`Assistant.screen`, the one seam for the safety checks): it sees the user
   message before anything else runs; when it returns a `MessageScreening` with a reply, that
   reply is given and nothing else (no intent, tools or model) sees the message;
3. the reply is made with the language model and its tool calls (`mode` `llm`), or, without
   a model, for users who opted out of AI, or when every provider fails, by intent rules,
   tools and templates (`mode` `rules`);
4. the exchange is stored, and the oldest remembered exchange is folded into the summary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from rapport.core.errors import NotFound
from rapport.core.llm import ChatResult, LLMGateway, LLMOutputInvalid, LLMUnavailable, Message
from rapport.core.llm.consent import LlmAllowed, opted_in
from rapport.core.models import Schema, Strict, User, utcnow
from rapport.core.store.audit import AuditLog
from rapport.core.store.conversations import (
    Conversation,
    ConversationMessage,
    ConversationStore,
    NewMessage,
)
from rapport.core.store.repository import Store
from rapport.services.assistant.chat import memory, replies
from rapport.services.assistant.chat.intents import Intent, IntentDetector
from rapport.services.assistant.chat.persona import Persona
from rapport.services.assistant.chat.tools import Action, ToolContext, ToolOutcome, ToolRegistry
from rapport.services.knowledge.answer import Citation

_NO_ANSWER = "I'm sorry, I have no answer to that right now."
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


class MessageScreening(Schema):
    """What the screen found in a user message (filled in by the safety checks)."""

    escalation: dict[str, Any] | None = None
    """Returned as `ChatReply.escalation` (a crisis handed to a human)."""
    reply: str | None = None
    """When set, the reply to give instead of the assistant's (nothing else runs)."""


Screen = Callable[[str, User, str], MessageScreening | None]
"""`screen(tenant, user, message)`: None lets the message through unchanged."""


def no_screen(tenant: str, user: User, message: str) -> MessageScreening | None:
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
class _Prepared:
    """A turn before its reply: who, what was said, the memory, what the screen found."""

    tenant: str
    user: User
    request: ChatRequest
    now: datetime
    window: list[ConversationMessage]
    summary: str
    screening: MessageScreening | None
    intent: Intent
    conversation_id: str | None


@dataclass
class ReplyStream:
    """A reply as text pieces (`Assistant.stream`); `reply` is set once they are exhausted."""

    conversation_id: str
    pieces: Iterator[str]
    reply: ChatReply | None = None

    @classmethod
    def complete(cls, reply: ChatReply) -> ReplyStream:
        """A finished reply, cut into words (each with the space before it)."""
        words = iter(re.findall(r"\s*\S+", reply.reply))
        return cls(reply.conversation_id, words, reply)


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
        audit: AuditLog | None = None,
        llm_allowed: LlmAllowed = opted_in,
    ) -> None:
        self.store = store
        self.llm_allowed = llm_allowed
        self.audit = audit
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
        turn = self._prepare(tenant, user_id, request, now)
        if turn.screening is not None and turn.screening.reply is not None:
            made = _Turn(turn.screening.reply, "rules", [], [], turn.user)
        else:
            made = self._reply(turn)
        return self._store(turn, made)

    def stream(
        self, tenant: str, user_id: str, request: ChatRequest, *, now: datetime | None = None
    ) -> ReplyStream:
        """Like `chat`, with the reply as text pieces. When the model used tools, its answer
        after them is streamed as it is generated (one tool round, then the answer); other
        replies are complete at once and cut into words. The exchange is stored when the
        pieces are exhausted (or the stream is closed): `ReplyStream.reply` is set then."""
        turn = self._prepare(tenant, user_id, request, now)
        if turn.screening is not None and turn.screening.reply is not None:
            made = _Turn(turn.screening.reply, "rules", [], [], turn.user)
            return ReplyStream.complete(self._store(turn, made))
        if not self._uses_llm(tenant, turn.user):
            return ReplyStream.complete(self._store(turn, self._reply(turn)))
        persona = self.persona(tenant)
        context = ToolContext(tenant=tenant, user=turn.user, now=turn.now)
        try:
            first = self._llm_round(persona, context, turn)
            if isinstance(first, _Turn):
                return ReplyStream.complete(self._store(turn, first))
            messages, actions, citations, context = first
            pieces = self.gateway.stream(messages)
        except (LLMUnavailable, LLMOutputInvalid):
            return ReplyStream.complete(self._store(turn, self._rules_turn(persona, turn)))
        if turn.conversation_id is None:  # the id goes out with the first piece
            turn.conversation_id = self.conversations.create(tenant, user_id).id
        result = ReplyStream(turn.conversation_id, iter(()))

        def relay() -> Iterator[str]:
            said: list[str] = []
            try:
                for piece in pieces:
                    said.append(piece)
                    yield piece
            except LLMUnavailable:
                pass  # the stream broke off: what was said is kept
            finally:
                pieces.close()
                text = "".join(said).strip() or _NO_ANSWER
                made = _Turn(text, "llm", citations, actions, context.user)
                result.reply = self._store(turn, made)

        result.pieces = relay()
        return result

    def _prepare(
        self, tenant: str, user_id: str, request: ChatRequest, now: datetime | None
    ) -> _Prepared:
        now = now or utcnow()
        user = self.store.get_user(tenant, user_id)
        window: list[ConversationMessage] = []
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
        return _Prepared(
            tenant, user, request, now, window, summary, screening, intent, request.conversation_id
        )

    def _store(self, turn: _Prepared, made: _Turn) -> ChatReply:
        """Store the exchange (and the summary when an exchange left the memory window)."""
        conversation_id = turn.conversation_id
        if conversation_id is None:
            conversation_id = self.conversations.create(turn.tenant, turn.user.id).id
        new_summary = None
        dropped = memory.leaving(turn.window)
        if dropped:
            allow = self.llm_allowed(turn.tenant, turn.user)
            new_summary = memory.fold(turn.summary, dropped, self.gateway, allow_llm=allow)
        data = {
            "mode": made.mode,
            "intent": turn.intent.model_dump(mode="json", exclude={"scores"}),
            "citations": [c.model_dump(mode="json") for c in made.citations],
            "actions": [a.model_dump(mode="json") for a in made.actions],
        }
        escalation = turn.screening.escalation if turn.screening is not None else None
        if escalation is not None:
            data["escalation"] = escalation
        self.conversations.append(
            turn.tenant,
            conversation_id,
            [
                NewMessage("user", turn.request.message, {"context": turn.request.context}),
                NewMessage("assistant", made.reply, data),
            ],
            summary=new_summary,
        )
        if self.audit is not None:
            self.audit.record(
                turn.tenant,
                "assistant",
                user_id=turn.user.id,
                model=self.gateway.model if made.mode == "llm" else made.mode,
                prompt=turn.request.message,
                output=made.reply,
            )
        return ChatReply(
            reply=made.reply,
            conversation_id=conversation_id,
            citations=made.citations,
            actions=made.actions,
            escalation=escalation,
            mode=made.mode,
            intent=turn.intent,
        )

    def _uses_llm(self, tenant: str, user: User) -> bool:
        return self.gateway.available and self.llm_allowed(tenant, user)

    def _reply(self, turn: _Prepared) -> _Turn:
        persona = self.persona(turn.tenant)
        if self._uses_llm(turn.tenant, turn.user):
            try:
                return self._llm_turn(persona, turn)
            except (LLMUnavailable, LLMOutputInvalid):
                pass  # every provider failed: the rules still answer
        return self._rules_turn(persona, turn)

    def _rules_turn(self, persona: Persona, turn: _Prepared) -> _Turn:
        intent = turn.intent
        context = ToolContext(tenant=turn.tenant, user=turn.user, now=turn.now)
        first_turn = not turn.window
        tool = self.tools.for_intent(intent.intent, intent.text)
        actions: list[Action] = []
        citations: list[Citation] = []
        user = context.user
        chat = replies.small_talk(persona, intent.text)
        if chat is not None:
            body = chat
        elif tool is None:
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

    def _llm_turn(self, persona: Persona, turn: _Prepared) -> _Turn:
        context = ToolContext(tenant=turn.tenant, user=turn.user, now=turn.now)
        messages = self._messages(persona, context, turn)
        actions: list[Action] = []
        citations: list[Citation] = []
        for _ in range(MAX_TOOL_ROUNDS):
            result = self.gateway.chat(messages, tools=self.tools.schemas(), cache=False)
            if not result.tool_calls:
                break
            context, citations = self._run_calls(result, messages, actions, citations, context)
        else:  # still calling tools: ask for the answer without them
            result = self.gateway.chat(messages, cache=False)
        return _Turn(result.text.strip() or _NO_ANSWER, "llm", citations, actions, context.user)

    def _llm_round(
        self, persona: Persona, context: ToolContext, turn: _Prepared
    ) -> _Turn | tuple[list[Message], list[Action], list[Citation], ToolContext]:
        """One model call with the tools: the finished turn when it answered, or the
        messages (tool results included) to ask for the answer with."""
        messages = self._messages(persona, context, turn)
        result = self.gateway.chat(messages, tools=self.tools.schemas(), cache=False)
        if not result.tool_calls:
            return _Turn(result.text.strip() or _NO_ANSWER, "llm", [], [], context.user)
        actions: list[Action] = []
        context, citations = self._run_calls(result, messages, actions, [], context)
        return messages, actions, citations, context

    @staticmethod
    def _messages(persona: Persona, context: ToolContext, turn: _Prepared) -> list[Message]:
        system = replies.system_prompt(persona, context.user, turn.summary, turn.request.context)
        return [
            {"role": "system", "content": system},
            *memory.history(turn.window),
            {"role": "user", "content": turn.request.message},
        ]

    def _run_calls(
        self,
        result: ChatResult,
        messages: list[Message],
        actions: list[Action],
        citations: list[Citation],
        context: ToolContext,
    ) -> tuple[ToolContext, list[Citation]]:
        """Run the tools the model called; their results join `messages` and `actions`."""
        messages.append(
            {
                "role": "assistant",
                "content": result.text or None,
                "tool_calls": [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
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
        return context, citations


def _renumbered(kept: list[Citation], new: list[Citation]) -> list[Citation]:
    """Citations of every knowledge answer in one turn. A second answer's [n] would clash
    with the first's, so only the first answer's citations are kept when both cite."""
    return kept or list(new)
