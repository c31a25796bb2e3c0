"""`rapport bench ...`: benchmarks on real data, printed with ratios to their peers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rapport.interfaces.cli.output import console, print_json

app = typer.Typer(help="Benchmarks on real data, side by side with peers.", no_args_is_help=True)

DEFAULT_MOVIELENS = Path("../shared/data/movielens-small")


@app.command()
def ingest(
    movielens: Annotated[Path, typer.Option(help="MovieLens folder (ratings.csv).")] = (
        DEFAULT_MOVIELENS
    ),
    limit: Annotated[int, typer.Option(help="How many ratings to import.")] = 100_000,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import MovieLens ratings as a JSONL event file twice into a fresh embedded store."""
    from rapport.bench.ingest import bench_ingest

    result = bench_ingest(movielens, limit)
    if json_out:
        print_json({**vars(result), "ratio_to_baseline": result.ratio_to_baseline})
        return
    table = Table("run", "events", "seconds", "events/s", "stored after")
    table.add_row(
        "rapport import (first)",
        str(result.events),
        f"{result.rapport_seconds:.2f}",
        f"{result.events / result.rapport_seconds:,.0f}",
        str(result.counts_after_first),
    )
    table.add_row(
        "rapport import (same file again)",
        str(result.events),
        f"{result.rapport_repeat_seconds:.2f}",
        f"{result.events / result.rapport_repeat_seconds:,.0f}",
        str(result.counts_after_repeat),
    )
    table.add_row(
        "peer: bare sqlite3 executemany",
        str(result.events),
        f"{result.baseline_seconds:.2f}",
        f"{result.events / result.baseline_seconds:,.0f}",
        "",
    )
    console.print(table)
    console.print(f"rapport / bare sqlite3 time ratio: {result.ratio_to_baseline:.2f}x")
