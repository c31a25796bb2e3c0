"""Abandonment risk: a model trained on the tenant's own history, not a formula.

**Label.** A user active within the last three horizons before a cut-off has abandoned when
they do nothing in the `horizon` days after it. The horizon is a setting; by default it is
read from the tenant's own rhythm: the 90th percentile of the gaps between consecutive
sessions of the same user, in whole days (whole hours below a day), at most 90 days. A
silence longer than nine in ten of the tenant's usual returns is unusual for a user who is
still there, whatever the tenant's time scale (a daily learning app and a monthly film club
get different horizons).

**Training.** Features of every such user at several earlier cut-offs, half a horizon apart
and each with its complete label window, are stacked. The newest quarter of the cut-offs is
a later time split: a scaled logistic regression and gradient-boosted trees
(scikit-learn) are fitted on the older cut-offs (those whose label windows close before the
split); the trees are kept only when their ROC AUC there beats the linear model's by
`margin` (0.02), and the kept kind is refitted on all cut-offs. The manifest
keeps that split's ROC AUC and precision at the top 10%, with the recency-frequency peer's
on the same rows, and the cut-offs used.

**Drivers.** What moved one user's risk: for each group of related features (recent
activity, longer-term activity, history, rhythm, last session, ratings), the change in
log-odds when the group is put back to its typical (median) training values, the others
unchanged. For the logistic regression this is the sum of standardised coefficient times
standardised difference over the group; for the trees the same question asked of the trees.
Features are grouped because collinear ones (events and sessions in the same window) split
and even flip their credit when put back one at a time.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import joblib
import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from rapport.core.activity import ActivityLog
from rapport.core.errors import Conflict
from rapport.core.models import Schema, utcnow
from rapport.services.engage.features import (
    DAY,
    GROUPS,
    NAMES,
    PEER_NAMES,
    Sessions,
    abandoned,
    features,
    group_labels,
    peer_features,
    session_gaps,
)

Kind = Literal["logistic", "boosting"]
KINDS: tuple[Kind, ...] = ("logistic", "boosting")
_controller: Any = None
_controller_lock = threading.Lock()


@contextmanager
def one_thread() -> Iterator[None]:
    """One OpenMP and BLAS thread for the block. The trees use OpenMP: on a busy two-core
    machine its threads wait for each other, and a fit of 2,500 rows took 19 s instead of
    0.5 s."""
    global _controller
    if _controller is None:
        with _controller_lock:
            if _controller is None:
                from threadpoolctl import ThreadpoolController

                _controller = ThreadpoolController()
    with _controller.limit(limits=1):
        yield


MIN_ROWS = 20
"""Fewer labelled rows than this (or a split with one class only) is not enough to learn."""


class ChurnConfig(BaseModel):
    """How abandonment risk is trained (settings section `[churn]`)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    horizon_days: float | None = Field(default=None, gt=0)
    """Days of silence after a cut-off that count as abandonment; default: read from the
    tenant's gaps between sessions (see `horizon_quantile`)."""
    horizon_quantile: float = Field(default=0.9, gt=0, lt=1)
    """Which quantile of the tenant's gaps between sessions becomes the horizon."""
    min_horizon_days: float = Field(default=1 / 24, gt=0)
    """Lower bound of a horizon read from the data."""
    max_horizon_days: float = Field(default=90.0, gt=0)
    """Upper bound of a horizon read from the data."""
    cutoffs: int = Field(default=64, ge=2)
    """Most training cut-offs, half a horizon apart, newest first (32 horizons of history:
    on small tenants every stacked row counts; 24 cut-offs did worse on MovieLens)."""
    validation_share: float = Field(default=0.25, gt=0, lt=1)
    """Newest share of the cut-offs that judges the model choice."""
    candidates: list[Kind] = Field(default_factory=lambda: list(KINDS))
    """Model kinds tried; the better on the later split is kept."""
    margin: float = Field(default=0.02, ge=0)
    """ROC AUC by which a later candidate must beat the first (the linear model) on the later
    split to be kept: the linear model's drivers are exact, and it extrapolates steadily
    where tenure and totals grow past the training range, where trees go flat."""


class SplitMetrics(Schema):
    """How a model ranked the rows of one later time split."""

    roc_auc: float
    """ROC AUC of the risk against who really abandoned."""
    precision_at_10pct: float
    """Share of abandoners among the 10% of rows ranked riskiest."""
    rows: int
    """(user, cut-off) rows judged."""
    abandon_rate: float
    """Share of those rows that abandoned (precision at random)."""


