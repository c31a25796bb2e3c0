"""`rapport experiment ...` (A/B tests) and `rapport metrics online`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError
from rich.table import Table

from rapport.core.models import Timestamp
from rapport.engine.schemas import ExperimentReport, ExperimentStatus, OnlineMetrics
from rapport.interfaces.cli.common import JsonFlag, emit, fail, run, state
from rapport.interfaces.cli.output import console, print_json

experiment_app = typer.Typer(help="A/B tests: create, assign, report, stop.", no_args_is_help=True)
metrics_app = typer.Typer(help="Online metrics of served lists.", no_args_is_help=True)

AtOption = Annotated[
    str | None, typer.Option("--at", help="Act at this moment (ISO 8601 or epoch); default now.")
]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="Count from this moment (ISO 8601 or epoch).")
]


def register(app: typer.Typer) -> None:
    app.add_typer(experiment_app, name="experiment")
    app.add_typer(metrics_app, name="metrics")


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        return TypeAdapter(Timestamp).validate_python(text)
    except ValidationError as exc:
        raise fail(f"{option}: {exc.errors()[0]['msg']}", 2) from exc


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_variants(text: str) -> dict[str, dict[str, Any]]:
    """`A:50,B:50` -> {"A": {"share": 50}, "B": {"share": 50}}."""
    variants: dict[str, dict[str, Any]] = {}
    for part in text.split(","):
        name, sep, share = part.strip().partition(":")
        try:
            variants[name.strip()] = {"share": float(share)}
        except ValueError:
            raise fail(f"--variants: '{part.strip()}' is not NAME:SHARE", 2) from None
        if not sep or not name.strip():
            raise fail(f"--variants: '{part.strip()}' is not NAME:SHARE", 2)
    return variants


def parse_settings(values: list[str]) -> dict[str, dict[str, Any]]:
    """`B:mode=popular,diversity=0.5,blend.content=2` (repeatable) or a JSON object
    variant -> settings."""
    settings: dict[str, dict[str, Any]] = {}
    for text in values:
        if text.strip().startswith("{"):
            try:
                found = json.loads(text)
            except json.JSONDecodeError as exc:
                raise fail(f"--settings: {exc}", 2) from exc
            if not isinstance(found, dict) or not all(isinstance(v, dict) for v in found.values()):
                raise fail("--settings: give a JSON object of variant -> settings", 2)
            for name, values_of in found.items():
                settings.setdefault(name, {}).update(values_of)
            continue
        name, sep, rest = text.partition(":")
        if not sep or not name.strip():
            raise fail(f"--settings: '{text}' is not VARIANT:key=value[,key=value]", 2)
        for pair in rest.split(","):
            key, eq, value = pair.partition("=")
            if not eq or not key.strip():
                raise fail(f"--settings: '{pair}' is not key=value", 2)
            target = settings.setdefault(name.strip(), {})
            *path, last = key.strip().split(".")  # blend.content=2 -> {"blend": {"content": 2}}
            for part in path:
                target = target.setdefault(part, {})
            target[last] = _value(value.strip())
    return settings


@experiment_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Unique per tenant.")],
    variants: Annotated[
        str, typer.Option("--variants", help="Variants and percent shares: A:50,B:50.")
    ],
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--settings",
            help="Variant settings, repeatable: B:mode=popular,diversity=0.5,blend.content=2 "
            "(keys: mode, model_version, diversity, blend.SOURCE, epsilon, llm) or a JSON "
            "object variant -> settings.",
        ),
    ] = None,
    control: Annotated[str | None, typer.Option(help="Control variant (default: first).")] = None,
    guard_metric: Annotated[
        str | None, typer.Option(help="Guarded rate: conversion or ctr.")
    ] = None,
    max_drop: Annotated[
        float | None, typer.Option(help="Tolerated absolute drop below control.")
    ] = None,
    min_impressions: Annotated[
        int | None, typer.Option(help="Impressions per variant before the guard may stop.")
    ] = None,
    alpha: Annotated[float | None, typer.Option(help="One-sided alpha of the guard.")] = None,
    at: AtOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Start an experiment with named variants and traffic shares."""
    spec_variants: dict[str, Any] = parse_variants(variants)
    for variant, values in parse_settings(settings or []).items():
        if variant not in spec_variants:
            raise fail(f"--settings: '{variant}' is not one of the variants", 2)
        spec_variants[variant]["settings"] = values
    guard = {
        key: value
        for key, value in {
            "metric": guard_metric,
            "max_drop": max_drop,
            "min_impressions": min_impressions,
            "alpha": alpha,
        }.items()
        if value is not None
    }
    config: dict[str, Any] = {"guard": guard}
    if control is not None:
        config["control"] = control
    when = _moment(at, "--at")
    engine = state.engine()
    found = run(lambda: engine.experiments.create(name, spec_variants, config=config, at=when))
    emit(found, json_out, lambda: console.print(f"experiment {found.name} running"))


