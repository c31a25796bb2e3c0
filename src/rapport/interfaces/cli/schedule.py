"""Scheduling and plans: `rapport schedule availability|prefs|import|propose|book|sessions|
cancel|reminders|ics` and `rapport plan USER --week-of ... --hours ... --effort ...`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError
from rich.table import Table

from rapport.core.models import Timestamp
from rapport.engine.schemas import (
    AvailabilityRequest,
    BookRequest,
    CalendarImportRequest,
    PlanRequest,
    ProposeRequest,
    SchedulePreferences,
)
from rapport.interfaces.cli.common import JsonFlag, emit, fail, run, state
from rapport.interfaces.cli.output import console

app = typer.Typer(
    help="Sessions with mentors and other providers: availability, calendars, proposals, "
    "bookings, reminders.",
    no_args_is_help=True,
)

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKLY = re.compile(r"^\s*(\w+)\s+(\d\d:\d\d)\s*-\s*(\d\d:\d\d)\s*$")
_TIMESTAMP: TypeAdapter[datetime] = TypeAdapter(Timestamp)

AtOption = Annotated[
    str | None, typer.Option("--at", help="Act as of this time (ISO 8601; default: now).")
]


def _time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return _TIMESTAMP.validate_python(value)
    except ValidationError as exc:
        raise fail(f"--{name}: {exc.errors()[0]['msg']}", 2) from exc


def _validated(model: Any, values: dict[str, Any]) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise fail(problems, 2) from exc


def _weekday(name: str) -> int:
    key = name.strip().lower()[:3]
    if key.isdigit() and 0 <= int(key) <= 6:
        return int(key)
    if key not in _DAYS:
        raise fail(f"--weekly: {name!r} is not a weekday (mon..sun or 0..6)", 2)
    return _DAYS.index(key)


@app.command("availability")
def availability(
    item_id: Annotated[str, typer.Argument(help="The mentor or other provider item.")],
    timezone: Annotated[str, typer.Option(help="The provider's IANA time zone.")] = "UTC",
    weekly: Annotated[
        list[str] | None,
        typer.Option("--weekly", help='A weekly window, e.g. "tue 18:00-20:00" (repeat).'),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Show a provider's availability, or replace it with `--weekly` windows."""
    engine = state.engine()
    if weekly:
        windows = []
        for text in weekly:
            match = _WEEKLY.match(text)
            if not match:
                raise fail(f'--weekly: {text!r} is not "DAY HH:MM-HH:MM"', 2)
            day, start, end = match.groups()
            windows.append({"weekday": _weekday(day), "start": start, "end": end})
        request = _validated(AvailabilityRequest, {"timezone": timezone, "weekly": windows})
        found = run(lambda: engine.schedule.set_availability(item_id, request))
    else:
        found = run(lambda: engine.schedule.availability(item_id))

    def show() -> None:
        console.print(f"[bold]{item_id}[/bold] ({found.timezone})", highlight=False)
        for w in found.weekly:
            console.print(f"  {_DAYS[w.weekday]} {w.start}-{w.end}", highlight=False)
        for o in found.one_off:
            console.print(f"  {o.start:%Y-%m-%d %H:%M}-{o.end:%H:%M} UTC", highlight=False)

    emit(found, json_out, show)


