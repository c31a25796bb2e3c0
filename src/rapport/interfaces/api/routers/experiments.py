"""A/B tests (`/experiments...`), impressions and online metrics (`/impressions`,
`/metrics/online`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from rapport.core.models import Id, Strict, Timestamp
from rapport.engine.schemas import (
    Assignment,
    Experiment,
    ExperimentReport,
    ExperimentSpec,
    ExperimentStatus,
    ImpressionList,
    LoggedList,
    OnlineMetrics,
)
from rapport.interfaces.api.deps import EngineDep, TenantDep

router = APIRouter(tags=["experiments"])

At = Annotated[
    Timestamp | None, Query(description="The moment to act at (ISO 8601 or epoch); default now.")
]
Since = Annotated[
    Timestamp | None, Query(description="Count from this moment (default: the start).")
]


@router.post("/experiments")
def create(engine: EngineDep, tenant: TenantDep, spec: ExperimentSpec, at: At = None) -> Experiment:
    """Start an experiment: named variants with traffic shares summing to 100 and their
    settings (mode personalised or popular, model version, diversity, blend, LLM), a
    control and a guard. A user is served the oldest running experiment."""
    return engine.experiments.create(spec=spec, at=at, tenant=tenant)


@router.get("/experiments")
def list_experiments(
    engine: EngineDep, tenant: TenantDep, status: ExperimentStatus | None = None
) -> list[Experiment]:
    """Experiments, oldest first."""
    return engine.experiments.list(status=status, tenant=tenant)


@router.get("/experiments/{name}")
def get(engine: EngineDep, tenant: TenantDep, name: str) -> Experiment:
    return engine.experiments.get(name, tenant=tenant)


@router.get("/experiments/{name}/users/{user_id}")
def assign(engine: EngineDep, tenant: TenantDep, name: str, user_id: str) -> Assignment:
    """The user's variant (deterministic: the same on every call and server)."""
    return engine.experiments.assign(name, user_id, tenant=tenant)


class Users(Strict):
    user_ids: list[Id] = Field(min_length=1, max_length=10_000)
    """The users to assign."""


@router.post("/experiments/{name}/assign")
def assign_many(engine: EngineDep, tenant: TenantDep, name: str, body: Users) -> list[Assignment]:
    """Variants of many users at once; nothing is stored."""
    return engine.experiments.assign_many(name, body.user_ids, tenant=tenant)


@router.get("/experiments/{name}/report")
def report(
    engine: EngineDep, tenant: TenantDep, name: str, since: Since = None, at: At = None
) -> ExperimentReport:
    """Per variant users, impressions, clicks, conversions, CTR and conversion with 95%
    intervals, differences to control with p-values, and the guard's verdict."""
    return engine.experiments.report(name, since=since, at=at, tenant=tenant)


@router.post("/experiments/{name}/check")
def check(engine: EngineDep, tenant: TenantDep, name: str, at: At = None) -> ExperimentReport:
    """The report with the stop rule applied: a clearly worse variant stops the
    experiment, the reason stored."""
    return engine.experiments.check(name, at=at, tenant=tenant)


class StopRequest(Strict):
    reason: str = Field(default="", max_length=2000)
    """Why, for the record."""


@router.post("/experiments/{name}/stop")
def stop(
    engine: EngineDep,
    tenant: TenantDep,
    name: str,
    body: StopRequest | None = None,
    at: At = None,
) -> Experiment:
    """Stop a running experiment (409 when already stopped)."""
    return engine.experiments.stop(name, reason=body.reason if body else "", at=at, tenant=tenant)


@router.post("/impressions")
def log_impressions(engine: EngineDep, tenant: TenantDep, body: ImpressionList) -> LoggedList:
    """Log a list shown to a user (lists served by `/users/{id}/recommendations` are
    logged with `log_impressions=true` or the tenant setting)."""
    return engine.impressions.log(body, tenant=tenant)


@router.get("/metrics/online")
def online_metrics(
    engine: EngineDep,
    tenant: TenantDep,
    since: Since = None,
    at: At = None,
    k: Annotated[int | None, Query(ge=1, le=200)] = None,
) -> OnlineMetrics:
    """CTR, CTR@k, conversion and catalogue coverage of impressions in [since, at],
    overall and per model version, source and variant."""
    return engine.impressions.metrics(since=since, at=at, k=k, tenant=tenant)
