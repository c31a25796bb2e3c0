"""`rapport bench recommend`: MovieLens split by time; tuned peers and rapport's trained
recommender on the same split."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import structlog
from pydantic import Field

from rapport.bench.datasets import movielens_events
from rapport.bench.progress import Bars, no_bars
from rapport.core.errors import Unavailable
from rapport.core.interactions import Interactions
from rapport.core.models import Event, Schema, to_utc
from rapport.evaluation.peers import OWN, Comparison, compare
from rapport.services.recommend.models import MODELS, OPTIONAL_PEERS, PEERS

log = structlog.get_logger(__name__)


VARIANTS = {
    "full": "every user and rating as released",
    "implicit": "ratings dropped: every rating a plain positive interaction, as in a click log",
    "users-a": "a random half of the users (seed 0), as if another platform's audience",
    "users-b": "the other half of the users",
}
"""Versions of the data that stress the method's assumptions (held-out principle)."""


class RecommendBench(Schema):
    variant: str = "full"
    interactions: int
    users: int
    items: int
    seconds: float
    comparison: Comparison
    chosen: dict[str, Any] = Field(default_factory=dict)
    """The settings rapport chose by itself on the validation folds."""
    skipped: dict[str, str] = Field(default_factory=dict)
    """Default peers left out because their optional library is missing: name -> how to
    install it."""


def load_movielens(folder: Path) -> Interactions:
    events = [
        Event.model_construct(**{**row, "timestamp": to_utc(row["timestamp"])})
        for row in movielens_events(folder)
    ]
    return Interactions.from_events(events)


def _variant(data: Interactions, name: str) -> Interactions:
    """`data` as the named variant (see VARIANTS)."""
    if name == "implicit":
        return Interactions(
            data.user_ids,
            data.item_ids,
            data.users,
            data.items,
            np.ones_like(data.strength),
            np.full_like(data.rating, np.nan),
            data.time,
        )
    if name.startswith("users-"):
        half = np.random.default_rng(0).permutation(len(data.user_ids)) < len(data.user_ids) // 2
        return data.subset((half if name == "users-a" else ~half)[data.users])
    return data


def default_peers() -> tuple[list[str], dict[str, str]]:
    """The peers run when none are named: the classical ones and every optional one whose
    library is installed; and the optional ones left out (name -> how to install them)."""
    missing = {name: reason for name, check in OPTIONAL_PEERS.items() if (reason := check())}
    return [*PEERS, *(name for name in OPTIONAL_PEERS if name not in missing)], missing


def bench_recommend(
    movielens: Path,
    peers: list[str] | None = None,
    bars: Bars = no_bars,
    variant: str = "full",
) -> RecommendBench:
    names, skipped = default_peers() if peers is None else (peers, {})
    for name, reason in skipped.items():
        log.warning(f"peer {name} skipped", reason=reason)
    unknown = [p for p in names if p not in MODELS]
    if unknown:
        raise ValueError(f"unknown peer(s) {', '.join(unknown)}: use {', '.join(PEERS)}")
    absent = {p: OPTIONAL_PEERS[p]() for p in names if p in OPTIONAL_PEERS}
    if reasons := [f"{p}: {reason}" for p, reason in absent.items() if reason]:
        raise Unavailable("; ".join(reasons))
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}: use {', '.join(VARIANTS)}")
    started = time.perf_counter()
    data = _variant(load_movielens(movielens), variant)
    models = {name: MODELS[name] for name in names} | {OWN: MODELS["hybrid"]}
    # Tuning tries an unknown number of configurations: the bar counts, without a total.
    with bars("tune and evaluate (configurations tried)", None) as advance:
        comparison = compare(models, data, progress=advance)
    own = next(r for r in comparison.runs if r.model == OWN)
    return RecommendBench(
        variant=variant,
        interactions=len(data),
        users=int(np.unique(data.users).size),  # with events: a half keeps every id
        items=len(data.item_ids),
        seconds=round(time.perf_counter() - started, 1),
        comparison=comparison,
        chosen=own.params,
        skipped=skipped,
    )