@experiment_app.command("list")
def list_experiments(
    status: Annotated[str | None, typer.Option(help="Only running or stopped ones.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Experiments, oldest first (the oldest running one is served)."""
    if status not in (None, "running", "stopped"):
        raise fail("--status: give running or stopped", 2)
    wanted: ExperimentStatus | None = status  # type: ignore[assignment]
    engine = state.engine()
    found = run(lambda: engine.experiments.list(status=wanted))

    def show() -> None:
        table = Table("name", "status", "variants", "started", "stop reason")
        for e in found:
            shares = ", ".join(f"{n}:{v.share:g}" for n, v in e.variants.items())
            table.add_row(e.name, e.status, shares, f"{e.created_at:%Y-%m-%d %H:%M}", e.stop_reason)
        console.print(table)

    emit(found, json_out, show)


@experiment_app.command("assign")
def assign(
    name: Annotated[str, typer.Argument(help="The experiment.")],
    user_ids: Annotated[list[str] | None, typer.Argument(help="Users to assign.")] = None,
    users_file: Annotated[
        Path | None, typer.Option(help="Assign every user id in this file (one per line).")
    ] = None,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help='One {"user_id", "variant"} line per user.')
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Variants of users: deterministic, the same on every call and machine."""
    ids = list(user_ids or [])
    if users_file is not None:
        if not users_file.is_file():
            raise fail(f"no such file: {users_file}", 2)
        ids += [line.strip() for line in users_file.read_text().splitlines() if line.strip()]
    if not ids:
        raise fail("give USER_IDS or --users-file", 2)
    engine = state.engine()
    found = run(lambda: engine.experiments.assign_many(name, ids))
    if jsonl:
        for assignment in found:
            print_json(assignment)
        return

    def show() -> None:
        table = Table("user", "variant")
        for a in found:
            table.add_row(a.user_id, a.variant)
        console.print(table)

    emit(found, json_out, show)


def _show_report(found: ExperimentReport) -> None:
    table = Table("variant", "users", "impressions", "clicks", "CTR (95%)", "conversion (95%)", "p")
    for name, v in found.variants.items():
        table.add_row(
            name + (" (control)" if v.control else ""),
            str(v.users),
            str(v.impressions),
            str(v.clicks),
            f"{v.ctr:.4f} [{v.ctr_low:.4f}, {v.ctr_high:.4f}]",
            f"{v.conversion:.4f} [{v.conversion_low:.4f}, {v.conversion_high:.4f}]",
            "" if v.ctr_p_value is None else f"{v.ctr_p_value:.3g}",
        )
    console.print(table)
    console.print(
        f"status: {found.status}" + (f" ({found.stop_reason})" if found.stop_reason else "")
    )
    if found.guard.stop:
        console.print(f"guard: {found.guard.reason}")


@experiment_app.command("report")
def report(
    name: Annotated[str, typer.Argument(help="The experiment.")],
    since: SinceOption = None,
    at: AtOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Per variant users, impressions, clicks, CTR and conversion with 95% intervals, the
    difference to control and its p-value, and the guard's verdict."""
    start, until = _moment(since, "--since"), _moment(at, "--at")
    engine = state.engine()
    found = run(lambda: engine.experiments.report(name, since=start, at=until))
    emit(found, json_out, lambda: _show_report(found))


@experiment_app.command("check")
def check(
    name: Annotated[str, typer.Argument(help="The experiment.")],
    at: AtOption = None,
    json_out: JsonFlag = False,
) -> None:
    """The report with the stop rule applied: a clearly worse variant stops it."""
    until = _moment(at, "--at")
    engine = state.engine()
    found = run(lambda: engine.experiments.check(name, at=until))
    emit(found, json_out, lambda: _show_report(found))


@experiment_app.command("stop")
def stop(
    name: Annotated[str, typer.Argument(help="The experiment.")],
    reason: Annotated[str, typer.Option(help="Why, for the record.")] = "",
    at: AtOption = None,
    json_out: JsonFlag = False,
) -> None:
    """Stop a running experiment."""
    until = _moment(at, "--at")
    engine = state.engine()
    found = run(lambda: engine.experiments.stop(name, reason=reason, at=until))
    emit(found, json_out, lambda: console.print(f"experiment {found.name} stopped"))


@metrics_app.command("online")
def online(
    since: SinceOption = None,
    at: AtOption = None,
    k: Annotated[int | None, typer.Option("-k", "--k", help="k of CTR@k.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """CTR, CTR@k, conversion and coverage of logged impressions, overall and per model
    version, source and variant."""
    start, until = _moment(since, "--since"), _moment(at, "--at")
    engine = state.engine()
    found = run(lambda: engine.impressions.metrics(since=start, at=until, k=k))
    emit(found, json_out, lambda: _show_metrics(found))


def _show_metrics(found: OnlineMetrics) -> None:
    table = Table("group", "impressions", "users", "CTR", "CTR@k", "conversion", "coverage")
    rows = [("overall", found.overall)]
    for label, groups in (
        ("model", found.by_model_version),
        ("source", found.by_source),
        ("variant", found.by_variant),
    ):
        rows += [(f"{label} {key or '(none)'}", stats) for key, stats in groups.items()]
    for label, s in rows:
        table.add_row(
            label,
            str(s.impressions),
            str(s.users),
            f"{s.ctr:.4f}",
            f"{s.ctr_at_k:.4f}",
            f"{s.conversion_rate:.4f}",
            f"{s.coverage:.3f}",
        )
    console.print(table)