class ChurnManifest(Schema):
    """What is known about one trained abandonment model."""

    version: str
    """UTC time of training: versions sort in training order."""
    created_at: datetime
    """When it was trained."""
    tenant: str
    """Whose history it learned from."""
    at: datetime
    """The moment it was trained for: no event after it was read."""
    horizon_days: float
    """Days of silence that count as abandonment."""
    horizon_source: str
    """Where the horizon came from (the setting, or the tenant's gaps between sessions)."""
    model: Kind
    """The kind kept: `logistic` or `boosting`."""
    features: list[str]
    """Feature names, in the model's column order."""
    training_cutoffs: list[datetime]
    """Every cut-off the final model was fitted on, oldest first."""
    validation_cutoffs: list[datetime]
    """The later cut-offs that judged the choice, oldest first."""
    rows: int
    """Labelled (user, cut-off) rows of the final fit."""
    abandon_rate: float
    """Share of those rows that abandoned."""
    validation: dict[str, SplitMetrics]
    """Each candidate's and the recency-frequency peer's (`peer`) scores on the later split."""
    seconds: float
    """Feature building, the choice and the final fit."""


class RiskDriver(Schema):
    """One group of features and how it moved a user's risk."""

    feature: str
    """The group: recent_activity, longer_activity, history, rhythm, last_session, ratings."""
    label: str
    """What it means, in words."""
    value: float
    """The group's first feature for this user at that moment (days since the last activity,
    events in the last 3 horizons, tenure, usual gap, last session's events, rating drift)."""
    typical: float
    """That feature's median over the training rows."""
    effect: float
    """Change in log-odds of abandoning that this user's values cause against the typical
    ones: positive raises the risk, negative lowers it."""
    features: dict[str, float]
    """Every feature of the group and its value for this user."""


class AbandonmentRisk(Schema):
    """The chance that a user does nothing in the next horizon, and why."""

    user_id: str
    """Whose risk."""
    at: datetime
    """The moment it is judged at: only activity until then counts."""
    probability: float | None
    """Chance of no activity in the next `horizon_days` (None without any activity before
    `at`: the model only judges users it has seen act)."""
    horizon_days: float
    """The horizon of the model."""
    drivers: list[RiskDriver]
    """The features that moved this risk most, strongest first."""
    model_version: str
    """The abandonment model that judged it."""


@dataclass
class Dataset:
    """Stacked (user, cut-off) rows with labels."""

    users: np.ndarray
    cutoffs: np.ndarray
    x: np.ndarray
    peer: np.ndarray
    y: np.ndarray

    def at(self, keep: np.ndarray) -> Dataset:
        return Dataset(
            self.users[keep], self.cutoffs[keep], self.x[keep], self.peer[keep], self.y[keep]
        )


def horizon(log: ActivityLog, config: ChurnConfig) -> tuple[float, str]:
    """The horizon in days, and where it came from."""
    if config.horizon_days is not None:
        return config.horizon_days, "setting horizon_days"
    gaps = session_gaps(log)
    if len(gaps) < 10:
        raise Conflict(
            "abandonment risk needs a history with returns: fewer than 10 gaps between "
            "sessions of the same user; set [churn] horizon_days or wait for more activity"
        )
    q = float(np.quantile(gaps, config.horizon_quantile))
    # Whole days, or whole hours for a tenant whose users return within a day.
    rounded = float(np.ceil(q)) if q >= 1 else float(np.ceil(q * 24) / 24)
    days = float(np.clip(rounded, config.min_horizon_days, config.max_horizon_days))
    source = (
        f"{config.horizon_quantile:.0%} quantile of {len(gaps)} gaps between sessions "
        f"({q:.2f} days), rounded up, within {config.min_horizon_days:.3g}-"
        f"{config.max_horizon_days:g}"
    )
    return days, source


def cutoff_times(log: ActivityLog, at: float, horizon_days: float, count: int) -> np.ndarray:
    """Labelled cut-offs, oldest first: half a horizon apart, each with its whole label window
    before `at` and at least a horizon of history before it."""
    h = horizon_days * DAY
    newest = at - h
    earliest = float(log.times[0]) + h if len(log) else np.inf
    found = [newest - i * h / 2 for i in range(count)]
    return np.array(sorted(c for c in found if c >= earliest))


def dataset(log: ActivityLog, cutoffs: np.ndarray, horizon_days: float) -> Dataset:
    """Features, peer features and labels of every user at every cut-off, stacked."""
    sessions = Sessions.of(log)
    parts = []
    for cutoff in cutoffs:
        users, x = features(log, sessions, float(cutoff), horizon_days)
        y = abandoned(log, users, float(cutoff), horizon_days)
        peer = peer_features(log, users, float(cutoff))
        parts.append(Dataset(users, np.full(len(users), cutoff), x, peer, y))
    if not parts:
        return Dataset(
            np.zeros(0, np.int64), np.zeros(0), np.zeros((0, len(NAMES))),
            np.zeros((0, len(PEER_NAMES))), np.zeros(0, np.int64),
        )  # fmt: skip
    return Dataset(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in Dataset.__annotations__)
    )


