"""What a user will most likely do next: next-item and next-category probabilities.

* **Sequence model.** When the serving recommender is SASRec, its next-item logits after the
  user's history, turned into probabilities by a softmax over the items it was trained on.
* **Otherwise, transitions.** First-order transition counts between consecutive items of
  every user's history before `at` (a repeated event on the same item is one step), smoothed
  towards the items' overall frequency with a prior worth `PRIOR` transitions:
  P(j | i) = (n(i, j) + PRIOR · f(j)) / (n(i) + PRIOR). A user without item events gets f.
  Categories get their own counts, between the primary categories of consecutive steps
  (denser than items', so a habit shows sooner), after the user's last categorised step.

An item's first category is its primary one. With SASRec a category's probability is the sum
of its items'. Each list holds the k likeliest, so it sums to at most 1.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Literal

import numpy as np

from rapport.core.activity import ActivityLog
from rapport.core.histories import Histories
from rapport.core.models import Schema
from rapport.core.signals import SignalWeights
from rapport.core.store.event_log import ActivityStore
from rapport.core.store.repository import Store
from rapport.services.recommend.artifacts import ModelStore, TrainedModel

PRIOR = 2.0
"""Strength of the frequency prior of the transition fallback, in transitions."""
SEQUENCE_MODELS = ("sasrec",)


class NextItem(Schema):
    item_id: str
    """The item."""
    title: str
    """Its title."""
    category: str | None
    """Its primary (first) category."""
    probability: float
    """Chance that it is the user's next item."""


class NextCategory(Schema):
    category: str
    """A primary item category."""
    probability: float
    """Chance that the user's next item is in it."""


class NextAction(Schema):
    """The user's likely next step, as probabilities."""

    user_id: str
    """Whose next step."""
    at: datetime
    """The moment: only activity until then is read."""
    source: Literal["sasrec", "transitions"]
    """The sequence model, or the transition-count fallback."""
    last_item: str | None
    """The newest item of the user's history, which the prediction follows."""
    items: list[NextItem]
    """The k likeliest next items, likeliest first."""
    categories: list[NextCategory]
    """The k likeliest next categories, likeliest first."""


