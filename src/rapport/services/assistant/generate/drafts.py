"""Offer and event drafts from a few keys (seed 004): category, place, base price and
discount become a title, a description, the reduced price and a time window. Prices and
times are computed, never written by the model; the model only words the title and the
description, and its wording must name the category or the place."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from rapport.core.llm import LLMGateway
from rapport.core.models import Item, utcnow
from rapport.services.assistant.generate.llm import ask
from rapport.services.assistant.generate.schemas import Draft, DraftRequest

TITLE_MAX, DESCRIPTION_MAX = 90, 600
DEFAULT_LENGTH = {
    "offer": timedelta(days=7),
    "service": timedelta(days=30),
    "event": timedelta(hours=3),
    "informative": timedelta(days=1),
}


class _LLMDraft(BaseModel):
    title: str = Field(min_length=3, max_length=TITLE_MAX)
    description: str = Field(min_length=10, max_length=DESCRIPTION_MAX)


def window(request: DraftRequest, now: datetime) -> tuple[datetime, datetime]:
    start = request.starts_at or (
        now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    )
    end = request.ends_at or start + DEFAULT_LENGTH[request.kind]
    return start, end


def money(amount: float, currency: str) -> str:
    return f"{amount:,.2f} {currency}".replace(".00 ", " ")


def template(
    request: DraftRequest, reduced: float, start: datetime, end: datetime
) -> tuple[str, str]:
    category, place = request.category.strip(), request.place.strip()
    label = category[:1].upper() + category[1:]
    until = f"{end:%d %b %Y, %H:%M} UTC"
    if request.kind == "event":
        title = f"{label} at {place}"
        price = (
            f"Tickets {money(reduced, request.currency)} instead of "
            f"{money(request.price, request.currency)} ({request.discount:g}% off)."
            if request.discount
            else f"Tickets {money(request.price, request.currency)}."
            if request.price
            else "Free entry."
        )
        text = f"Join us for {category} at {place} on {start:%d %b %Y, %H:%M} UTC. {price}"
    elif request.kind == "informative":
        title = f"{label} news from {place}"
        text = f"Good to know for everyone around {place}: {category}, until {until}."
    else:
        what = "Service" if request.kind == "service" else "Special offer"
        title = (
            f"{request.discount:g}% off {category} at {place}"
            if request.discount
            else f"{label} at {place}"
        )
        price = (
            f"now {money(reduced, request.currency)} instead of "
            f"{money(request.price, request.currency)}"
            if request.discount
            else f"for {money(request.price, request.currency)}"
        )
        text = f"{what}: {category} at {place}, {price}. Valid until {until}."
    if request.details:
        text = f"{text} {request.details.strip()}"
    return title[:TITLE_MAX], text[:DESCRIPTION_MAX]


def build_draft(gateway: LLMGateway, request: DraftRequest) -> Draft:
    reduced = round(request.price * (1 - request.discount / 100), 2)
    start, end = window(request, utcnow())
    if end <= start:  # only an end was given, before the default start
        start = end - DEFAULT_LENGTH[request.kind]
    title, description = template(request, reduced, start, end)
    mode, model = "template", ""
    reply, used = ask(
        gateway,
        f"Write a catchy title and a 2-3 sentence description for this {request.kind}. "
        "Mention the category and the place; state prices exactly as given; no hashtags.",
        {
            **request.model_dump(mode="json", exclude={"starts_at", "ends_at"}),
            "reduced_price": reduced,
            "starts_at": start.isoformat(),
            "ends_at": end.isoformat(),
        },
        _LLMDraft,
        temperature=0.7,
        max_tokens=400,
    )
    if reply is not None and _grounded(reply, request):
        title, description, mode, model = (
            reply.title.strip(),
            reply.description.strip(),
            "llm",
            used,
        )
    key = f"{request.kind}|{request.category}|{request.place}|{start.isoformat()}"
    item = Item(
        id=f"draft_{hashlib.sha1(key.encode()).hexdigest()[:16]}",
        kind=request.kind,
        title=title,
        text=description,
        categories=[request.category.strip().lower()],
        attributes={"place": request.place, "discount": request.discount,
                    "currency": request.currency, "generated": True},
        starts_at=start,
        ends_at=end,
        price=reduced,
        original_price=request.price if request.discount else None,
    )  # fmt: skip
    return Draft(
        title=title,
        description=description,
        category=request.category,
        place=request.place,
        original_price=request.price,
        discount=request.discount,
        reduced_price=reduced,
        currency=request.currency,
        starts_at=start,
        ends_at=end,
        item=item,
        mode=mode,
        model=model,
    )


def _grounded(reply: _LLMDraft, request: DraftRequest) -> bool:
    """The model's text names the category or the place (otherwise it wrote about
    something else)."""
    text = f"{reply.title} {reply.description}".lower()
    keys = [request.category.lower(), request.place.lower()]
    return any(k in text for k in keys)