def _signed_log(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


def make_model(kind: Kind) -> Any:
    """An unfitted classifier of `kind`. Counts and durations are heavy-tailed: the linear
    model reads them on a log scale, standardised; trees need neither."""
    if kind == "logistic":
        return make_pipeline(
            FunctionTransformer(_signed_log),
            StandardScaler(),
            LogisticRegression(C=1.0, max_iter=2000),
        )
    return HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=200,
        max_leaf_nodes=15,
        min_samples_leaf=20,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=0,
    )


def make_peer() -> Any:
    """The recency-frequency peer: logistic regression on days since the last event, events
    in the last 30 and 90 days and tenure (log scale, standardised)."""
    return make_model("logistic")


def metrics(y: np.ndarray, risk: np.ndarray) -> SplitMetrics:
    """ROC AUC and precision at the top 10% of `risk` against labels `y`."""
    top = max(1, int(np.ceil(0.1 * len(y))))
    order = np.argsort(-risk, kind="stable")
    both = 0 < y.sum() < len(y)
    return SplitMetrics(
        roc_auc=float(roc_auc_score(y, risk)) if both else float("nan"),
        precision_at_10pct=float(y[order[:top]].mean()) if len(y) else float("nan"),
        rows=len(y),
        abandon_rate=float(y.mean()) if len(y) else float("nan"),
    )


def _usable(data: Dataset) -> bool:
    return len(data.y) >= MIN_ROWS and 0 < int(data.y.sum()) < len(data.y)


@dataclass
class Fitted:
    """A trained abandonment model: the classifier, typical feature values and manifest."""

    model: Any
    typical: np.ndarray
    manifest: ChurnManifest

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        with one_thread():
            return np.asarray(self.model.predict_proba(x)[:, 1], dtype=np.float64)

    def drivers(self, row: np.ndarray) -> list[RiskDriver]:
        """The groups of features that moved this row's risk, strongest first: each put back
        to its typical (median) values, the others unchanged."""
        groups = list(GROUPS.items())
        variants = np.repeat(row[None, :], len(groups) + 1, axis=0)
        for n, (_, members) in enumerate(groups, start=1):
            columns = [NAMES.index(m) for m in members]
            variants[n, columns] = self.typical[columns]
        p = np.clip(self.probabilities(variants), 1e-6, 1 - 1e-6)
        logit = np.log(p / (1 - p))
        effects = logit[0] - logit[1:]
        names = group_labels(self.manifest.horizon_days)
        drivers = []
        for n in np.argsort(-np.abs(effects), kind="stable"):
            key, members = groups[n]
            if abs(effects[n]) < 1e-9:
                continue
            first = NAMES.index(members[0])
            drivers.append(
                RiskDriver(
                    feature=key,
                    label=names[key],
                    value=round(float(row[first]), 4),
                    typical=round(float(self.typical[first]), 4),
                    effect=round(float(effects[n]), 4),
                    features={m: round(float(row[NAMES.index(m)]), 4) for m in members},
                )
            )
        return drivers


def train(log: ActivityLog, tenant: str, at: datetime, config: ChurnConfig | None = None) -> Fitted:
    """Train on `log` (only events at or before `at` are read): choose the kind on the newest
    cut-offs, refit it on all. Conflict when the history is too short to learn from."""
    with one_thread():
        return _train(log, tenant, at, config or ChurnConfig())


