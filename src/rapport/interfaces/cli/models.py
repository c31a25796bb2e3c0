"""`rapport model ...`: training and the stored model versions."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from rapport.interfaces.cli.common import JsonFlag, emit, run, state
from rapport.interfaces.cli.output import console, progress_bar

model_app = typer.Typer(help="The trained recommender and its versions.", no_args_is_help=True)


@model_app.command("train")
def train(
    force: Annotated[
        bool, typer.Option("--force", help="Serve the new version even if the gate would not.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Train on all events of the tenant (settings chosen automatically on a time split);
    the new version serves at once unless the model gate keeps it as a candidate (its
    validation NDCG@10 worse than the serving version's by more than the margin)."""
    engine = state.engine()
    with progress_bar("train (configurations tried)", None) as advance:
        manifest = run(lambda: engine.models.train(progress=advance, force=force))
    emit(manifest, json_out, lambda: show_manifest(manifest))


@model_app.command("use")
def use(
    version: Annotated[
        str, typer.Argument(help="A stored version (see `rapport model versions`).")
    ],
    reason: Annotated[str, typer.Option(help="Why, kept with the decision.")] = "",
    json_out: JsonFlag = False,
) -> None:
    """Serve VERSION from the next request on, in every server process (roll back or
    forward); recorded as a decision."""
    decision = run(lambda: state.engine().models.use(version, reason=reason))
    emit(decision, json_out, lambda: console.print(f"{decision.decision}: {decision.reason}"))


@model_app.command("decisions")
def decisions(
    version: Annotated[str | None, typer.Option(help="Only this version.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    json_out: JsonFlag = False,
) -> None:
    """What the model gate and operators decided about versions, newest first."""
    page = run(lambda: state.engine().models.decisions(version, limit=limit))

    def show_decisions() -> None:
        table = Table("when", "version", "decision", "reason")
        for d in page.items:
            table.add_row(f"{d.created_at:%Y-%m-%d %H:%M:%S}", d.version, d.decision, d.reason)
        console.print(table)

    emit(page, json_out, show_decisions)


@model_app.command("show")
def show(
    version: Annotated[str | None, typer.Argument(help="A version (default: current).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """A model version: chosen settings, blend weights and validation scores."""
    manifest = run(lambda: state.engine().models.show(version))
    emit(manifest, json_out, lambda: show_manifest(manifest))


@model_app.command("versions")
def versions(json_out: JsonFlag = False) -> None:
    """Every stored version, oldest first: serving, candidate (kept back by the gate) or
    retired, with the latest decision about it."""
    found = run(state.engine().models.versions)

    def show_versions() -> None:
        table = Table("version", "status", "model", "NDCG@10", "decision", "reason")
        for v in found:
            table.add_row(
                v.version, v.status, v.model, f"{v.ndcg_at_10:.4f}", v.decision or "", v.reason
            )
        console.print(table)

    emit(found, json_out, show_versions)


model_app.command("list", help="The same as `versions`.")(versions)


def show_manifest(manifest: Any) -> None:
    training, validation = manifest.training, manifest.validation
    core = manifest.summary.get("core")
    console.print(
        f"model {manifest.version} ({manifest.model}{f', {core} core' if core else ''}) "
        f"for tenant {manifest.tenant}, trained in {training.seconds} s on "
        f"{training.interactions} interactions, {training.users} users, {training.items} items",
        markup=False,
    )
    console.print(
        f"validation NDCG@10 {validation.ndcg_at_10:.4f} (starting point: "
        f"{validation.baseline_ndcg_at_10:.4f}; "
        f"{validation.configurations_tried} configurations tried)"
    )
    if manifest.gate is not None:
        console.print(f"gate: {manifest.gate.decision} ({manifest.gate.reason})", markup=False)
    table = Table("setting", "value")
    for key, value in manifest.config.items():
        table.add_row(key, str(value))
    for key, value in manifest.summary.get("weights", {}).items():
        table.add_row(f"weight of {key}", str(value))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
