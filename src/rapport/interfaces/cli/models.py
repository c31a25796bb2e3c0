"""`rapport model ...`: training and the stored model versions."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from rapport.interfaces.cli.common import JsonFlag, emit, run, state
from rapport.interfaces.cli.output import console, progress_bar

model_app = typer.Typer(help="The trained recommender and its versions.", no_args_is_help=True)


@model_app.command("train")
def train(json_out: JsonFlag = False) -> None:
    """Train on all events of the tenant (settings chosen automatically on a time split);
    the new version serves at once."""
    engine = state.engine()
    with progress_bar("train (configurations tried)", None) as advance:
        manifest = run(lambda: engine.models.train(progress=advance))
    emit(manifest, json_out, lambda: show_manifest(manifest))


@model_app.command("show")
def show(
    version: Annotated[str | None, typer.Argument(help="A version (default: current).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """A model version: chosen settings, blend weights and validation scores."""
    manifest = run(lambda: state.engine().models.show(version))
    emit(manifest, json_out, lambda: show_manifest(manifest))


@model_app.command("list")
def versions(json_out: JsonFlag = False) -> None:
    """Every stored version, oldest first; the serving one is marked."""
    engine = state.engine()
    found = run(engine.models.versions)

    def show_versions() -> None:
        current = found and run(engine.models.show).version
        for version in found:
            console.print(version + ("  (current)" if version == current else ""))

    emit(found, json_out, show_versions)


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
    table = Table("setting", "value")
    for key, value in manifest.config.items():
        table.add_row(key, str(value))
    for key, value in manifest.summary.get("weights", {}).items():
        table.add_row(f"weight of {key}", str(value))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
