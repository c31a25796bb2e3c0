"""`engine.experiments` (A/B tests: create, list, get, assign, assign_many, report,
check, stop) and `engine.impressions` (log, metrics)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from rapport.core.errors import FieldError, InvalidInput, validated
from rapport.core.store.experiments import Experiment, ExperimentSpec, Status
from rapport.engine.moments import moment
from rapport.engine.services import Services
from rapport.services.experiments.assignment import Assignment
from rapport.services.experiments.impressions import ImpressionList, LoggedList
from rapport.services.experiments.metrics import OnlineMetrics, online_metrics
from rapport.services.experiments.report import ExperimentReport


class ExperimentsArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def create(
        self,
        name: str | None = None,
        variants: dict[str, Any] | None = None,
        *,
        spec: ExperimentSpec | dict[str, Any] | None = None,
        config: dict[str, Any] | None = None,
        at: datetime | None = None,
        tenant: str | None = None,
    ) -> Experiment:
        """Start an experiment: `create("home", {"A": {"share": 50}, "B": {"share": 50,
        "settings": {"mode": "popular"}}})`, or `spec=ExperimentSpec(...)`. Shares must sum
        to 100 (else `InvalidInput` naming `variants`); a taken name is a `Conflict`."""
        if spec is None:
            spec = {"name": name, "variants": variants or {}, "config": config or {}}
        return self._s.experiments.create(self._s.tenant(tenant), spec, moment(at))

    def list(self, *, status: Status | None = None, tenant: str | None = None) -> list[Experiment]:
        """Experiments, oldest first (the oldest running one is served)."""
        return self._s.experiments.list(self._s.tenant(tenant), status)

    def get(self, name: str, *, tenant: str | None = None) -> Experiment:
        return self._s.experiments.get(self._s.tenant(tenant), name)

    def assign(self, name: str, user_id: str, *, tenant: str | None = None) -> Assignment:
        """The user's variant: the same on every call, in every process."""
        return self._s.experiments.assign(self._s.tenant(tenant), name, user_id)

    def assign_many(
        self, name: str, user_ids: Iterable[str], *, tenant: str | None = None
    ) -> builtins.list[Assignment]:
        return self._s.experiments.assign_many(self._s.tenant(tenant), name, user_ids)

    def report(
        self,
        name: str,
        *,
        since: datetime | None = None,
        at: datetime | None = None,
        tenant: str | None = None,
    ) -> ExperimentReport:
        """Per variant counts, rates with 95% intervals, differences to control with
        p-values, and the guard's verdict, from the start (or `since`) to `at`."""
        until = moment(at)
        start = moment(since, "since") if since is not None else None
        if start is not None and start > until:
            raise InvalidInput(
                [FieldError(record="request", field="since", message="must not be after 'at'")]
            )
        return self._s.experiment_reports.report(self._s.tenant(tenant), name, until, start)

    def check(
        self, name: str, *, at: datetime | None = None, tenant: str | None = None
    ) -> ExperimentReport:
        """The report, and the stop rule applied: a clearly worse variant stops the
        experiment (status `stopped`, reason stored)."""
        return self._s.experiment_reports.check(self._s.tenant(tenant), name, moment(at))

    def check_all(
        self, *, at: datetime | None = None, tenant: str | None = None
    ) -> builtins.list[str]:
        """`check` every running experiment; returns the names it stopped."""
        owner = self._s.tenant(tenant)
        stopped = []
        for experiment in self._s.experiments.list(owner, "running"):
            if self._s.experiment_reports.check(owner, experiment.name, moment(at)).guard.stop:
                stopped.append(experiment.name)
        return stopped

    def stop(
        self,
        name: str,
        *,
        reason: str = "",
        at: datetime | None = None,
        tenant: str | None = None,
    ) -> Experiment:
        """Stop a running experiment by hand (409 when already stopped)."""
        return self._s.experiments.stop(self._s.tenant(tenant), name, reason, moment(at))


class ImpressionsArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def log(
        self, shown: ImpressionList | dict[str, Any], *, tenant: str | None = None
    ) -> LoggedList:
        """Log a list shown outside `recommend` (recommend logs its own with
        `log_impressions`)."""
        return self.log_many([shown], tenant=tenant)[0]

    def log_many(
        self, lists: Iterable[ImpressionList | dict[str, Any]], *, tenant: str | None = None
    ) -> builtins.list[LoggedList]:
        """Log several lists in one transaction; one bad list rejects them all."""
        checked, problems = validated(ImpressionList, lists, "list", first=0)
        if problems:
            raise InvalidInput(problems)
        return self._s.impression_log.log_lists(self._s.tenant(tenant), checked)

    def metrics(
        self,
        *,
        since: datetime | None = None,
        at: datetime | None = None,
        k: int | None = None,
        tenant: str | None = None,
    ) -> OnlineMetrics:
        """CTR, CTR@k, conversion and coverage of impressions shown in [since, at],
        overall and per model version, source and variant."""
        until = moment(at)
        start = moment(since, "since") if since is not None else None
        if start is not None and start > until:
            raise InvalidInput(
                [FieldError(record="request", field="since", message="must not be after 'at'")]
            )
        config = self._s.experiments_config
        if k is not None and not 1 <= k <= 200:
            raise InvalidInput(
                [FieldError(record="request", field="k", message="must be between 1 and 200")]
            )
        owner = self._s.tenant(tenant)
        entries = self._s.impression_log.attributed(owner, start, until)
        return online_metrics(
            entries,
            since=start,
            until=until,
            k=k or config.k,
            catalogue=self._s.store.item_state(owner)[0],
            config=config,
        )
