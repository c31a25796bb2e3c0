"""The delivery outbox: messages waiting for delivery, their outcomes, and the public click
link that records a click and leads to the message's own link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

from rapport.engine.schemas import DeliveryReport, OutboxEntry, OutboxStatus, Page
from rapport.interfaces.api.deps import EngineDep, JsonRecords, TenantDep

router = APIRouter(tags=["outbox"])
public_router = APIRouter(tags=["outbox"])
"""Routes users reach without a key (the links inside delivered messages)."""

At = Annotated[
    str | None,
    Query(description="The time to act at (ISO 8601, naive means UTC); default now."),
]


@router.get("/outbox")
def list_messages(
    engine: EngineDep,
    tenant: TenantDep,
    status: OutboxStatus | None = None,
    user_id: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[OutboxEntry]:
    """Messages, newest first, optionally of one status (`pending`, `sent`, `failed`,
    `cancelled`) or user."""
    return engine.outbox.list(
        status=status, user_id=user_id, limit=limit, offset=offset, tenant=tenant
    )


@router.post("/outbox")
def enqueue(
    engine: EngineDep, tenant: TenantDep, records: JsonRecords, at: At = None
) -> list[OutboxEntry]:
    """Enqueue messages (`OutboxMessage`): one per user, trigger and period, so sending the
    same message again returns the stored one. One bad message rejects the batch."""
    return engine.outbox.enqueue(records, at=at, tenant=tenant)


@router.post("/outbox/deliver")
def deliver(engine: EngineDep, tenant: TenantDep, at: At = None) -> DeliveryReport:
    """Deliver the messages due at `at` now (the background job does this every minute)."""
    return engine.outbox.deliver(at=at, tenant=tenant)


@router.get("/outbox/{message_id}")
def get_message(engine: EngineDep, tenant: TenantDep, message_id: str) -> OutboxEntry:
    """One message and where its delivery stands."""
    return engine.outbox.get(message_id, tenant=tenant)


@router.post("/outbox/{message_id}/cancel")
def cancel(engine: EngineDep, tenant: TenantDep, message_id: str, at: At = None) -> OutboxEntry:
    """Do not deliver this pending message (409 once sent or failed)."""
    return engine.outbox.cancel(message_id, at=at, tenant=tenant)


@router.post("/outbox/{message_id}/retry")
def retry(engine: EngineDep, tenant: TenantDep, message_id: str, at: At = None) -> OutboxEntry:
    """Deliver a failed or cancelled message again from `at`, with fresh attempts (409
    once sent)."""
    return engine.outbox.retry(message_id, at=at, tenant=tenant)


@public_router.get(
    "/outbox/{message_id}/click",
    response_class=RedirectResponse,
    status_code=302,
    responses={302: {"description": "To the link stored with the message"}},
)
def click(
    engine: EngineDep,
    message_id: str,
    tenant: Annotated[
        str | None, Query(description="The message's tenant (the link carries it).")
    ] = None,
) -> RedirectResponse:
    """The tracking link inside a delivered message: records a `nudge_click` event (once
    per message) and redirects to the `url` stored with that message, never anywhere
    else. Needs no key: the unguessable message id is the credential."""
    found = engine.outbox.click(message_id, tenant=tenant)
    return RedirectResponse(found.url, status_code=302)
