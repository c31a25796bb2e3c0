"""`rapport search`: items from a plain-language query."""

from __future__ import annotations

import typer
from rich.table import Table

from rapport.core.requests import SearchRequest
from rapport.interfaces.cli.common import JsonFlag, emit, model_options, run, state
from rapport.interfaces.cli.output import console


@model_options(SearchRequest, arguments=["q"])
def search(request: SearchRequest, json_out: JsonFlag = False) -> None:
    """Search items in plain language ("vegan food offers near me tonight under 20"): price,
    place, time and kind are read from the query; options filter on top."""
    result = run(lambda: state.engine().search.items(request))

    def show() -> None:
        understood = ", ".join(result.query.understood) or "-"
        console.print(f"matching '{result.query.text}'; understood: {understood}", markup=False)
        for note in result.notes:
            console.print(note, style="yellow", markup=False)
        table = Table("item", "kind", "title", "price", "score", "reasons")
        for hit in result.hits:
            price = "" if hit.item.price is None else f"{hit.item.price:g}"
            table.add_row(
                hit.item_id,
                hit.item.kind,
                hit.item.title,
                price,
                f"{hit.score:.3f}",
                "; ".join(hit.reasons),
            )
        console.print(table)

    emit(result, json_out, show)


def register(app: typer.Typer) -> None:
    app.command()(search)