@app.command("prefs")
def prefs(
    user_id: Annotated[str, typer.Argument(help="The user.")],
    time_of_day: Annotated[
        list[str] | None, typer.Option("--time-of-day", help="morning, afternoon, evening.")
    ] = None,
    weekday: Annotated[
        list[str] | None, typer.Option("--weekday", help="Preferred weekday (repeat).")
    ] = None,
    session_minutes: Annotated[int | None, typer.Option(help="Session length.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Show the user's scheduling preferences, or set them."""
    engine = state.engine()
    if time_of_day or weekday or session_minutes:
        values: dict[str, Any] = {
            "time_of_day": time_of_day or [],
            "weekdays": [_weekday(d) for d in weekday or []],
        }
        if session_minutes:
            values["session_minutes"] = session_minutes
        request = _validated(SchedulePreferences, values)
        found = run(lambda: engine.schedule.set_preferences(user_id, request))
    else:
        found = run(lambda: engine.schedule.preferences(user_id))
    emit(found, json_out, lambda: console.print_json(found.model_dump_json()))


@app.command("import")
def import_calendar(
    user_id: Annotated[str, typer.Argument(help="The user.")],
    calendar: Annotated[str, typer.Argument(help="An .ics file or an http(s) URL.")],
    source: Annotated[str | None, typer.Option(help="Name of this calendar.")] = None,
    at: AtOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Import the user's busy times from an iCalendar file or URL."""
    moment = _time(at, "at")
    if calendar.lower().startswith(("http://", "https://")):
        values: dict[str, Any] = {"url": calendar, "source": source}
    else:
        path = Path(calendar)
        if not path.is_file():
            raise fail(f"no such file: {calendar}", 2)
        values = {"ics": path.read_text(errors="replace"), "source": source or path.name}
    request = _validated(CalendarImportRequest, values)
    done = run(lambda: state.engine().schedule.import_calendar(user_id, request, at=moment))

    def show() -> None:
        console.print(
            f"{done.imported} busy time(s) from {done.source} "
            f"({done.replaced} from its previous import replaced)",
            markup=False,
        )

    emit(done, json_out, show)


@app.command("propose")
def propose(
    user_id: Annotated[str, typer.Argument(help="The user.")],
    item_id: Annotated[str, typer.Option("--with", help="The provider item.")],
    start: Annotated[str | None, typer.Option("--from", help="Earliest start.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Latest end.")] = None,
    duration: Annotated[int | None, typer.Option(help="Minutes.")] = None,
    count: Annotated[int, typer.Option(help="How many slots.")] = 5,
    at: AtOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Conflict-free times for a session, best first, with reasons."""
    request = _validated(
        ProposeRequest,
        {
            "item_id": item_id,
            "from": _time(start, "from"),
            "to": _time(end, "to"),
            "duration": duration,
            "count": count,
        },
    )
    found = run(lambda: state.engine().schedule.propose(user_id, request, at=_time(at, "at")))

    def show() -> None:
        table = Table("start (" + found.timezone + ")", "score", "reasons")
        for slot in found.slots:
            table.add_row(
                slot.local_start[:16].replace("T", " "),
                f"{slot.score:.2f}",
                "; ".join(slot.reasons),
            )
        console.print(table)
        for note in found.notes:
            console.print(f"[dim]{note}[/dim]", highlight=False)

    emit(found, json_out, show)


@app.command("book")
def book(
    user_id: Annotated[str, typer.Argument(help="The user.")],
    start: Annotated[str, typer.Option("--start", help="Start (ISO 8601 with offset).")],
    item_id: Annotated[str | None, typer.Option("--with", help="The provider item.")] = None,
    duration: Annotated[int | None, typer.Option(help="Minutes.")] = None,
    title: Annotated[str, typer.Option(help="Title.")] = "",
    at: AtOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Book a session (exit 1 with the reason when the time is taken)."""
    request = _validated(
        BookRequest,
        {"item_id": item_id, "start": _time(start, "start"), "duration": duration, "title": title},
    )
    made = run(lambda: state.engine().schedule.book(user_id, request, at=_time(at, "at")))
    emit(
        made,
        json_out,
        lambda: console.print(f"booked {made.id}: {made.title}, {made.local_start}", markup=False),
    )


@app.command("sessions")
def sessions(
    user_id: Annotated[str, typer.Argument(help="The user.")],
    include_cancelled: Annotated[bool, typer.Option(help="Also cancelled ones.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """The user's sessions."""
    found = run(
        lambda: state.engine().schedule.sessions(user_id, include_cancelled=include_cancelled)
    )

    def show() -> None:
        table = Table("id", "start", "title", "status", "by assistant")
        for s in found:
            table.add_row(
                s.id, s.local_start[:16], s.title, s.status, "yes" if s.ai_scheduled else ""
            )
        console.print(table)

    emit(found, json_out, show)


@app.command("cancel")
def cancel(
    user_id: Annotated[str, typer.Argument(help="The user.")],
    session_id: Annotated[str, typer.Argument(help="The session.")],
    json_out: JsonFlag = False,
) -> None:
    """Cancel a session."""
    done = run(lambda: state.engine().schedule.cancel(user_id, session_id))
    emit(done, json_out, lambda: console.print(f"cancelled {done.id}", markup=False))


@app.command("reminders")
def reminders(
    at: AtOption = None,
    lead: Annotated[int, typer.Option(help="Minutes before the session.")] = 60,
    json_out: JsonFlag = False,
) -> None:
    """Session reminders due at `--at`."""
    found = run(
        lambda: state.engine().schedule.reminders_due(
            at=_time(at, "at"), lead=timedelta(minutes=lead)
        )
    )

    def show() -> None:
        for r in found:
            console.print(f"{r.user_id}: {r.subject}", markup=False)

    emit(found, json_out, show)


@app.command("ics")
def ics(
    user_id: Annotated[str, typer.Argument(help="The user.")],
    at: AtOption = None,
) -> None:
    """The user's sessions and plans as iCalendar (what GET /users/{id}/calendar.ics gives)."""
    text = run(lambda: state.engine().schedule.calendar_ics(user_id, at=_time(at, "at")))
    typer.echo(text, nl=False)


def plan(
    user_id: Annotated[str, typer.Argument(help="The user.")],
    week_of: Annotated[str, typer.Option("--week-of", help="Any day of the week (YYYY-MM-DD).")],
    hours: Annotated[float, typer.Option(help="Hours of work in the week.")],
    effort: Annotated[str, typer.Option(help="low, medium or high.")] = "medium",
    goal: Annotated[
        list[str] | None, typer.Option("--goal", help="A goal (repeat; default: the profile's).")
    ] = None,
    as_ics: Annotated[bool, typer.Option("--ics", help="Print iCalendar.")] = False,
    at: AtOption = None,
    json_out: JsonFlag = False,
) -> None:
    """A week of work blocks around the user's events (stored)."""
    request = _validated(
        PlanRequest, {"week_of": week_of, "hours": hours, "effort": effort, "goals": goal or []}
    )
    engine = state.engine()
    made = run(lambda: engine.plans.make(user_id, request, at=_time(at, "at")))
    if as_ics:
        typer.echo(engine.plans.ics(made), nl=False)
        return

    def show() -> None:
        table = Table("day", "time", "block", "goal")
        for e in made.events:
            here = datetime.fromisoformat(e.local_start)
            end = e.end.astimezone(here.tzinfo)
            table.add_row(f"{here:%a %d %b}", f"{here:%H:%M}-{end:%H:%M}", e.title, e.goal)
        console.print(table)
        console.print(made.summary, markup=False)

    emit(made, json_out, show)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="schedule")
    root.command("plan")(plan)
