"""Scheduling and weekly plans: availability, preferences, calendar import, proposals,
bookings, reminders, plans and the .ics export."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from rapport.core.errors import FieldError, InvalidInput, field_errors
from rapport.core.models import Timestamp
from rapport.engine.schemas import (
    Availability,
    AvailabilityRequest,
    BookRequest,
    BusyTime,
    CalendarImport,
    CalendarImportRequest,
    Plan,
    PlanRequest,
    Preferences,
    Proposal,
    ProposeRequest,
    Reminder,
    SchedulePreferences,
    Session,
)
from rapport.interfaces.api.deps import EngineDep, TenantDep
from rapport.interfaces.api.errors import ErrorResponse

router = APIRouter(tags=["schedule"])

ICS = "text/calendar"
At = Annotated[
    Timestamp | None,
    Query(description="The moment to act at (ISO 8601 or epoch seconds; default: now)."),
]
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorResponse, "description": "The time is taken or unavailable"}
}


def _ics(text: str, name: str) -> Response:
    return Response(
        text,
        media_type=ICS,
        headers={"Content-Disposition": f'inline; filename="{name}.ics"'},
    )


@router.put("/items/{item_id}/availability")
def set_availability(
    engine: EngineDep, tenant: TenantDep, item_id: str, body: AvailabilityRequest
) -> Availability:
    """Replace a provider item's availability: weekly wall-clock windows in its time zone
    and one-off windows."""
    return engine.schedule.set_availability(item_id, body, tenant=tenant)


@router.get("/items/{item_id}/availability")
def availability(engine: EngineDep, tenant: TenantDep, item_id: str) -> Availability:
    """A provider item's availability."""
    return engine.schedule.availability(item_id, tenant=tenant)


@router.get("/users/{user_id}/schedule-preferences")
def preferences(engine: EngineDep, tenant: TenantDep, user_id: str) -> Preferences:
    """The user's scheduling preferences (defaults when never set)."""
    return engine.schedule.preferences(user_id, tenant=tenant)


@router.put("/users/{user_id}/schedule-preferences")
def set_preferences(
    engine: EngineDep, tenant: TenantDep, user_id: str, body: SchedulePreferences
) -> Preferences:
    """Replace the user's preferences: parts of the day, weekdays, session length, waking
    hours."""
    return engine.schedule.set_preferences(user_id, body, tenant=tenant)


