"""Audience targeting: the users most likely to engage with an item, with reasons (the
reverse of recommendation).

Two scores, each turned into a percentile among the candidates so they share one scale:

- the serving recommender's score of the item for every user it knows (their histories
  scored in batches by the trained model, as the request path scores one user);
- how many items in the item's categories they liked, plus stated interests naming it;
- the cosine between the item's vector and the user's taste vector: the items they engaged
  with (weighted by signal) plus their stated interests (embedded), so users the model does
  not know (new, or only a profile) are ranked too. It is shrunk by the evidence behind
  the vector (summed signal strength, one per stated interest), so two idle views do not
  make a fan.

A user's score is the mean of the parts they have (the category count as n / (n + 2)).
Users who already interacted with the item, who did not consent, or who opted out of AI
are left out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

import numpy as np

from rapport.core.histories import Histories
from rapport.core.interactions import EventColumns, Interactions
from rapport.core.models import Item, Schema, User
from rapport.core.signals import SignalWeights
from rapport.core.store.repository import Store
from rapport.services.insights.requests import AudienceRequest
from rapport.services.recommend.artifacts import ModelStore
from rapport.services.recommend.frame import ITEM_SPACE
from rapport.services.recommend.recommender import Recommender

BATCH = 1024
"""Users scored by the model at once."""
USERS_PAGE = 1000
EVIDENCE = 1.0
"""Signal strength at which a taste vector's cosine counts half."""


class AudienceMember(Schema):
    user_id: str
    """The user."""
    score: float
    """Mean of the percentiles below (0-1)."""
    model_percentile: float | None
    """Where the trained model puts this item for the user among all candidates (None when
    the model does not know the user or the item)."""
    similarity: float | None
    """Cosine between the item and the user's tastes and interests."""
    reasons: list[str]
    """Why this user: what they liked, their interests, the model."""


class Audience(Schema):
    """Users to show an item to, most likely to engage first."""

    item_id: str
    """The item the audience is for."""
    at: datetime
    """The moment scored (events before it count)."""
    model_version: str | None
    """The serving model that scored, if any."""
    candidates: int
    """Users considered (after leaving out those who engaged, refused consent or opted out)."""
    excluded_engaged: int
    """Users left out because they already interacted with the item."""
    users: list[AudienceMember]
    """Most likely to engage first."""