class NextActions:
    def __init__(self, store: Store, models: ModelStore, signals: SignalWeights) -> None:
        self.store = store
        self.activity = ActivityStore(store)
        self.models = models
        self.signals = signals
        self._cache: dict[tuple[str, int, str], _Habits] = {}
        self._lock = threading.Lock()

    def next(self, tenant: str, user_id: str, k: int, at: datetime) -> NextAction:
        """NotFound for an unknown user."""
        self.store.get_user(tenant, user_id)
        mine = _steps(self.activity.log(tenant, until=at, user_id=user_id))
        last = mine.item_ids[int(mine.items[-1])] if len(mine) else None
        trained = self.models.serving(tenant)
        if trained is not None and trained.manifest.model in SEQUENCE_MODELS:
            ids, p = self._sequence(trained, mine, at)
            return self._result(tenant, user_id, at, "sasrec", last, ids, p, None, k)
        habits = self._habits(tenant, at)
        ids, p = habits.items.after(last)
        categories = [habits.category.get(mine.item_ids[i]) for i in mine.items.tolist()]
        last_category = next((c for c in reversed(categories) if c is not None), None)
        by_category = habits.categories.after(last_category)
        return self._result(tenant, user_id, at, "transitions", last, ids, p, by_category, k)

    def _sequence(
        self, trained: TrainedModel, mine: ActivityLog, at: datetime
    ) -> tuple[list[str], np.ndarray]:
        model = trained.model
        position = np.array(
            [trained.position.get(mine.item_ids[i], -1) for i in mine.items], dtype=np.int64
        )
        keep = position >= 0
        strength, rating = self.signals.of_columns(list(mine.types[keep]), mine.values[keep])
        history = Histories.single(
            len(model.item_ids),
            position[keep],
            strength.astype(np.float32),
            rating.astype(np.float32),
            mine.times[keep],
            ref_time=at.timestamp(),
        )
        logits = np.asarray(model.score(history)[0], dtype=np.float64)
        finite = np.isfinite(logits)
        p = np.zeros(len(logits))
        if finite.any():
            shifted = np.exp(logits[finite] - logits[finite].max())
            p[finite] = shifted / shifted.sum()
        return list(model.item_ids), p

    def _habits(self, tenant: str, at: datetime) -> _Habits:
        # Keyed by what the log until `at` holds, so asking "now" again reuses it.
        count, newest = self.activity.state(tenant, at)
        key = (tenant, count, str(newest))
        with self._lock:
            found = self._cache.get(key)
            if found is None:
                if len(self._cache) > 16:
                    self._cache.clear()
                steps = _steps(self.activity.log(tenant, until=at))
                catalogue = self.store.get_items(tenant, steps.item_ids)
                category = {i.id: i.categories[0] for i in catalogue if i.categories}
                found = _Habits.of(steps, category)
                self._cache[key] = found
            return found

    def _result(
        self,
        tenant: str,
        user_id: str,
        at: datetime,
        source: Literal["sasrec", "transitions"],
        last: str | None,
        ids: list[str],
        p: np.ndarray,
        by_category: tuple[list[str], np.ndarray] | None,
        k: int,
    ) -> NextAction:
        order = np.argsort(-p, kind="stable")
        order = order[p[order] > 0]
        # Summed categories need every item with mass; otherwise the top k and a few spare
        # (deleted items drop out).
        shown = order if by_category is None else order[: 4 * k]
        items = {item.id: item for item in self.store.get_items(tenant, [ids[i] for i in shown])}
        mass: dict[str, float] = {}
        if by_category is None:
            for i in order:
                item = items.get(ids[i])
                if item is not None and item.categories:
                    mass[item.categories[0]] = mass.get(item.categories[0], 0.0) + float(p[i])
        else:
            names, q = by_category
            mass = {names[c]: float(q[c]) for c in np.flatnonzero(q > 0)}
        top = [
            NextItem(
                item_id=ids[i],
                title=items[ids[i]].title,
                category=_primary(items[ids[i]].categories),
                probability=round(float(p[i]), 6),
            )
            for i in order
            if ids[i] in items
        ][:k]
        categories = sorted(mass.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return NextAction(
            user_id=user_id,
            at=at,
            source=source,
            last_item=last,
            items=top,
            categories=[NextCategory(category=c, probability=round(v, 6)) for c, v in categories],
        )


def _primary(categories: list[str]) -> str | None:
    return categories[0] if categories else None


def _steps(log: ActivityLog) -> ActivityLog:
    """Item events only, a run of events of one user on one item counted once."""
    rows = log.items >= 0
    users, items = log.users[rows], log.items[rows]
    order = np.lexsort((log.times[rows], users))
    users, items = users[order], items[order]
    keep = np.ones(len(users), dtype=bool)
    keep[1:] = (users[1:] != users[:-1]) | (items[1:] != items[:-1])
    picked = np.flatnonzero(rows)[order][keep]
    picked.sort(kind="stable")
    return ActivityLog(
        log.user_ids,
        log.item_ids,
        log.users[picked],
        log.items[picked],
        log.types[picked],
        log.values[picked],
        log.times[picked],
    )


class _Transitions:
    """Transition counts between consecutive codes of each user's sequence, and the codes'
    overall frequency."""

    def __init__(
        self, ids: list[str], counts: dict[int, dict[int, int]], frequency: np.ndarray
    ) -> None:
        self.ids = ids
        self.position = {name: n for n, name in enumerate(ids)}
        self.counts = counts
        self.frequency = frequency

    @classmethod
    def of(cls, users: np.ndarray, codes: np.ndarray, ids: list[str]) -> _Transitions:
        """From codes already in time order within each user (users in any order)."""
        order = np.argsort(users, kind="stable")
        users, codes = users[order], codes[order]
        counts: dict[int, dict[int, int]] = {}
        same = users[1:] == users[:-1]
        for a, b in zip(codes[:-1][same].tolist(), codes[1:][same].tolist(), strict=True):
            row = counts.setdefault(a, {})
            row[b] = row.get(b, 0) + 1
        total = np.bincount(codes, minlength=len(ids)).astype(np.float64)
        frequency = total / total.sum() if total.sum() else total
        return cls(ids, counts, frequency)

    def after(self, last: str | None) -> tuple[list[str], np.ndarray]:
        """Next-code probabilities after `last` (the frequency prior alone without it)."""
        p = self.frequency.copy()
        index = self.position.get(last) if last is not None else None
        row = self.counts.get(index, {}) if index is not None else {}
        if row:
            seen = float(sum(row.values()))
            p *= PRIOR / (seen + PRIOR)
            for j, n in row.items():
                p[j] += n / (seen + PRIOR)
        return self.ids, p


class _Habits:
    """The tenant's item and category transitions, and each item's primary category."""

    def __init__(
        self, items: _Transitions, categories: _Transitions, category: dict[str, str]
    ) -> None:
        self.items, self.categories, self.category = items, categories, category

    @classmethod
    def of(cls, steps: ActivityLog, category: dict[str, str]) -> _Habits:
        items = _Transitions.of(steps.users, steps.items, steps.item_ids)
        names = sorted(set(category.values()))
        code = {name: n for n, name in enumerate(names)}
        of_item = np.array([code.get(category.get(i, ""), -1) for i in steps.item_ids])
        step_codes = of_item[steps.items] if len(steps) else np.zeros(0, dtype=np.int64)
        known = step_codes >= 0
        categories = _Transitions.of(steps.users[known], step_codes[known], names)
        return cls(items, categories, category)
