"""`rapport scores`, `rapport nudges` and `rapport dispatch`: where a user stands, the
nudges due at a moment, and one pass that queues and delivers them (docs/engage.md)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from rapport.interfaces.cli.common import JsonFlag, emit, run, state
from rapport.interfaces.cli.output import console

At = Annotated[
    str | None,
    typer.Option("--at", help="The moment judged: ISO 8601 or epoch seconds (default now)."),
]


def scores(
    user_id: Annotated[str, typer.Argument(help="The user.")],
    at: At = None,
    json_out: JsonFlag = False,
) -> None:
    """Engagement (7 days), learning velocity, motivation and (once trained) abandonment risk
    of a user, with their drivers."""
    found = run(lambda: state.engine().engage.scores(user_id, at))

    def show() -> None:
        table = Table("score", "value", "drivers")
        for name, score in (
            ("engagement", found.engagement),
            ("learning velocity", found.learning_velocity),
            ("motivation", found.motivation),
        ):
            drivers = "; ".join(f"{d.detail} ({d.contribution:+.3f})" for d in score.drivers)
            table.add_row(name, f"{score.value:.3f}", drivers)
        if found.abandonment_risk is not None:
            drivers = "; ".join(f"{d.label} ({d.effect:+.2f})" for d in found.abandonment_drivers)
            table.add_row("abandonment risk", f"{found.abandonment_risk:.3f}", drivers)
        console.print(table)

    emit(found, json_out, show)


def nudges(
    at: At = None,
    user_id: Annotated[str | None, typer.Option("--user", help="Only this user.")] = None,
    held: Annotated[
        bool, typer.Option("--held", help="Also list nudges held back, with the reason.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """The nudges due at --at: trigger, priority, message, send time and channel (`--json`
    prints the list REST's GET /nudges returns)."""
    plan = run(lambda: state.engine().engage.plan(at, user_id))

    def show() -> None:
        table = Table("user", "trigger", "priority", "send at (UTC)", "channel", "message")
        for n in plan.nudges:
            table.add_row(
                n.user_id,
                n.trigger,
                str(n.priority),
                f"{n.send_at:%Y-%m-%d %H:%M}",
                n.channel or "(default)",
                n.message,
            )
        console.print(table)
        console.print(f"{len(plan.nudges)} due at {plan.at:%Y-%m-%d %H:%M} UTC")
        if held and plan.held:
            kept = Table("user", "trigger", "period", "held because")
            for h in plan.held:
                kept.add_row(h.user_id, h.trigger, h.period, h.reason)
            console.print(kept)

    emit(plan if held else plan.nudges, json_out, show)


def dispatch(at: At = None, json_out: JsonFlag = False) -> None:
    """Queue the nudges and session reminders due at --at in the outbox, cancel queued
    nudges that no longer hold, and deliver what is due (one pass of the delivery job)."""
    report = run(lambda: state.engine().engage.dispatch(at))

    def show() -> None:
        delivery = report.delivery
        console.print(
            f"{len(report.queued)} due messages in the outbox, {len(report.cancelled)} "
            f"cancelled; delivered {delivery.sent}, retrying {delivery.retrying}, "
            f"failed {delivery.failed}"
        )

    emit(report, json_out, show)


def register(app: typer.Typer) -> None:
    app.command()(scores)
    app.command()(nudges)
    app.command()(dispatch)