class AudienceFinder:
    def __init__(
        self, store: Store, models: ModelStore, recommender: Recommender, embedder_name: str
    ) -> None:
        self.store = store
        self.models = models
        self.recommender = recommender
        self.embedder_name = embedder_name

    @property
    def signals(self) -> SignalWeights:
        return self.recommender.config.signals

    def find(self, tenant: str, item_id: str, request: AudienceRequest) -> Audience:
        item = self.store.get_item(tenant, item_id)  # NotFound for an unknown item
        at = request.moment()
        columns = _before(list(self.store.item_event_columns(tenant)), at.timestamp())
        engaged = {
            u for u, i in zip(columns.user_ids, columns.item_ids, strict=True) if i == item_id
        }
        everyone = self._users(tenant)
        excluded = 0 if request.include_engaged else len(engaged & {u.id for u in everyone})
        users = [
            user
            for user in everyone
            if user.consent
            and not user.ai_opt_out
            and (request.include_engaged or user.id not in engaged)
        ]
        ids = [user.id for user in users]
        model_scores, version = self._model_scores(tenant, item_id, columns, ids, at)
        similarity = self._similarity(tenant, item_id, columns, users)
        history = _liked_categories(columns, self.signals, self._categories(tenant, columns))
        affinity = np.array([_affinity(u, item, history.get(u.id, Counter())) for u in users])
        percentiles = [
            _percentiles(model_scores),
            _percentiles(similarity),
            affinity / (affinity + 2),  # on a fixed scale: 0 for none, 0.6 for three items
        ]
        stacked = np.vstack(percentiles) if ids else np.zeros((3, 0))
        known = ~np.isnan(stacked)
        score = np.where(
            known.any(axis=0), np.nansum(stacked, axis=0) / np.maximum(known.sum(0), 1), -1
        )
        order = sorted(
            (i for i in range(len(ids)) if score[i] >= 0), key=lambda i: (-score[i], ids[i])
        )[: request.k]
        return Audience(
            item_id=item_id,
            at=at,
            model_version=version,
            candidates=len(ids),
            excluded_engaged=excluded,
            users=[
                AudienceMember(
                    user_id=ids[i],
                    score=round(float(score[i]), 4),
                    model_percentile=_rounded(percentiles[0][i]),
                    similarity=_rounded(similarity[i]),
                    reasons=_reasons(
                        users[i],
                        item,
                        history.get(ids[i], Counter()),
                        percentiles[0][i],
                        similarity[i],
                    ),
                )
                for i in order
            ],
        )

    # -- pieces ----------------------------------------------------------------------------

    def _users(self, tenant: str) -> list[User]:
        found: list[User] = []
        while True:
            page = self.store.list_users(tenant, limit=USERS_PAGE, offset=len(found))
            found.extend(page.items)
            if len(page.items) < USERS_PAGE:
                break
        return found

    def _categories(self, tenant: str, columns: EventColumns) -> dict[str, list[str]]:
        ids = sorted(set(columns.item_ids))
        return {item.id: list(item.categories) for item in self.store.get_items(tenant, ids)}

    def _model_scores(
        self, tenant: str, item_id: str, columns: EventColumns, ids: list[str], at: datetime
    ) -> tuple[np.ndarray, str | None]:
        found = np.full(len(ids), np.nan)
        trained = self.models.serving(tenant)
        if trained is None or item_id not in trained.position or not ids:
            return found, None if trained is None else trained.manifest.version
        data = Interactions.from_columns([columns], self.signals, trained.model.item_ids)
        row_of = {user: i for i, user in enumerate(data.user_ids)}
        wanted = [(n, row_of[u]) for n, u in enumerate(ids) if u in row_of]
        if not wanted:
            return found, trained.manifest.version
        rows = np.array([r for _, r in wanted], dtype=np.int64)
        histories = Histories.from_interactions(data, rows, np.full(len(rows), at.timestamp()))
        # The model's per-user state belongs to its training numbering, not this one.
        histories.users = np.full(len(rows), -1, dtype=np.int64)
        column = trained.position[item_id]
        values = np.concatenate(
            [
                trained.model.score(histories.take(np.arange(s, min(s + BATCH, len(rows)))))[
                    :, column
                ]
                for s in range(0, len(rows), BATCH)
            ]
        )
        for (n, _), value in zip(wanted, values, strict=True):
            found[n] = value if np.isfinite(value) else np.nan
        return found, trained.manifest.version

    def _similarity(
        self, tenant: str, item_id: str, columns: EventColumns, users: list[User]
    ) -> np.ndarray:
        found = np.full(len(users), np.nan)
        target = self.store.load_vectors(tenant, ITEM_SPACE, self.embedder_name, ref_ids=[item_id])
        if not target or not users:
            return found
        item_vector = target[0].vector.astype(np.float64)
        item_vector /= np.linalg.norm(item_vector) or 1.0
        strength, _ = self.signals.of_columns(columns.types, columns.values)
        taste: defaultdict[str, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
        for user, other, weight in zip(columns.user_ids, columns.item_ids, strength, strict=True):
            if weight != 0 and other != item_id:
                taste[user][other] += float(weight)
        needed = sorted({i for t in taste.values() for i in t})
        vectors = {
            row.ref_id: row.vector.astype(np.float64)
            for row in self.store.load_vectors(
                tenant, ITEM_SPACE, self.embedder_name, ref_ids=needed
            )
        }
        for n, member in enumerate(users):
            total = np.zeros_like(item_vector)
            for other, weight in taste.get(member.id, {}).items():
                if other in vectors:
                    total += weight * vectors[other]
            evidence = sum(abs(w) for w in taste.get(member.id, {}).values())
            interests = self.recommender.interest_vectors(tenant, member.profile.interests)
            if interests:
                # Stated interests weigh like one liked item each, so a profile alone counts.
                total += sum(interests.values(), np.zeros_like(item_vector))
                evidence += len(interests)
            norm = np.linalg.norm(total)
            if norm > 0:
                # A cosine from one glance is not a taste: shrink it by how much evidence
                # the vector rests on (half at one liked item, near whole at several).
                found[n] = float(total @ item_vector / norm) * evidence / (evidence + EVIDENCE)
        return found


def _before(batches: list[EventColumns], moment: float) -> EventColumns:
    """One batch of the events before `moment`."""
    if not batches:
        return EventColumns([], [], [], np.zeros(0), np.zeros(0))
    times = np.concatenate([b.times for b in batches])
    keep = times < moment
    pick = np.flatnonzero(keep)

    def flat(name: str) -> list[str]:
        values = [v for b in batches for v in getattr(b, name)]
        return [values[i] for i in pick]

    return EventColumns(
        user_ids=flat("user_ids"),
        item_ids=flat("item_ids"),
        types=flat("types"),
        values=np.concatenate([b.values for b in batches])[keep],
        times=times[keep],
    )


def _percentiles(values: np.ndarray) -> np.ndarray:
    """Rank of each finite value among the finite ones, 0 (lowest) to 1 (highest); NaN stays."""
    found = np.full(len(values), np.nan)
    finite = np.flatnonzero(np.isfinite(values))
    if finite.size == 1:
        found[finite] = 1.0
    elif finite.size > 1:
        ranks = np.argsort(np.argsort(values[finite], kind="stable"), kind="stable")
        found[finite] = ranks / (finite.size - 1)
    return found


def _liked_categories(
    columns: EventColumns, signals: SignalWeights, categories: dict[str, list[str]]
) -> dict[str, Counter[str]]:
    """Per user, the number of distinct items they engaged with positively, per category."""
    strength, _ = signals.of_columns(columns.types, columns.values)
    seen: defaultdict[str, set[str]] = defaultdict(set)
    for user, item, weight in zip(columns.user_ids, columns.item_ids, strength, strict=True):
        if weight >= 0.5:
            seen[user].add(item)
    found: dict[str, Counter[str]] = {}
    for user, items in seen.items():
        found[user] = Counter(c for item in items for c in categories.get(item, []))
    return found


def _affinity(user: User, item: Item, liked: Counter[str]) -> float:
    """Items liked in the item's categories, plus one per stated interest naming it: what
    ranks users when there are neither a model nor vectors."""
    labels = [label.lower() for label in [*item.categories, *item.tags]]
    stated = sum(1 for i in user.profile.interests if any(i.lower() in x for x in labels))
    return float(sum(liked.get(c, 0) for c in item.categories) + stated)


def _rounded(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 4)


def _reasons(
    user: User, item: Item, liked: Counter[str], model: float, similarity: float
) -> list[str]:
    reasons = [
        f"liked {liked[c]} item{'s' if liked[c] > 1 else ''} in {c}"
        for c in item.categories
        if liked.get(c)
    ]
    labels = {label.lower() for label in [*item.categories, *item.tags]}
    matching = [
        i
        for i in user.profile.interests
        if i.lower() in labels or any(i.lower() in x for x in labels)
    ]
    if matching:
        reasons.append(f"interests: {', '.join(matching[:3])}")
    if not np.isnan(model) and model >= 0.75:
        top = max(1, round((1 - model) * 100))
        reasons.append(f"the recommender ranks this item high for them (top {top}%)")
    if not np.isnan(similarity) and similarity >= 0.3:
        reasons.append(f"close to what they engage with (similarity {similarity:.2f})")
    return reasons or ["few signals: ranked by the closest available match"]
