"""The tools the assistant can use, in one registry.

A tool is a name, a description, a pydantic model of its arguments, the intents it serves and
a function. A language model calls tools through the gateway (the registry gives their
schemas); without one the detected intent picks the tool and the rules fill its arguments.
Later features (scheduling, plans) add theirs with `ToolRegistry.register`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from rapport.core.errors import RapportError
from rapport.core.llm import tool_schema
from rapport.core.models import Profile, Schema, User
from rapport.core.requests import RecommendRequest, SearchRequest
from rapport.core.store.repository import Store
from rapport.services.assistant.chat.intents import Intent
from rapport.services.knowledge.answer import Answerer, Citation
from rapport.services.recommend.recommender import Recommender
from rapport.services.search.items import ItemSearch


@dataclass(frozen=True)
class ToolContext:
    """Who a tool acts for."""

    tenant: str
    user: User
    now: datetime


@dataclass
class ToolOutcome:
    """What a tool did: a short text (for the reply or the model), structured data (for the
    action), and citations when it answered from the knowledge base."""

    text: str
    data: dict[str, Any] = field(default_factory=dict)
    citations: list[Citation] = field(default_factory=list)
    user: User | None = None
    """The user as changed by the tool, so the rest of the turn sees the change."""


class Action(Schema):
    """A tool the assistant used while replying."""

    tool: str
    """Its name (`recommend`, `search_items`, `knowledge_answer`, `explain_recommendation`,
    `update_profile`, ...)."""
    arguments: dict[str, Any] = Field(default_factory=dict)
    """The arguments it was called with."""
    status: Literal["done", "failed"]
    """`done`, or `failed` (bad arguments or an error; `result.error` says which)."""
    result: dict[str, Any] = Field(default_factory=dict)
    """What it returned: item ids, the changed profile fields, the answer..."""


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    arguments: type[BaseModel]
    run: Callable[[ToolContext, Any], ToolOutcome]
    intents: tuple[str, ...] = ()
    """Intents this tool serves when no language model chooses."""
    from_intent: Callable[[Intent], dict[str, Any]] | None = None
    """Arguments from a detected intent (rules mode)."""
    matches: Callable[[str], bool] | None = None
    """A precise test on the message: when it holds, this tool is used whatever the
    intent (rules mode)."""


class ToolRegistry:
    def __init__(self) -> None:
        self._tools: dict[str, Tool] = {}

    def register(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"tool '{tool.name}' is already registered")
        self._tools[tool.name] = tool

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def schemas(self) -> list[dict[str, Any]]:
        """OpenAI `tools` entries for every registered tool."""
        return [
            tool_schema(t.arguments, name=t.name, description=t.description)
            for t in self._tools.values()
        ]

    def for_intent(self, intent: str, text: str) -> Tool | None:
        """The tool that serves `intent` for this message (rules mode)."""
        # A precise pattern ("why did you recommend X") wins over the intent, which may
        # have read the same words as a search or a question.
        for tool in self._tools.values():
            if tool.matches is not None and tool.matches(text):
                return tool
        serving = [t for t in self._tools.values() if intent in t.intents]
        return next((t for t in serving if t.matches is None), None)

    def run(
        self, name: str, arguments: dict[str, Any], context: ToolContext
    ) -> tuple[ToolOutcome, Action]:
        """Validate the arguments and run the tool; failures become a failed action and a
        text the model (or the reply) can use, never an exception."""
        tool = self._tools.get(name)
        if tool is None:
            text = f"There is no tool named '{name}'."
            return ToolOutcome(text), Action(
                tool=name, arguments=arguments, status="failed", result={"error": text}
            )
        try:
            parsed = tool.arguments.model_validate(arguments)
            outcome = tool.run(context, parsed)
        except ValidationError as exc:
            text = f"invalid arguments: {exc.errors()[0]['msg']}"
            return ToolOutcome(text), Action(
                tool=name, arguments=arguments, status="failed", result={"error": text}
            )
        except RapportError as exc:
            return ToolOutcome(str(exc)), Action(
                tool=name, arguments=arguments, status="failed", result={"error": str(exc)}
            )
        return outcome, Action(tool=name, arguments=arguments, status="done", result=outcome.data)


# -- argument models ---------------------------------------------------------------------


class RecommendArgs(BaseModel):
    """Personalised recommendations for the user, with reasons."""

    k: int = Field(default=5, ge=1, le=20)
    """How many items."""
    kind: str | None = None
    """Only items of this kind (course, mentor, event...)."""
    categories: list[str] = Field(default_factory=list)
    """Only items in these categories."""
    request: str | None = None
    """What the user asked for in their words; a kind of item named there ("a course",
    "mentors") narrows the list when `kind` is not given."""


class SearchArgs(BaseModel):
    """Search the catalogue with a plain-language query (price, place and time are read)."""

    query: str = Field(min_length=1, max_length=500)
    """What to look for."""
    k: int = Field(default=5, ge=1, le=20)
    """How many items."""


class KnowledgeArgs(BaseModel):
    """Answer a question from the knowledge base, with numbered sources to cite."""

    question: str = Field(min_length=1, max_length=2000)
    """The question, self-contained."""


class ExplainArgs(BaseModel):
    """Explain why an item is (or is not) recommended to the user."""

    item: str = Field(min_length=1, max_length=500)
    """The item's id or title."""


