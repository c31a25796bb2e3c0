"""Generation commands: `rapport generate resume|post|path|draft|log`, `rapport tag` and
`rapport process-ops` (the process assistant)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from rapport.engine.schemas import (
    DraftRequest,
    PathRequest,
    PostRequest,
    ProcessRequest,
    TagRequest,
)
from rapport.interfaces.cli.common import JsonFlag, emit, fail, run, state
from rapport.interfaces.cli.output import console

app = typer.Typer(
    help="Generated content: résumés, social posts, learning paths and offer drafts.",
    no_args_is_help=True,
)


def _validated(model: Any, values: dict[str, Any]) -> Any:
    """The request model, with validation problems reported as bad input (exit 2)."""
    from pydantic import ValidationError

    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise fail(problems, 2) from exc


@app.command("resume")
def resume(
    user_id: Annotated[str, typer.Argument(help="The user.")],
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Also write the PDF here.")] = None,
    language: Annotated[str, typer.Option(help="Language for the model to write in.")] = "en",
    json_out: JsonFlag = False,
) -> None:
    """A résumé from the user's profile and completed or bought items."""
    engine = state.engine()
    made = run(lambda: engine.generate.resume(user_id, language=language))
    if pdf is not None:
        pdf.write_bytes(run(lambda: engine.generate.resume_pdf(made)))

    def show() -> None:
        console.print(f"[bold]{made.name}[/bold] - {made.headline}", highlight=False)
        console.print(made.summary, markup=False)
        for entry in made.experience:
            when = f" ({entry.completed_at:%b %Y})" if entry.completed_at else ""
            console.print(f"  - {entry.title}{when}", markup=False)
        if made.achievements:
            console.print("achievements: " + "; ".join(made.achievements), markup=False)
        console.print(f"[dim]{made.mode}{' ' + made.model if made.model else ''}[/dim]")
        if pdf is not None:
            console.print(f"PDF written to {pdf}", markup=False)

    emit(made, json_out, show)


@app.command("post")
def post(
    user_id: Annotated[str, typer.Argument(help="The user.")],
    platform: Annotated[str, typer.Option(help="x, linkedin or instagram.")],
    achievement: Annotated[str, typer.Option(help="What the user achieved.")],
    json_out: JsonFlag = False,
) -> None:
    """A post about an achievement within the platform's character limit."""
    request = _validated(PostRequest, {"platform": platform, "achievement": achievement})
    made = run(lambda: state.engine().generate.post(user_id, request))

    def show() -> None:
        console.print(made.text, markup=False)
        console.print(f"[dim]{made.characters}/{made.limit} characters, {made.mode}[/dim]")

    emit(made, json_out, show)


@app.command("path")
def path(
    user_id: Annotated[str, typer.Argument(help="The user.")],
    passion: Annotated[str, typer.Option(help="What the user wants to learn.")],
    max_steps: Annotated[int, typer.Option(min=1, max=20, help="Most steps.")] = 6,
    json_out: JsonFlag = False,
) -> None:
    """A learning path: catalogue items for a passion, beginner to expert."""
    request = _validated(PathRequest, {"passion": passion, "max_steps": max_steps})
    made = run(lambda: state.engine().generate.learning_path(user_id, request))

    def show() -> None:
        table = Table("#", "level", "item", "title", "hours", "weeks")
        for step in made.steps:
            table.add_row(
                str(step.position),
                step.level,
                step.item_id,
                step.title,
                f"{step.hours:g}",
                f"{step.weeks:g}",
            )
        console.print(table)
        console.print(made.summary, markup=False)

    emit(made, json_out, show)


