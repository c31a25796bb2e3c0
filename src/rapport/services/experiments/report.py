"""The experiment report: per variant users, impressions, clicks, conversions, rates with
95% Wilson intervals, the difference to control (Newcombe interval, two-proportion
z-test), and the guard that stops a clearly worse variant.

Stop rule (sequential-safe): a variant is declared worse only when it and control each
have `min_impressions` impressions and the one-sided test of "not worse than control by
more than `max_drop`" rejects at `alpha` (0.001 by default). The report may be looked at
after every batch: by the union bound, 20 looks at alpha 0.001 stop an equal variant with
probability at most 2%, and the minimum sample keeps early noise from deciding.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rapport.core.models import Schema
from rapport.core.store.experiments import Experiment, GuardConfig, Status
from rapport.services.experiments.assignment import Experiments, choose
from rapport.services.experiments.config import ExperimentsConfig
from rapport.services.experiments.impressions import Attributed, ImpressionLog
from rapport.services.experiments.statistics import (
    difference_interval,
    rate,
    two_sided_p,
    wilson,
    worse_p,
)


class VariantReport(Schema):
    """One variant of an experiment."""

    share: float
    """Configured percent of users."""
    control: bool
    """Whether this is the control arm."""
    users: int
    """Distinct users shown something in this variant."""
    impressions: int
    """Items shown."""
    clicks: int
    """Impressions with an attributed click."""
    conversions: int
    """Impressions with an attributed conversion."""
    ctr: float
    """clicks / impressions."""
    ctr_low: float
    """95% Wilson interval of the CTR, lower end."""
    ctr_high: float
    """... upper end."""
    conversion: float
    """conversions / impressions."""
    conversion_low: float
    """95% Wilson interval of the conversion rate, lower end."""
    conversion_high: float
    """... upper end."""
    ctr_difference: float | None = None
    """CTR minus control's (None for control)."""
    ctr_difference_low: float | None = None
    """95% Newcombe interval of the CTR difference, lower end."""
    ctr_difference_high: float | None = None
    """... upper end."""
    ctr_p_value: float | None = None
    """Two-proportion z-test p-value of "same CTR as control"."""
    conversion_difference: float | None = None
    """Conversion rate minus control's."""
    conversion_difference_low: float | None = None
    """95% Newcombe interval of the conversion difference, lower end."""
    conversion_difference_high: float | None = None
    """... upper end."""
    conversion_p_value: float | None = None
    """Two-proportion z-test p-value of "same conversion rate as control"."""


class GuardVerdict(Schema):
    """What the stop rule says now."""

    metric: str
    """The guarded rate: `conversion` or `ctr`."""
    max_drop: float
    """Tolerated absolute drop below control."""
    alpha: float
    """One-sided significance required."""
    min_impressions: int
    """Impressions each compared variant needs."""
    p_values: dict[str, float]
    """Per non-control variant with enough data: one-sided p of "not worse than allowed"."""
    worse: list[str]
    """Variants clearly worse than control on the guard."""
    stop: bool
    """Whether the rule says stop."""
    reason: str
    """Why (empty when it does not stop)."""


class ExperimentReport(Schema):
    """An experiment's results so far."""

    experiment: str
    """Its name."""
    status: Status
    """running or stopped."""
    stop_reason: str
    """Why it stopped."""
    control: str
    """The control variant."""
    since: datetime
    """Start of the counted range."""
    until: datetime
    """End of the counted range."""
    variants: dict[str, VariantReport]
    """Per variant."""
    p_value: float | None
    """CTR two-proportion p-value of the first non-control variant vs control; with more
    than two variants, the smallest one times the number of comparisons (Bonferroni)."""
    guard: GuardVerdict
    """The stop rule's verdict."""


