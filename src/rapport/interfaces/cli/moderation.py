"""Moderation commands: `rapport moderation check|injection|list|approve|reject`."""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from rich.table import Table

from rapport.interfaces.cli.common import JsonFlag, emit, run, state
from rapport.interfaces.cli.output import console

app = typer.Typer(
    help="Safety: check texts and review items held by moderation.", no_args_is_help=True
)


@app.command("check")
def check(text: str, json_out: JsonFlag = False) -> None:
    """Scores for violence, adult, hate, illegal goods and spam."""
    result = run(lambda: state.engine().moderation.check(text))

    def show() -> None:
        verdict = "flagged: " + ", ".join(result.categories) if result.flagged else "ok"
        scores = "  ".join(f"{name} {score:.2f}" for name, score in result.labels.items())
        console.print(verdict, scores, sep="\n", markup=False)

    emit(result, json_out, show)


@app.command("injection")
def injection(text: str, json_out: JsonFlag = False) -> None:
    """Whether the text tries to instruct the assistant."""
    verdict = run(lambda: state.engine().moderation.injection(text))
    emit(
        verdict,
        json_out,
        lambda: console.print(
            f"injection ({', '.join(verdict.reasons)})" if verdict.injection else "ok",
            markup=False,
        ),
    )


@app.command("list")
def list_queue(
    status: Annotated[str, typer.Option(help="pending, approved, rejected or all.")] = "pending",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    json_out: JsonFlag = False,
) -> None:
    """The review queue, oldest first."""
    chosen = _status(status)
    page = run(lambda: state.engine().moderation.list(status=chosen, limit=limit, offset=offset))

    def show() -> None:
        table = Table("id", "kind", "ref", "status", "categories", "text")
        for entry in page.items:
            top = ", ".join(k for k, v in entry.labels.items() if v >= 0.5)
            table.add_row(
                entry.id, entry.ref_kind, entry.ref_id, entry.status, top, entry.text[:60]
            )
        console.print(table, f"{page.total} entries")

    emit(page, json_out, show)


@app.command("approve")
def approve(entry_id: str, json_out: JsonFlag = False) -> None:
    """Approve a held text: its item becomes active."""
    entry = run(lambda: state.engine().moderation.approve(entry_id))
    emit(entry, json_out, lambda: console.print(f"{entry.id} approved ({entry.ref_id})"))


@app.command("reject")
def reject(entry_id: str, json_out: JsonFlag = False) -> None:
    """Reject a held text: its item stays inactive."""
    entry = run(lambda: state.engine().moderation.reject(entry_id))
    emit(entry, json_out, lambda: console.print(f"{entry.id} rejected ({entry.ref_id})"))


Status = Literal["pending", "approved", "rejected"]


def _status(value: str) -> Status | None:
    if value == "all":
        return None
    if value not in ("pending", "approved", "rejected"):
        raise typer.BadParameter("use pending, approved, rejected or all", param_hint="--status")
    return value  # type: ignore[return-value]
