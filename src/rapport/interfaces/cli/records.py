"""Record commands: `rapport items ...`, `rapport users ...`, `rapport events ...`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from rapport.core.requests import MAX_OFFSET, ItemListRequest, SimilarRequest
from rapport.interfaces.cli.common import JsonFlag, emit, fail, model_options, run, state
from rapport.interfaces.cli.output import console, counts, progress_bar, report_error

items_app = typer.Typer(help="The catalogue: items of any kind.", no_args_is_help=True)
users_app = typer.Typer(help="Users, their profiles and history.", no_args_is_help=True)
events_app = typer.Typer(help="Interactions, idempotent by event id.", no_args_is_help=True)

SkipInvalid = Annotated[
    bool, typer.Option(help="Write the valid records and report the invalid ones.")
]
FileArgument = Annotated[Path, typer.Argument(help="JSONL, or CSV/TSV with a header row.")]


def _import(
    kind: Literal["items", "users", "events"],
    file: Path,
    skip_invalid: bool,
    json_out: bool,
    index: bool = True,
) -> None:
    if not file.is_file():
        raise fail(f"no such file: {file}", 2)
    engine = state.engine()
    area: Any = getattr(engine, kind)  # items, users or events: the same import_file
    with file.open("rb") as handle:
        total = sum(1 for line in handle if line.strip())
    options: dict[str, Any] = {"index": index} if kind == "items" else {}
    with progress_bar(f"import {kind}", total * (2 if options.get("index") else 1)) as advance:
        report = run(
            lambda: area.import_file(file, skip_invalid=skip_invalid, progress=advance, **options)
        )
    emit(
        report,
        json_out,
        lambda: console.print(
            f"{report.written} {kind} written, {report.duplicates} duplicates, "
            f"{len(report.invalid)} invalid"
        ),
    )
    for error in report.invalid[:20]:
        report_error("skipped", str(error), style="yellow")


def _item_table(found: list[Any], score: bool = False) -> Table:
    table = Table("item", "kind", "title", *(["score"] if score else []))
    for row in found:
        item = row.item if score else row
        table.add_row(item.id, item.kind, item.title, *([f"{row.score:.3f}"] if score else []))
    return table


# -- items ---------------------------------------------------------------------------------


@items_app.command("import")
def items_import(
    file: FileArgument,
    skip_invalid: SkipInvalid = False,
    index: Annotated[bool, typer.Option(help="Embed the imported items right away.")] = True,
    json_out: JsonFlag = False,
) -> None:
    """Import items; a bad record rejects the file unless --skip-invalid."""
    _import("items", file, skip_invalid, json_out, index)


@items_app.command("list")
@model_options(ItemListRequest)
def items_list(request: ItemListRequest, json_out: JsonFlag = False) -> None:
    """A page of the items matching the filters, ordered by id."""
    page = run(lambda: state.engine().items.list(request))
    emit(page, json_out, lambda: console.print(_item_table(page.items), f"{page.total} items"))


@items_app.command("get")
def items_get(item_id: str, json_out: JsonFlag = False) -> None:
    """One item."""
    item = run(lambda: state.engine().items.get(item_id))
    emit(item, json_out, lambda: console.print_json(item.model_dump_json()))


@items_app.command("delete")
def items_delete(item_id: str) -> None:
    """Delete an item with its vectors."""
    run(lambda: state.engine().items.delete(item_id))
    console.print(f"item {item_id} deleted")


@items_app.command("similar")
@model_options(SimilarRequest)
def items_similar(item_id: str, request: SimilarRequest, json_out: JsonFlag = False) -> None:
    """Items most similar to ITEM_ID by text embedding."""
    hits = run(lambda: state.engine().items.similar(item_id, request))
    emit(hits, json_out, lambda: console.print(_item_table(hits, score=True)))


@items_app.command("index")
def items_index() -> None:
    """Embed every item whose text changed since it was last embedded."""
    engine = state.engine()
    with progress_bar("embed items", engine.stats().items) as advance:
        count = run(lambda: engine.items.index(progress=advance))
    console.print(f"{count} items embedded")


# -- users ---------------------------------------------------------------------------------


@users_app.command("import")
def users_import(
    file: FileArgument, skip_invalid: SkipInvalid = False, json_out: JsonFlag = False
) -> None:
    """Import users; a bad record rejects the file unless --skip-invalid."""
    _import("users", file, skip_invalid, json_out)


@users_app.command("list")
def users_list(
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: Annotated[int, typer.Option(min=0, max=MAX_OFFSET)] = 0,
    json_out: JsonFlag = False,
) -> None:
    """A page of users, ordered by id."""
    page = run(lambda: state.engine().users.list(limit=limit, offset=offset))

    def show() -> None:
        table = Table("user", "interests", "timezone")
        for user in page.items:
            table.add_row(user.id, ", ".join(user.profile.interests), user.timezone)
        console.print(table, f"{page.total} users")

    emit(page, json_out, show)


@users_app.command("get")
def users_get(user_id: str, json_out: JsonFlag = False) -> None:
    """One user with their profile."""
    user = run(lambda: state.engine().users.get(user_id))
    emit(user, json_out, lambda: console.print_json(user.model_dump_json()))


@users_app.command("delete")
def users_delete(user_id: str, json_out: JsonFlag = False) -> None:
    """Erase a user and everything stored about them (delete-my-data)."""
    removed = run(lambda: state.engine().users.delete(user_id))
    emit(removed, json_out, lambda: console.print(counts(removed.deleted, "deleted")))


@users_app.command("export")
def users_export(user_id: str) -> None:
    """Everything stored about USER_ID, as one JSON object."""
    exported = run(lambda: state.engine().users.export(user_id))
    console.print_json(exported.model_dump_json())


@users_app.command("insights")
def users_insights(user_id: str, json_out: JsonFlag = False) -> None:
    """What USER_ID's history says about their tastes, and whether it drifted."""
    found = run(lambda: state.engine().users.insights(user_id))
    emit(found, json_out, lambda: _show_insights(found))