@app.command("draft")
def draft(
    category: Annotated[str, typer.Option(help="What it is: spa, pizza, concert...")],
    place: Annotated[str, typer.Option(help="Where.")],
    price: Annotated[float, typer.Option(help="Base price before the discount.")],
    discount: Annotated[float, typer.Option(help="Percent off.")] = 0,
    kind: Annotated[str, typer.Option(help="offer, event, service or informative.")] = "offer",
    starts_at: Annotated[str | None, typer.Option(help="Start (ISO 8601).")] = None,
    ends_at: Annotated[str | None, typer.Option(help="End (ISO 8601).")] = None,
    currency: Annotated[str, typer.Option(help="Currency shown.")] = "EUR",
    details: Annotated[str, typer.Option(help="Anything else to mention.")] = "",
    json_out: JsonFlag = False,
) -> None:
    """Draft an offer or event from a few keys; prints it, stores nothing."""
    values: dict[str, Any] = {
        "category": category,
        "place": place,
        "price": price,
        "discount": discount,
        "kind": kind,
        "currency": currency,
        "details": details,
        "starts_at": starts_at,
        "ends_at": ends_at,
    }
    request = _validated(DraftRequest, {k: v for k, v in values.items() if v is not None})
    made = run(lambda: state.engine().generate.draft(request))

    def show() -> None:
        console.print(f"[bold]{made.title}[/bold]", highlight=False)
        console.print(made.description, markup=False)
        console.print(
            f"{made.reduced_price:g} {made.currency} (was {made.original_price:g}, "
            f"-{made.discount:g}%), {_when(made.starts_at)} to {_when(made.ends_at)}",
            markup=False,
        )

    emit(made, json_out, show)


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


@app.command("log")
def log(
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    user_id: Annotated[str | None, typer.Option("--user", help="Only this user.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    json_out: JsonFlag = False,
) -> None:
    """The generation log, newest first."""
    rows = run(lambda: state.engine().generate.recent(kind=kind, user_id=user_id, limit=limit))

    def show() -> None:
        table = Table("when", "kind", "user", "mode", "model", "id")
        for row in rows:
            table.add_row(
                _when(row.created_at), row.kind, row.user_id or "", row.mode, row.model, row.id
            )
        console.print(table)

    emit(rows, json_out, show)


def tag(
    text: Annotated[str | None, typer.Argument(help="The text to tag.")] = None,
    posts: Annotated[
        bool, typer.Option("--posts", help="Tag imported posts that have no tags instead.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """3-5 labels from the tenant's vocabulary and the text's key phrases."""
    engine = state.engine()
    if posts:
        done = run(lambda: engine.generate.tag_posts())
        emit(done, json_out, lambda: console.print(f"{done.tagged} of {done.checked} tagged"))
        return
    if not text:
        raise fail("give a TEXT to tag, or --posts", 2)
    request = _validated(TagRequest, {"text": text})
    made = run(lambda: engine.generate.tags(request))

    def show() -> None:
        console.print("tags: " + ", ".join(made.tags), markup=False)
        console.print("key phrases: " + ", ".join(made.key_phrases), markup=False)

    emit(made, json_out, show)


def process_ops(
    process: Annotated[
        Path, typer.Option("--process", help="JSON file: {id, title, steps: [...]}.")
    ],
    message: Annotated[str, typer.Option("--message", help="What the user said.")],
    json_out: JsonFlag = False,
) -> None:
    """Process operations proposed from a chat message (nothing is changed)."""
    try:
        described = json.loads(process.read_text())
    except (OSError, ValueError) as exc:
        raise fail(f"{process}: {exc}", 2) from exc
    request = _validated(ProcessRequest, {"process": described, "message": message})
    made = run(lambda: state.engine().process.operations(request))

    def show() -> None:
        if not made.is_process_related:
            console.print("not about the process")
            return
        if not made.operations:
            console.print("about the process; no operation asked for")
        for op in made.operations:
            where = "/".join(x for x in (op.step_id, op.substep_id) if x)
            console.print(f"{op.op} {where} {op.content or ''}".strip(), markup=False)

    emit(made, json_out, show)


def register(main: typer.Typer) -> None:
    main.add_typer(app, name="generate")
    main.command("tag")(tag)
    main.command("process-ops")(process_ops)
