"""Impressions: served lists logged item by item, and the attribution of later clicks,
saves and purchases to them.

An outcome event (click, save, purchase...) of user u about item i at time t is attributed
to the latest impression of (u, i) shown at or before t and at most the attribution
window before it; outcomes with no such impression are not attributed (they still count
as ordinary events everywhere else).
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import Field

from rapport.core.models import Id, Schema, Strict, Timestamp, utcnow
from rapport.core.store.impressions import ImpressionStore, Outcome, Shown
from rapport.services.experiments.config import ExperimentsConfig

# The source named for an item proposed by several: the most specific evidence first.
SOURCE_PRIORITY = (
    "explore",
    "collaborative",
    "neighbours",
    "content",
    "trending",
    "popularity",
    "new",
)


def primary_source(sources: Sequence[str]) -> str:
    """The one source an impression is counted under."""
    for name in SOURCE_PRIORITY:
        if name in sources:
            return name
    return sources[0] if sources else "unknown"


@dataclass(frozen=True)
class ShownItem:
    """One item of a served list, as the logger needs it."""

    item_id: str
    sources: Sequence[str]


class ImpressionList(Strict):
    """A list shown to a user outside `recommend` (or by another system), to log."""

    user_id: Id
    """Who saw it."""
    item_ids: list[Id] = Field(min_length=1, max_length=500)
    """The items, in the order shown (rank 1 first)."""
    source: str = Field(default="external", max_length=32)
    """What produced the list."""
    model_version: str = Field(default="", max_length=64)
    """The model version that produced it, if any."""
    experiment: str | None = Field(default=None, max_length=64)
    """The experiment it was served in, if any."""
    variant: str | None = Field(default=None, max_length=32)
    """The variant it was served in."""
    at: Timestamp | None = None
    """When it was shown (default now)."""


class LoggedList(Schema):
    """A logged list."""

    list_id: str
    """Id shared by its impressions."""
    impressions: int
    """Rows written."""


@dataclass
class Attributed:
    """An impression and the outcome types attributed to it."""

    shown: Shown
    outcomes: set[str] = field(default_factory=set)


class ImpressionLog:
    """Writes impressions and reads them back with their attributed outcomes."""

    def __init__(self, store: ImpressionStore, config: ExperimentsConfig) -> None:
        self.store = store
        self.config = config

    def log(
        self,
        tenant: str,
        user_id: str,
        items: Sequence[ShownItem],
        *,
        at: datetime,
        model_version: str = "",
        experiment: str | None = None,
        variant: str | None = None,
    ) -> str:
        """Log one served list (ranks from 1); returns its list id."""
        list_id, rows = _rows(user_id, items, at, model_version, experiment, variant)
        self.store.add(tenant, rows)
        return list_id

    def log_lists(self, tenant: str, lists: Sequence[ImpressionList]) -> list[LoggedList]:
        """Log several lists in one transaction (a replayed or imported log)."""
        logged, rows = [], []
        for shown in lists:
            items = [ShownItem(item, [shown.source]) for item in shown.item_ids]
            list_id, part = _rows(
                shown.user_id,
                items,
                shown.at or utcnow(),
                shown.model_version,
                shown.experiment,
                shown.variant,
            )
            logged.append(LoggedList(list_id=list_id, impressions=len(part)))
            rows += part
        self.store.add(tenant, rows)
        return logged

    def attributed(
        self,
        tenant: str,
        since: datetime | None,
        until: datetime,
        *,
        experiment: str | None = None,
        imported: bool = True,
    ) -> list[Attributed]:
        """Impressions shown in [since, until] (logged ones, of `experiment` when given, and
        imported `impression` events when `imported`) with their attributed outcomes;
        outcomes up to one window after `until` still count."""
        shown = self.store.logged(tenant, since, until, experiment)
        if imported:
            shown += self.store.imported(tenant, since, until)
        window = timedelta(hours=self.config.attribution_hours)
        types = {*self.config.click_types, *self.config.conversion_types, *self.config.save_types}
        outcomes = self.store.outcomes(tenant, types, since, until + window)
        return attribute(shown, outcomes, window)


def _rows(
    user_id: str,
    items: Sequence[ShownItem],
    at: datetime,
    model_version: str,
    experiment: str | None,
    variant: str | None,
) -> tuple[str, list[Shown]]:
    list_id = "list_" + uuid.uuid4().hex[:20]
    return list_id, [
        Shown(
            list_id=list_id,
            user_id=user_id,
            item_id=item.item_id,
            rank=rank,
            source=primary_source(item.sources),
            model_version=model_version,
            experiment=experiment,
            variant=variant,
            at=at,
        )
        for rank, item in enumerate(items, 1)
    ]


def attribute(
    shown: Sequence[Shown], outcomes: Sequence[Outcome], window: timedelta
) -> list[Attributed]:
    """Each outcome to the latest impression of the same user and item at or before it,
    within `window`."""
    result = [Attributed(s) for s in shown]
    by_pair: dict[tuple[str, str], list[Attributed]] = {}
    for entry in sorted(result, key=lambda a: a.shown.at):
        by_pair.setdefault((entry.shown.user_id, entry.shown.item_id), []).append(entry)
    times = {pair: [a.shown.at for a in entries] for pair, entries in by_pair.items()}
    for outcome in outcomes:
        pair = (outcome.user_id, outcome.item_id)
        entries = by_pair.get(pair)
        if not entries:
            continue
        index = bisect.bisect_right(times[pair], outcome.at) - 1
        if index < 0 or outcome.at - entries[index].shown.at > window:
            continue
        entries[index].outcomes.add(outcome.type)
    return result