class UpdateProfileArgs(BaseModel):
    """Update the user's profile with what they said about themselves."""

    add_goals: list[str] = Field(default_factory=list)
    """Goals to add."""
    add_interests: list[str] = Field(default_factory=list)
    """Interests to add."""
    remove_interests: list[str] = Field(default_factory=list)
    """Interests to remove."""
    hours_per_week: float | None = Field(default=None, ge=0, le=168)
    """New time commitment."""
    communication_style: str | None = None
    """How they want to be spoken to (brief, detailed, formal, warm...)."""
    learning_style: str | None = None
    """visual, reading, hands_on, auditory or social."""


# -- the tools ---------------------------------------------------------------------------

_WHY_RECOMMENDED = re.compile(
    r"\bwhy\b.*\b(recommend(ed|ing)?|suggest(ed|ing)?|pick(ed)?|show(ed|ing)?)\b", re.IGNORECASE
)
_EXPLAINED_ITEM = re.compile(
    r"\b(?:recommend(?:ed|ing)?|suggest(?:ed|ing)?|pick(?:ed)?|show(?:ed|ing)?)\s+(?:me\s+)?"
    r"[\"']?(.+?)[\"']?\s*(?:to me|for me)?\s*[?.!]*$",
    re.IGNORECASE,
)


@dataclass
class Backends:
    """The services the default tools use."""

    store: Store
    recommender: Recommender
    item_search: ItemSearch
    answerer: Answerer


def named_kind(text: str | None, kinds: list[str]) -> str | None:
    """The tenant's item kind a text names, singular or plural ("courses", "a learning
    path" for `learning_path`); the longest name wins."""
    if not text:
        return None
    lowered = text.lower()
    for kind in sorted(kinds, key=len, reverse=True):
        name = re.escape(kind.lower().replace("_", " ")).replace(r"\ ", r"[\s_-]")
        if re.search(rf"\b{name}(?:s|es)?\b", lowered):
            return kind
    return None


