"""`rapport insights ...`: demand, forecast, prices, peaks and audiences for businesses."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from rapport.engine.schemas import (
    AudienceRequest,
    DemandRequest,
    ForecastRequest,
    PeaksRequest,
    PricesRequest,
)
from rapport.interfaces.cli.common import JsonFlag, emit, model_options, run, state
from rapport.interfaces.cli.output import console

app = typer.Typer(
    help="For businesses: demand, forecast, prices, peak times, audiences.",
    no_args_is_help=True,
)


@app.command()
@model_options(DemandRequest)
def demand(request: DemandRequest, json_out: JsonFlag = False) -> None:
    """Weighted demand over the days before --at, grouped --by item, category, area, kind,
    hour or weekday (local time)."""
    found = run(lambda: state.engine().insights.demand(request))

    def show() -> None:
        table = Table(found.by, "demand", "users", "trend", "events")
        for row in found.rows:
            trend = "-" if row.trend is None else f"{row.trend:+.0%}"
            events = ", ".join(f"{k} {v}" for k, v in row.events.items())
            table.add_row(row.label, f"{row.demand:g}", str(row.users), trend, events)
        console.print(table)
        console.print(f"total {found.total:g} from {found.since:%Y-%m-%d} ({found.timezone})")

    emit(found, json_out, show)


@app.command()
@model_options(ForecastRequest)
def forecast(request: ForecastRequest, json_out: JsonFlag = False) -> None:
    """Daily demand per category x area for --horizon days from the local day of --at."""
    found = run(lambda: state.engine().insights.forecast(request))

    def show() -> None:
        table = Table("category", "area", "history", "next 7 days")
        for series in found.series:
            ahead = " ".join(f"{d.demand:.2f}" for d in series.forecast[:7])
            table.add_row(series.category, series.area, f"{series.total:g}", ahead)
        console.print(table)
        console.print(f"setting: {found.setting}; validation WAPE {found.validation_wape}")

    emit(found, json_out, show)


@app.command()
@model_options(PricesRequest)
def prices(request: PricesRequest, json_out: JsonFlag = False) -> None:
    """A suggested price per priced item, the rule that produced it and why."""
    found = run(lambda: state.engine().insights.prices(request))

    def show() -> None:
        table = Table("item", "price", "suggested", "rule", "reasons")
        for s in found.suggestions:
            table.add_row(
                s.item_id,
                f"{s.current_price:.2f}",
                f"{s.suggested_price:.2f} ({s.change:+.0%})",
                s.rule,
                "; ".join(s.reasons),
            )
        console.print(table)

    emit(found, json_out, show)


@app.command()
@model_options(PeaksRequest)
def peaks(request: PeaksRequest, json_out: JsonFlag = False) -> None:
    """Peak hours and the best slots for an event or promotion near --lat/--lon or in
    --area (local time)."""
    found = run(lambda: state.engine().insights.peaks(request))

    def show() -> None:
        hours = ", ".join(f"{h.hour:02d}:00 ({h.demand:g})" for h in found.peak_hours) or "-"
        console.print(f"{found.items} items, {found.events} events; peak hours: {hours}")
        table = Table("weekday", "from", "to", "share", "reason")
        for slot in found.best_slots:
            table.add_row(slot.weekday, slot.start, slot.end, f"{slot.share:.0%}", slot.reason)
        console.print(table)

    emit(found, json_out, show)


@app.command()
@model_options(AudienceRequest)
def audience(
    request: AudienceRequest,
    item_id: Annotated[str, typer.Argument(help="The item to find an audience for.")],
    json_out: JsonFlag = False,
) -> None:
    """The users most likely to engage with ITEM_ID, with reasons."""
    found: Any = run(lambda: state.engine().insights.audience(item_id, request))

    def show() -> None:
        table = Table("user", "score", "reasons")
        for member in found.users:
            table.add_row(member.user_id, f"{member.score:.3f}", "; ".join(member.reasons))
        console.print(table)
        console.print(
            f"{found.candidates} candidates, {found.excluded_engaged} left out (already "
            f"engaged); model {found.model_version or 'none'}"
        )

    emit(found, json_out, show)
