"""Outbox commands: `rapport outbox list|show|deliver|cancel|retry`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from rapport.engine.schemas import OutboxEntry
from rapport.interfaces.cli.common import JsonFlag, emit, fail, run, state
from rapport.interfaces.cli.output import console

app = typer.Typer(help="Messages waiting for delivery (nudges, reminders).", no_args_is_help=True)

STATUSES = ("pending", "sent", "failed", "cancelled")
AtOption = Annotated[
    str | None, typer.Option("--at", help="Act at this time (ISO 8601, naive is UTC); default now.")
]
IdArgument = Annotated[str, typer.Argument(help="The message id.")]


def _line(entry: OutboxEntry) -> str:
    when = entry.sent_at or entry.next_attempt_at
    detail = f"{entry.channel}, {entry.attempts} attempts, {when:%Y-%m-%d %H:%M}"
    line = f"{entry.id}: {entry.status} ({detail})"
    return f"{line}\n  {entry.last_error}" if entry.last_error else line


@app.command("list")
def list_messages(
    status: Annotated[
        str | None, typer.Option(help="Only this status: pending, sent, failed, cancelled.")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    json_out: JsonFlag = False,
) -> None:
    """Messages of the tenant, newest first."""
    if status is not None and status not in STATUSES:
        raise fail(f"status must be one of {', '.join(STATUSES)}", 2)
    page = run(
        lambda: state.engine().outbox.list(
            status=status,  # type: ignore[arg-type]
            user_id=user,
            limit=limit,
            offset=offset,
        )
    )

    def show() -> None:
        table = Table("id", "user", "trigger", "period", "channel", "status", "attempts", "due")
        for e in page.items:
            table.add_row(
                e.id,
                e.user_id,
                e.trigger,
                e.period,
                e.channel,
                e.status,
                str(e.attempts),
                e.next_attempt_at.strftime("%Y-%m-%d %H:%M") if e.status == "pending" else "",
            )
        console.print(table)
        console.print(f"{len(page.items)} of {page.total}")

    emit(page, json_out, show)


@app.command("show")
def show_message(message_id: IdArgument, json_out: JsonFlag = False) -> None:
    """One message and where its delivery stands."""
    entry = run(lambda: state.engine().outbox.get(message_id))
    emit(entry, json_out, lambda: console.print(_line(entry), markup=False))


@app.command("deliver")
def deliver(at: AtOption = None, json_out: JsonFlag = False) -> None:
    """Deliver the messages due now (or at `--at`); failures are retried later."""
    report = run(lambda: state.engine().outbox.deliver(at=at))

    def show() -> None:
        console.print(
            f"{report.claimed} due: {report.sent} sent, {report.retrying} to retry, "
            f"{report.failed} failed"
        )
        for entry in report.entries:
            console.print(_line(entry), markup=False)

    emit(report, json_out, show)


@app.command("cancel")
def cancel(message_id: IdArgument, at: AtOption = None, json_out: JsonFlag = False) -> None:
    """Do not deliver this pending message."""
    entry = run(lambda: state.engine().outbox.cancel(message_id, at=at))
    emit(entry, json_out, lambda: console.print(_line(entry), markup=False))


@app.command("retry")
def retry(message_id: IdArgument, at: AtOption = None, json_out: JsonFlag = False) -> None:
    """Deliver a failed or cancelled message again, with fresh attempts."""
    entry = run(lambda: state.engine().outbox.retry(message_id, at=at))
    emit(entry, json_out, lambda: console.print(_line(entry), markup=False))