def build_report(
    experiment: Experiment,
    entries: list[Attributed],
    config: ExperimentsConfig,
    *,
    since: datetime,
    until: datetime,
) -> ExperimentReport:
    """`entries`: impressions in range; logged ones count for the variant they were served
    in, imported ones (no experiment) for the variant the user is assigned to."""
    clicks, conversions = set(config.click_types), set(config.conversion_types)
    per: dict[str, list[Attributed]] = {name: [] for name in experiment.variants}
    for entry in entries:
        shown = entry.shown
        if shown.experiment is None:
            variant = choose(experiment, shown.user_id)
        elif shown.experiment == experiment.name and shown.variant in per:
            variant = shown.variant
        else:
            continue
        per[variant].append(entry)

    def counts(group: list[Attributed]) -> tuple[int, int, int, int]:
        return (
            len({e.shown.user_id for e in group}),
            len(group),
            sum(1 for e in group if e.outcomes & clicks),
            sum(1 for e in group if e.outcomes & conversions),
        )

    counted = {name: counts(group) for name, group in per.items()}
    control = experiment.control
    _, base_n, base_clicks, base_conv = counted[control]
    variants: dict[str, VariantReport] = {}
    ctr_p: list[float] = []
    for name, (users, n, clicked, converted) in counted.items():
        ctr_low, ctr_high = wilson(clicked, n)
        conv_low, conv_high = wilson(converted, n)
        report = VariantReport(
            share=experiment.variants[name].share,
            control=name == control,
            users=users,
            impressions=n,
            clicks=clicked,
            conversions=converted,
            ctr=rate(clicked, n),
            ctr_low=ctr_low,
            ctr_high=ctr_high,
            conversion=rate(converted, n),
            conversion_low=conv_low,
            conversion_high=conv_high,
        )
        if name != control:
            ctr_diff = difference_interval(clicked, n, base_clicks, base_n)
            conv_diff = difference_interval(converted, n, base_conv, base_n)
            p = two_sided_p(clicked, n, base_clicks, base_n)
            ctr_p.append(p)
            report = report.model_copy(
                update={
                    "ctr_difference": rate(clicked, n) - rate(base_clicks, base_n),
                    "ctr_difference_low": ctr_diff[0],
                    "ctr_difference_high": ctr_diff[1],
                    "ctr_p_value": p,
                    "conversion_difference": rate(converted, n) - rate(base_conv, base_n),
                    "conversion_difference_low": conv_diff[0],
                    "conversion_difference_high": conv_diff[1],
                    "conversion_p_value": two_sided_p(converted, n, base_conv, base_n),
                }
            )
        variants[name] = report
    p_value = min(1.0, min(ctr_p) * len(ctr_p)) if ctr_p else None
    return ExperimentReport(
        experiment=experiment.name,
        status=experiment.status,
        stop_reason=experiment.stop_reason,
        control=control,
        since=since,
        until=until,
        variants=variants,
        p_value=p_value,
        guard=guard_verdict(experiment.config.guard, control, variants),
    )


def guard_verdict(
    guard: GuardConfig, control: str, variants: dict[str, VariantReport]
) -> GuardVerdict:
    """Which variants are clearly worse than control on the guard metric."""
    successes: Callable[[VariantReport], int] = (
        (lambda v: v.conversions) if guard.metric == "conversion" else (lambda v: v.clicks)
    )
    base = variants[control]
    p_values: dict[str, float] = {}
    worse: list[str] = []
    reasons: list[str] = []
    for name, variant in variants.items():
        if name == control:
            continue
        if min(variant.impressions, base.impressions) < guard.min_impressions:
            continue
        p = worse_p(
            successes(variant),
            variant.impressions,
            successes(base),
            base.impressions,
            guard.max_drop,
        )
        p_values[name] = p
        if p < guard.alpha:
            worse.append(name)
            ours = rate(successes(variant), variant.impressions)
            theirs = rate(successes(base), base.impressions)
            reasons.append(
                f"variant '{name}' is worse than control '{control}' on {guard.metric}: "
                f"{ours:.4f} vs {theirs:.4f} over {variant.impressions} and "
                f"{base.impressions} impressions (drop beyond {guard.max_drop:g} at "
                f"one-sided p={p:.2g} < {guard.alpha:g})"
            )
    return GuardVerdict(
        metric=guard.metric,
        max_drop=guard.max_drop,
        alpha=guard.alpha,
        min_impressions=guard.min_impressions,
        p_values=p_values,
        worse=worse,
        stop=bool(worse),
        reason="; ".join(reasons),
    )


class Reporter:
    """Reports of a tenant's experiments, and the stop rule applied to them."""

    def __init__(
        self, experiments: Experiments, impressions: ImpressionLog, config: ExperimentsConfig
    ) -> None:
        self.experiments = experiments
        self.impressions = impressions
        self.config = config

    def report(
        self, tenant: str, name: str, until: datetime, since: datetime | None = None
    ) -> ExperimentReport:
        """Counts from the experiment's start (or `since`) to its stop (or `until`)."""
        experiment = self.experiments.get(tenant, name)
        start = since or experiment.created_at
        end = min(until, experiment.stopped_at) if experiment.stopped_at else until
        entries = self.impressions.attributed(tenant, start, end, experiment=name)
        return build_report(experiment, entries, self.config, since=start, until=end)

    def check(self, tenant: str, name: str, at: datetime) -> ExperimentReport:
        """The report at `at`; a running experiment whose guard says stop is stopped, the
        reason stored."""
        found = self.report(tenant, name, at)
        if found.status == "running" and found.guard.stop:
            stopped = self.experiments.stop(tenant, name, found.guard.reason, at)
            found = found.model_copy(
                update={"status": stopped.status, "stop_reason": stopped.stop_reason}
            )
        return found