@router.post(
    "/users/{user_id}/calendar",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": CalendarImportRequest.model_json_schema()},
                ICS: {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_calendar(
    engine: EngineDep,
    tenant: TenantDep,
    user_id: str,
    request: Request,
    at: At = None,
    source: Annotated[
        str | None, Query(max_length=256, description="Name of an uploaded calendar.")
    ] = None,
) -> CalendarImport:
    """Import busy times: upload the calendar file as `text/calendar`, or send JSON
    `{"ics": ...}` or `{"url": ...}` (fetched now). Importing the same source again
    replaces its busy times."""
    raw = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind == ICS:
            body = CalendarImportRequest(ics=raw.decode("utf-8", errors="replace"), source=source)
        else:
            data: Any = json.loads(raw or b"null")
            if not isinstance(data, dict):
                raise InvalidInput(
                    [FieldError(record="body", field="(record)", message="expected an object")]
                )
            body = CalendarImportRequest.model_validate(
                {**data, **({"source": source} if source else {})}
            )
    except ValueError as exc:  # JSON and validation errors
        errors = (
            field_errors("body", exc)
            if isinstance(exc, ValidationError)
            else [FieldError(record="body", field="(record)", message=f"not JSON: {exc}")]
        )
        raise InvalidInput(errors) from exc
    return await run_in_threadpool(
        lambda: engine.schedule.import_calendar(user_id, body, tenant=tenant, at=at)
    )


@router.get("/users/{user_id}/busy")
def busy(
    engine: EngineDep,
    tenant: TenantDep,
    user_id: str,
    start: Annotated[Timestamp, Query(description="From (ISO 8601).")],
    end: Annotated[Timestamp, Query(description="To (ISO 8601).")],
) -> list[BusyTime]:
    """The user's busy times overlapping [start, end)."""
    if end <= start:
        raise InvalidInput([FieldError(record="query", field="end", message="must be after start")])
    return engine.schedule.busy(user_id, start, end, tenant=tenant)


@router.post("/users/{user_id}/sessions/propose")
def propose(
    engine: EngineDep, tenant: TenantDep, user_id: str, body: ProposeRequest, at: At = None
) -> Proposal:
    """Conflict-free slots with a provider, best first, each with its reasons."""
    return engine.schedule.propose(user_id, body, tenant=tenant, at=at)


@router.post("/users/{user_id}/sessions", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def book(
    engine: EngineDep, tenant: TenantDep, user_id: str, body: BookRequest, at: At = None
) -> Session:
    """Book a session; 409 when the time is taken (for the user or the provider), in the
    user's calendar, or outside the provider's availability."""
    return engine.schedule.book(user_id, body, tenant=tenant, at=at)


@router.get("/users/{user_id}/sessions")
def sessions(
    engine: EngineDep,
    tenant: TenantDep,
    user_id: str,
    start: Annotated[Timestamp | None, Query(description="Only sessions ending after.")] = None,
    end: Annotated[Timestamp | None, Query(description="Only sessions starting before.")] = None,
    include_cancelled: bool = False,
) -> list[Session]:
    """The user's sessions, by start."""
    return engine.schedule.sessions(
        user_id, start=start, end=end, include_cancelled=include_cancelled, tenant=tenant
    )


@router.delete("/users/{user_id}/sessions/{session_id}")
def cancel(engine: EngineDep, tenant: TenantDep, user_id: str, session_id: str) -> Session:
    """Cancel a session (kept, marked `cancelled`)."""
    return engine.schedule.cancel(user_id, session_id, tenant=tenant)


@router.get("/reminders")
def reminders(
    engine: EngineDep,
    tenant: TenantDep,
    at: At = None,
    lead_minutes: Annotated[int, Query(ge=1, le=10080, description="Minutes before.")] = 60,
) -> list[Reminder]:
    """Session reminders due at `at` (the outbox sends them)."""
    return engine.schedule.reminders_due(at=at, lead=timedelta(minutes=lead_minutes), tenant=tenant)


@router.get(
    "/users/{user_id}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {ICS: {}}, "description": "The iCalendar file."}},
)
def calendar_ics(engine: EngineDep, tenant: TenantDep, user_id: str, at: At = None) -> Response:
    """The user's sessions and the newest plan of each week, as iCalendar."""
    return _ics(engine.schedule.calendar_ics(user_id, tenant=tenant, at=at), "calendar")


@router.post(
    "/users/{user_id}/plan",
    status_code=status.HTTP_201_CREATED,
    response_model=Plan,
    responses={201: {"content": {ICS: {}}, "description": "The plan, or its iCalendar."}},
)
def make_plan(
    engine: EngineDep,
    tenant: TenantDep,
    user_id: str,
    body: PlanRequest,
    at: At = None,
    format: Annotated[str | None, Query(pattern="^(json|ics)$", description="`ics`.")] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Plan | Response:
    """A week of work blocks around the user's events, stored; `?format=ics` or
    `Accept: text/calendar` returns it as iCalendar."""
    plan = engine.plans.make(user_id, body, tenant=tenant, at=at)
    if format == "ics" or (format is None and ICS in (accept or "")):
        return Response(engine.plans.ics(plan), status_code=status.HTTP_201_CREATED, media_type=ICS)
    return plan


@router.get("/users/{user_id}/plans")
def plans(
    engine: EngineDep,
    tenant: TenantDep,
    user_id: str,
    week_of: Annotated[date | None, Query(description="Any day of the week.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[Plan]:
    """The user's plans, newest first."""
    return engine.plans.list(user_id, week_of=week_of, limit=limit, tenant=tenant)
