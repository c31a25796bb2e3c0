"""`rapport bench churn`: abandonment risk on MovieLens (every rating is activity), rapport's
trained model against a recency-frequency logistic regression, on a later time split.

Protocol (nothing is chosen by looking at the test rows):

* The held-out period starts at the 85% time quantile of the events. rapport trains with its
  defaults on everything before it (`churn.train(at=start)`: horizon from the gaps between
  sessions before `start`, model kind chosen on its own newest cut-offs), and the peer is
  fitted on the same stacked rows.
* Test cut-offs run from `start` every half horizon while a whole horizon follows them; each
  row is a user active in the three horizons before its cut-off, labelled by whether they did
  anything in the horizon after it. Both models rank the same rows.
* Variants repeat the protocol on other data: `earlier` (the log cut at the 85% quantile, so a
  split nobody looked at either), `users-a`/`users-b` (random halves of the users, seed 0),
  and `hours` (every gap shrunk 24 times: a tenant whose users return hourly; the peer's
  30/90-day windows are those the issue names, so they do not shrink with it).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from rapport.bench.datasets import movielens_events
from rapport.core.activity import ActivityLog
from rapport.core.models import Schema
from rapport.services.engage import churn
from rapport.services.engage.features import DAY

HOLDOUT_QUANTILE = 0.85
"""The later share of the events (by time) held out for the test cut-offs."""

VARIANTS = {
    "full": "every user and rating",
    "earlier": "the log cut at the 85% time quantile: an earlier split",
    "users-a": "a random half of the users (seed 0)",
    "users-b": "the other half of the users",
    "hours": "every timestamp's distance from the first event divided by 24",
}


class ChurnRun(Schema):
    """rapport and the peer on one variant's test cut-offs."""

    variant: str
    """Which version of the data (see VARIANTS)."""
    description: str
    """What the variant is."""
    horizon_days: float
    """The horizon rapport read from the training period."""
    model: str
    """The kind rapport kept (`logistic` or `boosting`)."""
    training_rows: int
    """Stacked (user, cut-off) rows both models were fitted on."""
    test_cutoffs: int
    """Held-out cut-offs."""
    rapport: churn.SplitMetrics
    """rapport's scores on the test rows."""
    peer: churn.SplitMetrics
    """The recency-frequency logistic regression's scores on the same rows."""
    auc_difference: float
    """rapport's ROC AUC minus the peer's (goal: at least 0.03)."""
    auc_ratio: float
    """rapport's ROC AUC over the peer's."""


class ChurnBench(Schema):
    events: int
    """Ratings read."""
    users: int
    """Users in the data."""
    runs: list[ChurnRun]
    """One per variant, `full` first."""
    seconds: float
    """The whole benchmark."""


def load_movielens(folder: Path) -> ActivityLog:
    """MovieLens ratings as activity (user, movie, rating, time)."""
    rows = list(movielens_events(folder))
    return ActivityLog.from_columns(
        [r["user_id"] for r in rows],
        [r["item_id"] for r in rows],
        [r["type"] for r in rows],
        np.array([r["value"] for r in rows], dtype=np.float64),
        np.array([r["timestamp"] for r in rows], dtype=np.float64),
    )


def variant(log: ActivityLog, name: str) -> ActivityLog:
    """`log` as the named variant (see VARIANTS)."""
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}: use {', '.join(VARIANTS)}")
    if name == "earlier":
        return log.before(float(np.quantile(log.times, HOLDOUT_QUANTILE)))
    if name in ("users-a", "users-b"):
        order = np.random.default_rng(0).permutation(len(log.user_ids))
        half = order[: len(order) // 2] if name == "users-a" else order[len(order) // 2 :]
        return log.only_users(half)
    if name == "hours":
        start = float(log.times[0])
        return ActivityLog(
            log.user_ids, log.item_ids, log.users, log.items, log.types, log.values,
            start + (log.times - start) / 24,
        )  # fmt: skip
    return log


def run(log: ActivityLog, name: str, config: churn.ChurnConfig | None = None) -> ChurnRun:
    """The protocol on one variant of the data."""
    data = variant(log, name)
    start = float(np.quantile(data.times, HOLDOUT_QUANTILE))
    fitted = churn.train(data, "bench", datetime.fromtimestamp(start, UTC), config)
    manifest = fitted.manifest
    h = manifest.horizon_days
    end = float(data.times[-1])
    tests = np.arange(start, end - h * DAY + 1e-6, h * DAY / 2)
    test = churn.dataset(data, tests, h)
    train_cutoffs = np.array([c.timestamp() for c in manifest.training_cutoffs])
    train = churn.dataset(data.before(start), train_cutoffs, h)
    with churn.one_thread():
        peer = churn.make_peer().fit(train.peer, train.y)
        theirs = churn.metrics(test.y, peer.predict_proba(test.peer)[:, 1])
    ours = churn.metrics(test.y, fitted.probabilities(test.x))
    return ChurnRun(
        variant=name,
        description=VARIANTS[name],
        horizon_days=h,
        model=manifest.model,
        training_rows=len(train.y),
        test_cutoffs=len(tests),
        rapport=ours,
        peer=theirs,
        auc_difference=round(ours.roc_auc - theirs.roc_auc, 4),
        auc_ratio=round(ours.roc_auc / theirs.roc_auc, 4),
    )


def bench_churn(
    folder: Path, variants: list[str] | None = None, config: churn.ChurnConfig | None = None
) -> ChurnBench:
    """Every named variant (default: all), `full` first."""
    started = time.perf_counter()
    names = variants or list(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variant(s) {', '.join(unknown)}: use {', '.join(VARIANTS)}")
    log = load_movielens(folder)
    runs = [run(log, name, config) for name in names]
    return ChurnBench(
        events=len(log),
        users=len(log.user_ids),
        runs=runs,
        seconds=round(time.perf_counter() - started, 2),
    )