def _train(log: ActivityLog, tenant: str, at: datetime, config: ChurnConfig) -> Fitted:
    started = time.perf_counter()
    moment = at.timestamp()
    log = log.before(moment)
    horizon_days, source = horizon(log, config)
    # A tenant quiet since long before `at` learns from the history it has: cut-offs count
    # back from its last event (otherwise every row would be after all activity).
    end = min(moment, float(log.times[-1]) + horizon_days * DAY) if len(log) else moment
    cutoffs = cutoff_times(log, end, horizon_days, config.cutoffs)
    n_val = max(1, round(config.validation_share * len(cutoffs)))
    if len(cutoffs) < 2:
        raise Conflict(
            f"abandonment risk needs history before {at.isoformat()}: at least two cut-offs "
            f"each followed by a whole horizon of {horizon_days:g} days"
        )
    data = dataset(log, cutoffs, horizon_days)
    later = cutoffs[-n_val:]
    split = float(later[0])
    older = data.cutoffs + horizon_days * DAY <= split  # label windows closed before the split
    train_rows, val_rows = data.at(older), data.at(data.cutoffs >= split)
    if not _usable(data):
        raise Conflict(
            f"abandonment risk needs at least {MIN_ROWS} labelled rows with both outcomes; "
            f"found {len(data.y)} rows, {int(data.y.sum())} abandoning"
        )
    validation: dict[str, SplitMetrics] = {}
    if _usable(train_rows) and _usable(val_rows):
        for kind in config.candidates:
            model = make_model(kind).fit(train_rows.x, train_rows.y)
            validation[kind] = metrics(val_rows.y, model.predict_proba(val_rows.x)[:, 1])
        peer = make_peer().fit(train_rows.peer, train_rows.y)
        validation["peer"] = metrics(val_rows.y, peer.predict_proba(val_rows.peer)[:, 1])
        # The first candidate unless another beats it by the margin (a NaN AUC counts as 0).
        auc = {k: float(np.nan_to_num(validation[k].roc_auc, nan=0.0)) for k in config.candidates}
        kind = config.candidates[0]
        for other in config.candidates[1:]:
            if auc[other] >= auc[kind] + config.margin:
                kind = other
    else:  # too little to split in time: the simpler model, unjudged
        kind = config.candidates[0]
    model = make_model(kind).fit(data.x, data.y)
    created = utcnow()
    manifest = ChurnManifest(
        version=created.strftime("%Y%m%dT%H%M%S%fZ"),
        created_at=created,
        tenant=tenant,
        at=at,
        horizon_days=horizon_days,
        horizon_source=source,
        model=kind,
        features=list(NAMES),
        training_cutoffs=[_time(c) for c in cutoffs],
        validation_cutoffs=[_time(c) for c in later],
        rows=len(data.y),
        abandon_rate=float(data.y.mean()),
        validation=validation,
        seconds=round(time.perf_counter() - started, 3),
    )
    return Fitted(model, np.median(data.x, axis=0), manifest)


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(float(epoch), tz=utcnow().tzinfo)


def user_row(log: ActivityLog, user: int, at: float, horizon_days: float) -> np.ndarray | None:
    """The feature row of one user (a code of `log`) at `at`; None without activity by then.
    Unlike training rows, a user gone longer than three horizons is still judged."""
    mine = log.only_users(np.array([user])).before(at)
    if not len(mine):
        return None
    users, x = features(mine, Sessions.of(mine), at, horizon_days, lookback=None)
    return np.asarray(x[list(users).index(user)])


class ChurnModels:
    """Abandonment models per tenant in `<data>/models/<tenant>/churn/<version>/`, the
    serving one named in CURRENT, each loaded once and kept until a newer one is made
    current (so judging a user's risk costs one small query and one prediction)."""

    def __init__(self, data: Path) -> None:
        self.root = Path(data) / "models"
        self._loaded: dict[str, tuple[str, Fitted]] = {}
        self._lock = threading.Lock()

    def _folder(self, tenant: str) -> Path:
        return self.root / tenant / "churn"

    def save(self, fitted: Fitted) -> None:
        manifest = fitted.manifest
        folder = self._folder(manifest.tenant) / manifest.version
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        joblib.dump({"model": fitted.model, "typical": fitted.typical}, folder / "model.joblib")
        (folder / "manifest.json").write_text(manifest.model_dump_json(indent=2))
        pointer = self._folder(manifest.tenant) / "CURRENT.tmp"
        pointer.write_text(manifest.version)
        pointer.replace(self._folder(manifest.tenant) / "CURRENT")  # atomic: readers never
        # see a half-written version

    def current_version(self, tenant: str) -> str | None:
        pointer = self._folder(tenant) / "CURRENT"
        return pointer.read_text().strip() if pointer.is_file() else None

    def manifest(self, tenant: str) -> ChurnManifest | None:
        version = self.current_version(tenant)
        if version is None:
            return None
        path = self._folder(tenant) / version / "manifest.json"
        return ChurnManifest.model_validate_json(path.read_text()) if path.is_file() else None

    def serving(self, tenant: str) -> Fitted | None:
        """The current model of `tenant`, loaded once per version; None before training."""
        version = self.current_version(tenant)
        if version is None:
            return None
        cached = self._loaded.get(tenant)
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._lock:
            manifest = self.manifest(tenant)
            bundle = joblib.load(self._folder(tenant) / version / "model.joblib")
            if manifest is None:
                return None
            fitted = Fitted(bundle["model"], np.asarray(bundle["typical"]), manifest)
            self._loaded[tenant] = (version, fitted)
            return fitted
