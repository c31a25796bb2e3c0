"""The assistant's scheduling tools: `propose_sessions`, `book_session` and `my_sessions`, the
same calls as `POST /users/{id}/sessions/propose`, `POST /users/{id}/sessions` (bookings
marked `ai_scheduled`) and `GET /users/{id}/sessions`. A language model calls them by name;
without one the schedule intent proposes times, a message that names a clock time ("book a
call with Ana on Friday at 3pm") books it, and the check-schedule intent lists sessions."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from rapport.core.errors import NotFound
from rapport.core.models import Item, Timestamp
from rapport.services.assistant.chat.intents import Intent
from rapport.services.assistant.chat.tools import Tool, ToolContext, ToolOutcome, ToolRegistry
from rapport.services.plan.schemas import BookRequest, ProposeRequest
from rapport.services.plan.service import Scheduler
from rapport.services.plan.times import describe

_BOOK_AT = re.compile(
    r"\b(book|schedule|arrange|reserve|set up)\b.*"
    r"(\b\d{1,2}(:\d{2})?\s*(am|pm)\b|\b\d{1,2}:\d{2}\b|\bnoon\b)",
    re.IGNORECASE,
)


class ProposeArgs(BaseModel):
    """Find free times for a session with a mentor or other provider."""

    item: str = Field(min_length=1, max_length=300)
    """The provider's id or name."""
    start_after: Timestamp | None = None
    """Earliest start, ISO 8601 (default: now)."""
    end_before: Timestamp | None = None
    """Latest end, ISO 8601 (default: two weeks later)."""
    duration_minutes: int | None = Field(default=None, ge=15, le=480)
    """Session length (default: the user's, 60)."""
    count: int = Field(default=3, ge=1, le=10)
    """How many times to propose."""


class BookArgs(BaseModel):
    """Book a session with a provider at a given time (marked as booked by the assistant)."""

    item: str = Field(min_length=1, max_length=300)
    """The provider's id or name."""
    start: Timestamp
    """Start, ISO 8601 with the user's offset."""
    duration_minutes: int | None = Field(default=None, ge=15, le=480)
    """Session length (default: the user's, 60)."""


class SessionsArgs(BaseModel):
    """List the user's booked sessions."""

    start_after: Timestamp | None = None
    """From (ISO 8601; default: now)."""
    end_before: Timestamp | None = None
    """Until (default: two weeks later)."""


def _words(text: str) -> list[str]:
    """Lower-case words without accents: "Ines" finds "Inês"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.findall(r"\w+", plain.lower())


def find_provider(scheduler: Scheduler, tenant: str, name: str) -> Item:
    """A provider by id, or by a name its title contains (word-wise, ignoring case and
    accents)."""
    wanted = name.strip()
    providers = scheduler.providers(tenant)
    if wanted in providers:
        return scheduler.store.get_item(tenant, wanted)
    items = scheduler.store.get_items(tenant, providers)
    words = [w for w in _words(wanted) if w not in ("mentor", "coach")]
    for item in items:
        title = _words(item.title or item.id)
        if words and all(w in title for w in words):
            return item
    known = ", ".join(i.title or i.id for i in items) or "none yet"
    raise NotFound("provider", wanted, f"providers with availability: {known}")


def register_schedule_tools(registry: ToolRegistry, scheduler: Scheduler) -> None:
    """Add `propose_sessions` and `book_session` to the assistant's tools."""

    def propose(ctx: ToolContext, args: ProposeArgs) -> ToolOutcome:
        item = find_provider(scheduler, ctx.tenant, args.item)
        start = max(args.start_after or ctx.now, ctx.now)
        end = args.end_before if args.end_before and args.end_before > start else None
        request = ProposeRequest(
            item_id=item.id,
            from_=start,
            to=end,
            duration=args.duration_minutes,
            count=args.count,
        )
        found = scheduler.propose(ctx.tenant, ctx.user.id, request, ctx.now)
        zone = ZoneInfo(ctx.user.timezone)
        lines = [
            f"{n}. {describe(s.start, zone)} ({'; '.join(s.reasons)})"
            for n, s in enumerate(found.slots, start=1)
        ]
        text = (
            f"Free times with {item.title or item.id}:\n" + "\n".join(lines)
            if lines
            else f"I found no free time with {item.title or item.id}. " + " ".join(found.notes)
        )
        return ToolOutcome(text, found.model_dump(mode="json"))

    def book(ctx: ToolContext, args: BookArgs) -> ToolOutcome:
        item = find_provider(scheduler, ctx.tenant, args.item)
        request = BookRequest(
            item_id=item.id, start=args.start, duration=args.duration_minutes, ai_scheduled=True
        )
        session = scheduler.book(ctx.tenant, ctx.user.id, request, ctx.now)
        zone = ZoneInfo(ctx.user.timezone)
        text = f"Booked: {session.title}, {describe(session.start, zone)} ({zone.key})."
        return ToolOutcome(text, session.model_dump(mode="json"))

    def my_sessions(ctx: ToolContext, args: SessionsArgs) -> ToolOutcome:
        start = args.start_after or ctx.now
        end = args.end_before if args.end_before and args.end_before > start else None
        end = end or start + timedelta(days=14)
        found = scheduler.sessions(ctx.tenant, ctx.user.id, start=start, end=end)
        zone = ZoneInfo(ctx.user.timezone)
        lines = [f"{n}. {describe(s.start, zone)}: {s.title}" for n, s in enumerate(found, 1)]
        text = "Your sessions:\n" + "\n".join(lines) if lines else "Nothing is booked then."
        return ToolOutcome(text, {"sessions": [s.model_dump(mode="json") for s in found]})

    registry.register(
        Tool(
            "my_sessions",
            "List the user's booked sessions in a time range (default: the next two weeks).",
            SessionsArgs,
            my_sessions,
            intents=("check_schedule",),
            from_intent=_day_arguments,
        )
    )
    registry.register(
        Tool(
            "book_session",
            "Book a session with a mentor or other provider at a given start time; use a time "
            "propose_sessions found, or the one the user asked for.",
            BookArgs,
            book,
            from_intent=_book_arguments,
            matches=lambda text: bool(_BOOK_AT.search(text)),
        )
    )
    registry.register(
        Tool(
            "propose_sessions",
            "Find free times for a session with a mentor or other provider, checked against "
            "their availability, the user's calendar and bookings, best first with reasons.",
            ProposeArgs,
            propose,
            intents=("schedule_session",),
            from_intent=_propose_arguments,
        )
    )


def _day_arguments(intent: Intent) -> dict[str, Any]:
    """The day the message names, in the user's offset, as a range."""
    when = intent.parameters.get("when")
    if not when:
        return {}
    day = datetime.fromisoformat(when).replace(hour=0, minute=0, second=0, microsecond=0)
    return {"start_after": day.isoformat(), "end_before": (day + timedelta(days=1)).isoformat()}


def _propose_arguments(intent: Intent) -> dict[str, Any]:
    p = intent.parameters
    arguments: dict[str, Any] = {"item": p.get("with") or "", **_day_arguments(intent)}
    if p.get("duration_minutes"):
        arguments["duration_minutes"] = p["duration_minutes"]
    return arguments


def _book_arguments(intent: Intent) -> dict[str, Any]:
    p = intent.parameters
    arguments: dict[str, Any] = {"item": p.get("with") or "", "start": p.get("when")}
    if p.get("duration_minutes"):
        arguments["duration_minutes"] = p["duration_minutes"]
    return arguments
