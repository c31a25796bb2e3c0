"""Users' busy times from iCalendar files or URLs: recurring events are expanded into their
occurrences (`recurring-ical-events`: RRULE, RDATE, EXDATE, moved occurrences), free and
cancelled events are skipped, floating and all-day times are read in the user's zone."""

from __future__ import annotations

import hashlib
import ipaddress
import socket
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
import recurring_ical_events

from rapport.core.errors import FieldError, InvalidInput
from rapport.core.store.calendar import BusyRow, CalendarStore
from rapport.core.store.repository import Store
from rapport.services.plan.schemas import (
    BusyTime,
    CalendarImport,
    CalendarImportRequest,
)

MAX_BYTES = 5_000_000
"""Largest calendar accepted (file or URL)."""
PAST = timedelta(days=7)
HORIZON = timedelta(days=180)
"""Occurrences are stored from a week before `at` to half a year after it."""


def _bad(field: str, message: str) -> InvalidInput:
    return InvalidInput([FieldError(record="request", field=field, message=message)])


def public_only(request: httpx.Request) -> None:
    """Refuse a request (the first or a redirect) to a loopback, private, link-local or
    otherwise internal address."""
    host = request.url.host
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError as exc:
        raise _bad("url", f"cannot resolve {host}: {exc}") from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise _bad(
                "url",
                f"{host} is a private or local address ({ip}); set [schedule] "
                "calendar_private_urls = true to allow it",
            )


def fetch_calendar(url: str, timeout: float = 10.0, allow_private: bool = False) -> str:
    """The calendar at an http(s) URL (asked for by the user; never fetched otherwise)."""
    if not url.lower().startswith(("http://", "https://")):
        raise _bad("url", "must be an http:// or https:// URL")
    hooks = {} if allow_private else {"request": [public_only]}
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=True, event_hooks=hooks) as client,
            client.stream("GET", url) as response,
        ):
            response.raise_for_status()
            body = b""
            for part in response.iter_bytes():
                body += part
                if len(body) > MAX_BYTES:
                    raise _bad("url", f"the calendar is larger than {MAX_BYTES} bytes")
    except httpx.HTTPError as exc:
        raise _bad("url", f"could not fetch the calendar: {exc}") from exc
    return body.decode("utf-8", errors="replace")


def _moment(value: Any, zone: ZoneInfo) -> datetime:
    """A DTSTART/DTEND value as UTC: dates start at local midnight, floating times are
    local."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=zone).astimezone(UTC)
    raise ValueError(f"not a date or time: {value!r}")


def parse_busy(
    ics: str, source: str, zone: ZoneInfo, start: datetime, end: datetime
) -> list[BusyRow]:
    """Busy occurrences in [start, end) of every event in the calendar text."""
    try:
        calendar = icalendar.Calendar.from_ical(ics)
        occurrences = recurring_ical_events.of(calendar, skip_bad_series=True).between(start, end)
    except Exception as exc:  # the parsers raise many types for malformed input
        raise _bad("ics", f"not a readable iCalendar file: {exc}") from exc
    rows: dict[str, BusyRow] = {}
    for event in occurrences:
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":  # marked free
            continue
        if "DTSTART" not in event:
            continue
        first = event["DTSTART"].dt
        begins = _moment(first, zone)
        if "DTEND" in event:
            ends = _moment(event["DTEND"].dt, zone)
        elif "DURATION" in event:
            ends = begins + event["DURATION"].dt
        else:  # RFC 5545: a date lasts the day, a time has no length
            ends = begins + (timedelta(days=1) if not isinstance(first, datetime) else timedelta())
        if ends <= begins:
            continue
        uid = str(event.get("UID", ""))
        key = f"{source}|{uid}|{begins.isoformat()}|{ends.isoformat()}"
        busy_id = "busy_" + hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
        rows[busy_id] = BusyRow(
            id=busy_id,
            starts_at=begins,
            ends_at=ends,
            summary=str(event.get("SUMMARY", ""))[:500],
            source=source,
        )
    return sorted(rows.values(), key=lambda r: (r.starts_at, r.id))


def busy_time(row: BusyRow) -> BusyTime:
    return BusyTime(
        id=row.id, start=row.starts_at, end=row.ends_at, summary=row.summary, source=row.source
    )


class BusyCalendar:
    """Imports calendars and answers which times a user is busy."""

    def __init__(self, store: Store, calendar: CalendarStore, allow_private: bool = False) -> None:
        self.store = store
        self.calendar = calendar
        self.allow_private = allow_private

    def import_calendar(
        self, tenant: str, user_id: str, request: CalendarImportRequest, at: datetime
    ) -> CalendarImport:
        user = self.store.get_user(tenant, user_id)
        if (request.ics is None) == (request.url is None):
            raise _bad("ics", "give either the calendar text (ics) or a url, not both")
        text = (
            request.ics
            if request.ics is not None
            else fetch_calendar(str(request.url), allow_private=self.allow_private)
        )
        if len(text.encode()) > MAX_BYTES:
            raise _bad("ics", f"the calendar is larger than {MAX_BYTES} bytes")
        source = request.source or request.url or "upload"
        start, end = at - PAST, at + HORIZON
        rows = parse_busy(text, source, ZoneInfo(user.timezone), start, end)
        replaced = self.calendar.replace_busy(tenant, user_id, source, rows)
        return CalendarImport(
            user_id=user_id,
            source=source,
            imported=len(rows),
            replaced=replaced,
            start=start,
            end=end,
            busy=[busy_time(r) for r in rows[:50]],
        )

    def busy(self, tenant: str, user_id: str, start: datetime, end: datetime) -> list[BusyTime]:
        return [busy_time(r) for r in self.calendar.busy(tenant, user_id, start, end)]
