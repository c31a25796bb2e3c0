"""`ExperimentStore`: A/B tests (named variants, traffic shares, guard, status), on the
`Store`'s database."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from sqlalchemy import select, update

from rapport.core.errors import Conflict
from rapport.core.models import Schema, Strict
from rapport.core.store.paging import one_of
from rapport.core.store.repository import Store
from rapport.core.store.schema import experiments

Status = Literal["running", "stopped"]
BlendSource = Literal["collaborative", "content", "neighbours", "popularity", "trending", "new"]
"""The candidate sources a variant's `blend` can weigh (the names lists report)."""
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def check_name(value: str, limit: int) -> str:
    """Experiment and variant names: letters, digits, `_ . -`; they appear in URLs and
    response fields."""
    if not value or len(value) > limit or not NAME.match(value):
        raise ValueError(f"must be 1-{limit} letters, digits, '_', '.' or '-'")
    return value


class VariantSettings(Strict):
    """What a variant changes on the recommendation path. `mode`, `diversity`,
    `model_version`, `blend` and `epsilon` are applied to every list served to the variant's
    users; `llm: false` keeps the language model from writing for them (answers, chat,
    onboarding, plans, generated content, nudges get the rule-based path)."""

    mode: Literal["personalised", "popular"] = "personalised"
    """`personalised` (the normal blend) or `popular` (what is popular and trending only)."""
    model_version: str | None = Field(default=None, max_length=64)
    """Serve this trained model version instead of the current one."""
    diversity: float | None = Field(default=None, ge=0, le=1)
    """MMR trade-off for this variant's lists (overrides the request's)."""
    blend: dict[BlendSource, Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]] = Field(
        default_factory=dict
    )
    """Multipliers of candidate sources' usual blend weights (`{"content": 2,
    "collaborative": 0.5}`); 0 leaves a source out. Sources not named keep their weight."""
    llm: bool | None = None
    """False: no language model for this variant's users; True or None: as configured
    (a user's opt-out of AI always wins)."""
    epsilon: float = Field(default=0.0, ge=0, le=1)
    """Epsilon-greedy exploration: each slot of a list is, with this probability, given
    to an item from further down the ranking (source `explore`), so the variant learns
    about items the exploit ranking never shows."""


class Variant(Strict):
    """One arm of an experiment."""

    share: float = Field(gt=0, le=100)
    """Percent of the experiment's users; the shares of an experiment sum to 100."""
    settings: VariantSettings = Field(default_factory=VariantSettings)
    """What this variant changes."""


class GuardConfig(Strict):
    """The stop rule: a variant is stopped when it is clearly worse than control on the
    guard metric. Sequential-safe by a minimum sample and a strict one-sided alpha, so
    looking at the report after every batch rarely stops an equal variant."""

    metric: Literal["conversion", "ctr"] = "conversion"
    """Rate watched: conversions or clicks per impression."""
    max_drop: float = Field(default=0.0, ge=0, le=1)
    """Absolute drop of the rate below control that is tolerated (0.01 = one point)."""
    min_impressions: int = Field(default=1000, ge=1)
    """Impressions every compared variant needs before the rule may stop anything."""
    alpha: float = Field(default=0.001, gt=0, lt=0.5)
    """One-sided significance the drop beyond `max_drop` must reach."""


class ExperimentConfig(Strict):
    """Control arm and stop rule."""

    control: str | None = None
    """The variant others are compared with (default: the first one)."""
    guard: GuardConfig = Field(default_factory=GuardConfig)
    """When to stop a clearly worse variant."""


class ExperimentSpec(Strict):
    """What `create` needs."""

    name: str
    """Unique per tenant: letters, digits, `_ . -`, at most 64."""
    variants: dict[str, Variant] = Field(min_length=2, max_length=20)
    """Variant name -> share and settings."""
    config: ExperimentConfig = Field(default_factory=ExperimentConfig)
    """Control and stop rule."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value, 64)

    @field_validator("variants")
    @classmethod
    def _variants(cls, value: dict[str, Variant]) -> dict[str, Variant]:
        for name in value:
            check_name(name, 32)
        total = sum(v.share for v in value.values())
        if abs(total - 100) > 1e-6:
            raise ValueError(f"shares must sum to 100, not {total:g}")
        return value


class Experiment(Schema):
    """An A/B test as stored."""

    name: str
    """Unique per tenant."""
    variants: dict[str, Variant]
    """Variant name -> share (percent) and settings."""
    config: ExperimentConfig
    """Control and stop rule."""
    status: Status
    """`running` (assigns and serves variants) or `stopped`."""
    stop_reason: str
    """Why it was stopped (the guard's verdict, or what the operator wrote)."""
    created_at: datetime
    """When it started."""
    stopped_at: datetime | None
    """When it stopped."""

    @property
    def control(self) -> str:
        return self.config.control or next(iter(self.variants))


class ExperimentStore:
    """Experiments of each tenant. Each write is one transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def create(self, tenant: str, spec: ExperimentSpec, at: datetime) -> Experiment:
        row = {
            "tenant_id": tenant,
            "name": spec.name,
            # A list keeps the order (JSONB would sort object keys).
            "variants": [
                {"name": name, **variant.model_dump(mode="json")}
                for name, variant in spec.variants.items()
            ],
            "config": spec.config.model_dump(mode="json"),
            "status": "running",
            "stop_reason": "",
            "created_at": at,
            "stopped_at": None,
        }
        with self.engine.begin() as conn:
            self.store._ensure_tenant(conn, tenant)
            exists = conn.scalar(
                select(experiments.c.name).where(
                    experiments.c.tenant_id == tenant, experiments.c.name == spec.name
                )
            )
            if exists is not None:
                raise Conflict(f"experiment '{spec.name}' already exists")
            conn.execute(experiments.insert(), row)
        return _experiment(row)

    def get(self, tenant: str, name: str) -> Experiment:
        where = [experiments.c.tenant_id == tenant, experiments.c.name == name]
        return one_of(self.engine, experiments, where, _experiment, "experiment", name)

    def list(self, tenant: str, status: Status | None = None) -> list[Experiment]:
        """Oldest first: the order in which running experiments take precedence."""
        where = [experiments.c.tenant_id == tenant]
        if status is not None:
            where.append(experiments.c.status == status)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(experiments)
                .where(*where)
                .order_by(experiments.c.created_at, experiments.c.name)
            ).mappings()
            return [_experiment(dict(r)) for r in rows]

    def stop(self, tenant: str, name: str, reason: str, at: datetime) -> Experiment:
        """Stop a running experiment (stopping a stopped one is a conflict)."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(experiments)
                .where(
                    experiments.c.tenant_id == tenant,
                    experiments.c.name == name,
                    experiments.c.status == "running",
                )
                .values(status="stopped", stop_reason=reason, stopped_at=at)
            )
        if done.rowcount == 0:
            found = self.get(tenant, name)  # NotFound when missing
            raise Conflict(f"experiment '{found.name}' is already stopped")
        return self.get(tenant, name)


def _experiment(row: Mapping[str, Any]) -> Experiment:
    variants = {
        v["name"]: Variant.model_validate({k: x for k, x in v.items() if k != "name"})
        for v in row["variants"]
    }
    return Experiment(
        name=row["name"],
        variants=variants,
        config=ExperimentConfig.model_validate(row["config"]),
        status=row["status"],
        stop_reason=row["stop_reason"] or "",
        created_at=row["created_at"],
        stopped_at=row["stopped_at"],
    )
