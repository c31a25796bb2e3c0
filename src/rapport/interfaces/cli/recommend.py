"""Recommendation commands: recommend (one user or a file of users) and insights."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from rapport.interfaces.cli.common import JsonFlag, fail, run, state
from rapport.interfaces.cli.output import console, print_json, progress_bar, stream_jsonl


def _request(
    k: int,
    kind: str | None,
    category: list[str] | None,
    lat: float | None,
    lon: float | None,
    radius_km: float | None,
    max_price: float | None,
    at: str | None,
) -> Any:
    from rapport.services.recommend.context import RecommendRequest

    place = {"lat": lat, "lon": lon} if lat is not None and lon is not None else None
    return run(
        lambda: RecommendRequest.model_validate(
            {
                "k": k,
                "kind": kind,
                "categories": category or [],
                "location": place,
                "radius_km": radius_km,
                "max_price": max_price,
                "at": at,
            }
        )
    )


def _rows(found: list[Any]) -> list[dict[str, Any]]:
    return [{"item_id": r.item.id, "score": r.score, "reasons": r.reasons} for r in found]


def recommend(
    user_id: Annotated[str | None, typer.Argument(help="The user to recommend for.")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=200, help="How many items.")] = 10,
    users_file: Annotated[
        Path | None, typer.Option(help="Recommend for every user id in this file (one per line).")
    ] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON line per user.")] = False,
    kind: Annotated[str | None, typer.Option(help="Only items of this kind.")] = None,
    category: Annotated[list[str] | None, typer.Option(help="Only these categories.")] = None,
    lat: Annotated[float | None, typer.Option(help="User's latitude.")] = None,
    lon: Annotated[float | None, typer.Option(help="User's longitude.")] = None,
    radius_km: Annotated[float | None, typer.Option(help="Only items this close.")] = None,
    max_price: Annotated[float | None, typer.Option(help="Only items this cheap.")] = None,
    at: Annotated[str | None, typer.Option(help="Moment of the request (ISO 8601).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Recommend items for USER_ID, or for every user in --users-file."""
    if (user_id is None) == (users_file is None):
        raise fail("give either USER_ID or --users-file", 2)
    engine = run(state.engine)
    request = _request(k, kind, category, lat, lon, radius_km, max_price, at)
    if users_file is not None:
        if not users_file.is_file():
            raise fail(f"no such file: {users_file}", 2)
        ids = [line.strip() for line in users_file.read_text().splitlines() if line.strip()]
        stream_jsonl(
            "recommend",
            ids,
            lambda uid: {
                "user_id": uid,
                "items": _rows(run(lambda: engine.recommend(uid, request))),
            },
        )
        return
    found = run(lambda: engine.recommend(user_id, request))
    if json_out or jsonl:
        print_json({"user_id": user_id, "items": _rows(found)})
        return
    table = Table("item", "kind", "title", "score", "reasons")
    for r in found:
        table.add_row(r.item.id, r.item.kind, r.item.title, f"{r.score:.3f}", "; ".join(r.reasons))
    console.print(table)


def insights(user_id: str, json_out: JsonFlag = False) -> None:
    """What USER_ID's history says about their tastes, and whether it drifted."""
    engine = run(state.engine)
    found = run(lambda: engine.insights(user_id))
    if json_out:
        print_json(found.model_dump(mode="json"))
        return
    console.print(
        f"[bold]{user_id}[/bold]: {found.interactions} interactions, "
        f"{found.positives} positive, {found.negatives} negative"
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


def train_command(json_out: JsonFlag = False) -> None:
    """Train the recommender on all events of the tenant (settings chosen automatically)."""
    engine = run(state.engine)
    with progress_bar("train (configurations tried)", None) as advance:
        manifest = run(lambda: engine.train(progress=advance))
    if json_out:
        print_json(manifest)
        return
    _show_manifest(manifest)


def _show_manifest(manifest: dict[str, Any]) -> None:
    training, validation = manifest["training"], manifest["validation"]
    console.print(
        f"model [bold]{manifest['version']}[/bold] for tenant {manifest['tenant']} "
        f"({manifest['core']} core), trained in {training['seconds']} s on "
        f"{training['interactions']} interactions, {training['users']} users, "
        f"{training['modelled_items']} of {training['items']} items"
    )
    console.print(
        f"validation NDCG@10 {validation['ndcg@10']:.4f} (plain EASE start: "
        f"{validation['baseline_ndcg@10']:.4f}; "
        f"{validation['configurations_tried']} configurations tried)"
    )
    table = Table("setting", "value")
    for key, value in manifest["config"].items():
        table.add_row(key, str(value))
    for key, value in manifest["weights"].items():
        table.add_row(f"weight of {key}", str(value))
    console.print(table)


model_app = typer.Typer(help="Trained recommender models.", no_args_is_help=True)


@model_app.command("show")
def model_show(
    version: Annotated[str | None, typer.Option(help="A version (default: current).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """The current model: chosen settings, blend weights and validation scores."""
    engine = run(state.engine)
    manifest = engine.model_info(version=version)
    if manifest is None:
        raise fail("no trained model yet: run `rapport train`")
    if json_out:
        print_json(manifest)
    else:
        _show_manifest(manifest)


@model_app.command("list")
def model_list(json_out: JsonFlag = False) -> None:
    """Every stored model version, oldest first."""
    engine = run(state.engine)
    versions = engine.model_versions()
    if json_out:
        print_json(versions)
    else:
        current = (engine.model_info() or {}).get("version")
        for version in versions:
            console.print(version + ("  (current)" if version == current else ""))


def register(app: typer.Typer) -> None:
    app.command()(recommend)
    app.command()(insights)
    app.command("train")(train_command)
    app.add_typer(model_app, name="model")
