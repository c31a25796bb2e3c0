"""`rapport churn ...`: the abandonment model and each user's risk."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from rapport.interfaces.cli.common import JsonFlag, emit, run, state
from rapport.interfaces.cli.output import console

churn_app = typer.Typer(
    help="Abandonment risk, trained on the tenant's own history.", no_args_is_help=True
)

At = Annotated[
    str | None,
    typer.Option("--at", help="The moment (ISO 8601 or epoch seconds; default now)."),
]


@churn_app.command("train")
def train(at: At = None, json_out: JsonFlag = False) -> None:
    """Train on the tenant's events until --at, judged on a later time split against a
    recency-frequency peer; the new model serves at once."""
    manifest = run(lambda: state.engine().churn.train(at))
    emit(manifest, json_out, lambda: show_manifest(manifest))


@churn_app.command("show")
def show(json_out: JsonFlag = False) -> None:
    """The serving abandonment model: horizon, cut-offs and validation scores."""
    manifest = run(lambda: state.engine().churn.show())
    emit(manifest, json_out, lambda: show_manifest(manifest))


@churn_app.command("risk")
def risk(
    user_id: Annotated[str, typer.Argument(help="The user.")],
    at: At = None,
    json_out: JsonFlag = False,
) -> None:
    """A user's chance of no activity in the model's horizon after --at, and why."""
    found = run(lambda: state.engine().churn.risk(user_id, at))

    def show_risk() -> None:
        if found.probability is None:
            console.print(f"{found.user_id}: no activity before {found.at.isoformat()}")
            return
        console.print(
            f"{found.user_id}: {found.probability:.1%} chance of no activity in the next "
            f"{found.horizon_days:g} days after {found.at.isoformat()}",
            markup=False,
        )
        table = Table("driver", "value", "typical", "effect (log-odds)")
        for d in found.drivers:
            table.add_row(d.label, f"{d.value:g}", f"{d.typical:g}", f"{d.effect:+.2f}")
        console.print(table)

    emit(found, json_out, show_risk)


def show_manifest(manifest: Any) -> None:
    console.print(
        f"abandonment model {manifest.version} ({manifest.model}) for tenant "
        f"{manifest.tenant}: no activity in {manifest.horizon_days:g} days "
        f"({manifest.horizon_source}); {manifest.rows} rows from "
        f"{len(manifest.training_cutoffs)} cut-offs, {manifest.abandon_rate:.0%} abandoning",
        markup=False,
    )
    table = Table("on the later split", "ROC AUC", "precision@10%", "rows")
    for name, m in manifest.validation.items():
        table.add_row(name, f"{m.roc_auc:.3f}", f"{m.precision_at_10pct:.3f}", str(m.rows))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(churn_app, name="churn")