def default_tools(backends: Backends) -> ToolRegistry:
    """recommend, search_items, knowledge_answer, explain_recommendation, update_profile."""
    registry = ToolRegistry()
    b = backends

    def recommend(ctx: ToolContext, args: RecommendArgs) -> ToolOutcome:
        kinds = list(b.recommender.frames.get(ctx.tenant).kind_codes)  # cached, not a query
        kind = named_kind(args.kind, kinds) or named_kind(args.request, kinds)
        request = RecommendRequest(k=args.k, kind=kind, categories=args.categories)
        found = b.recommender.recommend(ctx.tenant, ctx.user.id, request)
        lines = [
            f"{r.item.title or r.item_id}" + (f" ({'; '.join(r.reasons[:2])})" if r.reasons else "")
            for r in found.items
        ]
        return ToolOutcome(
            _listing(lines),
            {
                "items": [
                    {"item_id": r.item_id, "title": r.item.title, "reasons": r.reasons}
                    for r in found.items
                ]
            },
        )

    def search_items(ctx: ToolContext, args: SearchArgs) -> ToolOutcome:
        request = SearchRequest(q=args.query, k=args.k, user_id=ctx.user.id)
        found = b.item_search.search(ctx.tenant, request, ctx.now)
        lines = [h.item.title or h.item_id for h in found.hits]
        return ToolOutcome(
            _listing(lines),
            {
                "query": args.query,
                "items": [{"item_id": h.item_id, "title": h.item.title} for h in found.hits],
                "notes": found.notes,
            },
        )

    def knowledge_answer(ctx: ToolContext, args: KnowledgeArgs) -> ToolOutcome:
        # Extractive: the sentences and their numbers go to the reply (or to the model,
        # which writes the answer and cites them), without a second model call here.
        answer = b.answerer.ask(ctx.tenant, args.question, allow_generation=False)
        return ToolOutcome(
            answer.answer,
            {"answer": answer.answer, "sources": [c.document_id for c in answer.citations]},
            list(answer.citations),
        )

    def explain(ctx: ToolContext, args: ExplainArgs) -> ToolOutcome:
        found = b.recommender.recommend(ctx.tenant, ctx.user.id, RecommendRequest(k=50))
        wanted = args.item.strip().lower()
        match = next(
            (r for r in found.items if r.item_id.lower() == wanted),
            None,
        ) or next(
            (r for r in found.items if wanted in (r.item.title or "").lower()),
            None,
        )
        if match is None:
            return ToolOutcome(
                f'"{args.item}" is not among your current recommendations.',
                {"item": args.item, "recommended": False},
            )
        reasons = match.reasons or ["it is popular with people like you"]
        title = match.item.title or match.item_id
        return ToolOutcome(
            f"Why I recommend {title}: " + "; ".join(reasons) + ".",
            {"item_id": match.item_id, "recommended": True, "reasons": match.reasons},
        )

    def update_profile(ctx: ToolContext, args: UpdateProfileArgs) -> ToolOutcome:
        profile = ctx.user.profile.model_dump()
        changed: dict[str, Any] = {}
        goals = [g for g in args.add_goals if g not in profile["goals"]]
        if goals:
            profile["goals"] = [*profile["goals"], *goals]
            changed["goals"] = profile["goals"]
        removed = {i.lower() for i in args.remove_interests}
        interests = [i for i in profile["interests"] if i.lower() not in removed]
        interests += [i for i in args.add_interests if i.lower() not in map(str.lower, interests)]
        if interests != profile["interests"]:
            profile["interests"] = changed["interests"] = interests
        for name in ("hours_per_week", "communication_style", "learning_style"):
            value = getattr(args, name)
            if value is not None and value != profile.get(name):
                profile[name] = changed[name] = value
        if not changed:
            return ToolOutcome("Your profile already says that.", {"changed": {}})
        user = ctx.user.model_copy(update={"profile": Profile.model_validate(profile)})
        b.store.upsert_users(ctx.tenant, [user])
        said = "; ".join(f"{k.replace('_', ' ')}: {_show(v)}" for k, v in changed.items())
        return ToolOutcome(f"I updated your profile ({said}).", {"changed": changed}, user=user)

    registry.register(
        Tool(
            "explain_recommendation",
            "Explain why an item is recommended to the user (give its id or title).",
            ExplainArgs,
            explain,
            intents=("ask_question", "recommend"),
            from_intent=lambda i: {"item": _explained_item(i.text)},
            matches=lambda text: bool(_WHY_RECOMMENDED.search(text)),
        )
    )
    registry.register(
        Tool(
            "recommend",
            "Personalised recommendations for the user, with reasons.",
            RecommendArgs,
            recommend,
            intents=("recommend",),
            from_intent=lambda i: {"request": i.text},
        )
    )
    registry.register(
        Tool(
            "search_items",
            "Search the catalogue (courses, mentors, events, offers...) with a plain-language "
            "query; price, place and time in the query are understood.",
            SearchArgs,
            search_items,
            intents=("search",),
            from_intent=lambda i: {"query": i.parameters.get("query") or i.text},
        )
    )
    registry.register(
        Tool(
            "knowledge_answer",
            "Answer a question from the platform's knowledge base; returns numbered sources "
            "to cite as [n].",
            KnowledgeArgs,
            knowledge_answer,
            intents=("ask_question",),
            from_intent=lambda i: {"question": i.text},
        )
    )
    registry.register(
        Tool(
            "update_profile",
            "Update the user's profile when they state goals, interests, availability or how "
            "they like to be spoken to.",
            UpdateProfileArgs,
            update_profile,
            intents=("update_profile",),
            from_intent=_profile_arguments,
        )
    )
    return registry


def _listing(lines: list[str]) -> str:
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, start=1))


def _show(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _explained_item(text: str) -> str:
    match = _EXPLAINED_ITEM.search(text)
    return match.group(1).strip() if match else text


def _profile_arguments(intent: Intent) -> dict[str, Any]:
    p = intent.parameters
    arguments: dict[str, Any] = {
        "add_goals": p.get("goals", []),
        "add_interests": p.get("interests", []),
    }
    for name in ("hours_per_week", "communication_style", "learning_style"):
        if p.get(name) is not None:
            arguments[name] = p[name]
    return arguments
