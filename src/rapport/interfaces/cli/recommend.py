"""`rapport recommend`: lists for one user, a file of users, or a group."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from rapport.core.requests import RecommendRequest
from rapport.interfaces.cli.common import JsonFlag, emit, fail, model_options, run, state
from rapport.interfaces.cli.output import console, stream_jsonl


@model_options(RecommendRequest)
def recommend(
    request: RecommendRequest,
    user_ids: Annotated[
        list[str] | None, typer.Argument(help="The user (or, with --group, the users).")
    ] = None,
    users_file: Annotated[
        Path | None, typer.Option(help="Recommend for every user id in this file (one per line).")
    ] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON line per user.")] = False,
    group: Annotated[bool, typer.Option(help="One list for all USER_IDS together.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Recommend items, with reasons, for a user, every user in --users-file, or a group.
    Filters, place and moment narrow and re-rank the list as in REST."""
    ids = user_ids or []
    if bool(ids) == (users_file is not None) or (len(ids) > 1 and not group):
        raise fail("give one USER_ID, several with --group, or --users-file", 2)
    engine = state.engine()
    if users_file is not None:
        if not users_file.is_file():
            raise fail(f"no such file: {users_file}", 2)
        wanted = [line.strip() for line in users_file.read_text().splitlines() if line.strip()]
        stream_jsonl(
            "recommend",
            wanted,
            lambda uid: run(lambda: engine.recommendations.for_user(uid, request)),
        )
        return
    if group:
        found: Any = run(lambda: engine.recommendations.for_group(ids, request))
    else:
        found = run(lambda: engine.recommendations.for_user(ids[0], request))
    emit(found, json_out or jsonl, lambda: console.print(_table(found.items)))


def _table(found: list[Any]) -> Table:
    table = Table("item", "kind", "title", "score", "reasons")
    for r in found:
        table.add_row(r.item_id, r.item.kind, r.item.title, f"{r.score:.3f}", "; ".join(r.reasons))
    return table


def next_action(
    user_id: Annotated[str, typer.Argument(help="The user.")],
    k: Annotated[int, typer.Option(help="How many items and categories.")] = 5,
    at: Annotated[
        str | None, typer.Option("--at", help="The moment (ISO 8601; default now).")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """The user's likely next items and categories, with probabilities."""
    found = run(lambda: state.engine().recommendations.next(user_id, k, at))

    def show() -> None:
        console.print(f"next for {found.user_id} after {found.last_item} ({found.source})")
        table = Table("category", "probability")
        for c in found.categories:
            table.add_row(c.category, f"{c.probability:.3f}")
        console.print(table)
        items = Table("item", "title", "category", "probability")
        for i in found.items:
            items.add_row(i.item_id, i.title, i.category or "", f"{i.probability:.3f}")
        console.print(items)

    emit(found, json_out, show)


def register(app: typer.Typer) -> None:
    app.command()(recommend)
    app.command("next")(next_action)
