"""How much each kind of event says about what a user wants."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from rapport.core.models import Event

DEFAULT_WEIGHTS: dict[str, float] = {
    "purchase": 1.0,
    "enroll": 1.0,
    "complete": 1.0,
    "like": 1.0,
    "save": 0.5,
    "click": 0.1,
    "view": 0.05,
    "dismiss": -0.5,
    "dislike": -1.0,
    # What the delivery outbox did and the clicks on its links (they name no item, and are
    # listed at 0 so they stay no preference signal even with an item).
    "nudge_sent": 0.0,
    "nudge_failed": 0.0,
    "nudge_click": 0.0,
}

OUTBOX_EVENTS = frozenset({"nudge_sent", "nudge_failed", "nudge_click"})
"""Events the delivery outbox records: `nudge_sent` and `nudge_failed` are rapport's own
actions, not the user's (activity and engagement scores should leave them out)."""
NOT_SIGNALS = frozenset({"impression"})
"""Event types that say nothing about what a user wants: an item being shown is not a
preference (a click after it is). They never count, whatever the weights say, and the
store leaves them out of histories, popularity and training."""


class SignalWeights(BaseModel):
    """Signal strength per event type (seed 004's rewards by default). Positive means "more
    like this", negative "less like this"; types not listed carry no signal."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    """Strength of each event type, merged over the defaults: `{"share": 0.7}` adds a type,
    `{"view": 0}` silences one."""
    rating_positive: float = 4.0
    """A `rate` event at or above this value is a positive signal of strength 1."""
    rating_negative: float = 2.5
    """A `rate` event at or below this value is a negative signal (-0.5 at the scale's
    floor); ratings between the two thresholds are a weak positive (they were watched)."""

    @field_validator("weights", mode="before")
    @classmethod
    def _over_defaults(cls, value: Any) -> Any:
        return {**DEFAULT_WEIGHTS, **value} if isinstance(value, dict) else value

    def strength(self, event: Event) -> float:
        return self.of(event.type, event.value)

    def of_columns(self, types: list[str], values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Strength of each event, and its rating (NaN unless a `rate` event), for events
        given as columns: `of` is asked once per distinct type (and rating value)."""
        kinds = np.asarray(types, dtype=object)
        strength = np.zeros(len(kinds))
        rating = np.full(len(kinds), np.nan)
        for kind in set(types):
            rows = kinds == kind
            if kind != "rate":
                strength[rows] = self.of(kind, None)
                continue
            rating[rows] = values[rows]
            for value in np.unique(values[rows & ~np.isnan(values)]):
                strength[rows & (values == value)] = self.of(kind, float(value))
        return strength, rating

    def of(self, event_type: str, value: float | None) -> float:
        if event_type in NOT_SIGNALS:
            return 0.0
        if event_type == "rate":
            if value is None or math.isnan(value):
                return 0.0
            if value >= self.rating_positive:
                return 1.0
            if value <= self.rating_negative:
                return -0.5
            return 0.1
        return self.weights.get(event_type, 0.0)
