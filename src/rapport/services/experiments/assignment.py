"""Deterministic assignment of users to variants, and the experiments themselves.

A user's variant is a pure function of (experiment name, user id): a SHA-256 of both
mapped to [0, 1) and cut at the cumulative shares. The same user gets the same variant on
every call, in every process and on every server, with nothing stored; the experiment
name salts the hash, so assignments of different experiments are independent.

Precedence: a user takes part in at most one running experiment per tenant. The oldest
running experiment (by start time, then name) is the one served; an experiment started
while another runs is assigned but not served until the older one stops.
"""

from __future__ import annotations

import builtins
import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import ValidationError

from rapport.core.errors import FieldError, InvalidInput, field_errors
from rapport.core.models import Schema, User, utcnow
from rapport.core.store.experiments import (
    Experiment,
    ExperimentSpec,
    ExperimentStore,
    Status,
    VariantSettings,
)

SCALE = float(2**64)
FRESH_SECONDS = 1.0  # how long the served experiment of a tenant is reused


def bucket(experiment: str, user_id: str) -> float:
    """A number in [0, 1), uniform over users and independent across experiments."""
    digest = hashlib.sha256(f"{experiment}\x1f{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / SCALE


def choose(experiment: Experiment, user_id: str) -> str:
    """The variant of `user_id` in `experiment`, by its shares."""
    point = bucket(experiment.name, user_id) * 100
    total = 0.0
    names = list(experiment.variants)
    for name in names:
        total += experiment.variants[name].share
        if point < total:
            return name
    return names[-1]  # shares summing to 99.999... leave the last bucket to the last arm


class Assignment(Schema):
    """One user's variant."""

    user_id: str
    """The user."""
    variant: str
    """The variant the hash puts them in."""


@dataclass(frozen=True)
class Served:
    """What the recommendation path applies for one user."""

    experiment: str
    variant: str
    settings: VariantSettings


class Experiments:
    """Create, list, stop experiments of a tenant and assign users to their variants."""

    def __init__(self, store: ExperimentStore, versions: ModelVersions | None = None) -> None:
        self.store = store
        self.versions = versions
        self._running: dict[str, tuple[float, Experiment | None]] = {}
        """Per tenant, when it was read and the experiment served: a request asks the
        database at most once a second (changes by other processes show within that)."""

    def create(
        self, tenant: str, spec: ExperimentSpec | dict[str, object], at: datetime | None = None
    ) -> Experiment:
        """Start an experiment. Bad specs (shares not summing to 100, unknown model
        versions) raise `InvalidInput` naming the field; nothing is written."""
        if not isinstance(spec, ExperimentSpec):
            try:
                spec = ExperimentSpec.model_validate(spec)
            except ValidationError as exc:
                raise InvalidInput(field_errors("experiment", exc)) from exc
        problems = []
        control = spec.config.control
        if control is not None and control not in spec.variants:
            problems.append(
                FieldError(
                    record="experiment",
                    field="config.control",
                    message=f"'{control}' is not one of the variants",
                )
            )
        known = self.versions.versions(tenant) if self.versions is not None else None
        for name, variant in spec.variants.items():
            wanted = variant.settings.model_version
            if known is not None and wanted is not None and wanted not in known:
                problems.append(
                    FieldError(
                        record="experiment",
                        field=f"variants.{name}.settings.model_version",
                        message=f"no trained model version '{wanted}'",
                    )
                )
        if problems:
            raise InvalidInput(problems)
        self._running.pop(tenant, None)
        return self.store.create(tenant, spec, at or utcnow())

    def get(self, tenant: str, name: str) -> Experiment:
        return self.store.get(tenant, name)

    def list(self, tenant: str, status: Status | None = None) -> list[Experiment]:
        return self.store.list(tenant, status)

    def stop(self, tenant: str, name: str, reason: str, at: datetime | None = None) -> Experiment:
        self._running.pop(tenant, None)
        return self.store.stop(tenant, name, reason or "stopped by an operator", at or utcnow())

    def assign(self, tenant: str, name: str, user_id: str) -> Assignment:
        """The user's variant in `name` by the hash (whether or not an older running
        experiment takes precedence when serving)."""
        experiment = self.store.get(tenant, name)
        return Assignment(user_id=user_id, variant=choose(experiment, user_id))

    def assign_many(
        self, tenant: str, name: str, user_ids: Iterable[str]
    ) -> builtins.list[Assignment]:
        experiment = self.store.get(tenant, name)
        return [Assignment(user_id=u, variant=choose(experiment, u)) for u in user_ids]

    def serving(self, tenant: str, user_id: str) -> Served | None:
        """The experiment and variant served to `user_id`: the oldest running experiment
        (at most one per user)."""
        now = time.monotonic()
        cached = self._running.get(tenant)
        if cached is None or now - cached[0] > FRESH_SECONDS:
            running = self.store.list(tenant, "running")
            cached = (now, running[0] if running else None)
            self._running[tenant] = cached
        experiment = cached[1]
        if experiment is None:
            return None
        variant = choose(experiment, user_id)
        return Served(experiment.name, variant, experiment.variants[variant].settings)

    def llm_allowed(self, tenant: str, user: User) -> bool:
        """May the language model write for `user`: not after they opted out of AI, nor
        while their variant switches it off (`llm: false`, a test of AI against rules)."""
        if user.ai_opt_out:
            return False
        served = self.serving(tenant, user.id)
        return served is None or served.settings.llm is not False


class ModelVersions(Protocol):
    """What `create` needs to check model versions (the recommender's model store)."""

    def versions(self, tenant: str) -> list[str]: ...