def _show_insights(found: Any) -> None:
    console.print(
        f"[bold]{found.user_id}[/bold]: {found.interactions} interactions, "
        f"{found.positives} positive, {found.negatives} negative",
        markup=True,
        highlight=False,
    )

    def shares(values: list[Any]) -> str:
        return ", ".join(f"{s.value} ({s.score:g})" for s in values[:5]) or "-"

    table = Table("aspect", "value", show_header=False)
    table.add_row("categories", shares(found.categories))
    table.add_row("tags", shares(found.tags))
    for key, values in found.attributes.items():
        table.add_row(key, shares(values))
    table.add_row("decades", shares(found.decades))
    style = found.rating_style
    table.add_row(
        "rating style",
        f"{style.style} (mean {style.mean}, spread {style.spread}, {style.count} ratings)",
    )
    table.add_row("diversity", f"{found.diversity:.2f}")
    table.add_row("active hours", ", ".join(f"{h}:00" for h in found.active_hours) or "-")
    drift = found.drift
    table.add_row(
        "drift",
        f"{'yes' if drift.detected else 'no'} (score {drift.score:.2f}; "
        f"recent {', '.join(drift.recent) or '-'}; earlier "
        f"{', '.join(drift.earlier) or '-'})",
    )
    console.print(table)


# -- events --------------------------------------------------------------------------------


@events_app.command("import")
def events_import(
    file: FileArgument, skip_invalid: SkipInvalid = False, json_out: JsonFlag = False
) -> None:
    """Import events; ids already stored are skipped, so importing twice is harmless."""
    _import("events", file, skip_invalid, json_out)


@events_app.command("list")
def events_list(
    user_id: Annotated[str | None, typer.Option("--user", help="Only this user's.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    json_out: JsonFlag = False,
) -> None:
    """The newest events, of everyone or of one user."""
    found = run(lambda: state.engine().events.list(user_id=user_id, limit=limit))

    def show() -> None:
        table = Table("id", "user", "item", "type", "value", "time")
        for e in found:
            value = "" if e.value is None else f"{e.value:g}"
            table.add_row(e.id, e.user_id, e.item_id or "", e.type, value, e.timestamp.isoformat())
        console.print(table)

    emit(found, json_out, show)


def register(app: typer.Typer) -> None:
    app.add_typer(items_app, name="items")
    app.add_typer(users_app, name="users")
    app.add_typer(events_app, name="events")
