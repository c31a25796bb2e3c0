"""The request-time recommender: candidates from several sources, blended, put in context,
diversified and explained.

Each source proposes its best candidates cheaply (nearest-neighbour search for content and
neighbours, the trained model's best items, popularity and newness in precomputed order),
filtered by the request; only the union of those candidates is scored, blended, put in
context and diversified, so a request costs about the same at ten thousand items as at a
million.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial, reduce

import numpy as np
from pydantic import Field

from rapport.core.components import ComponentConfig
from rapport.core.histories import Histories
from rapport.core.models import Item, Schema, User, content_hash
from rapport.core.requests import RecommendRequest
from rapport.core.signals import SignalWeights
from rapport.core.store.repository import Store
from rapport.core.telemetry import RECOMMEND_SECONDS
from rapport.core.vectors.embedder import Embedder
from rapport.core.vectors.index import VectorIndex
from rapport.core.vectors.refresh import refresh_vectors
from rapport.services.recommend.artifacts import ModelStore, TrainedModel
from rapport.services.recommend.blas import one_blas_thread
from rapport.services.recommend.candidates import (
    AnchorNeighbours,
    ContentSource,
    Eligibility,
    Nearest,
    NeighbourSource,
    OrderSource,
    Source,
    exact_nearest,
    propose,
)
from rapport.services.recommend.context import ContextWeights, context_scores
from rapport.services.recommend.explain import reasons_for
from rapport.services.recommend.frame import ITEM_SPACE, FrameCache, ItemFrame
from rapport.services.recommend.live_popularity import PopularityCache
from rapport.services.recommend.model_scores import SourceScores, source_scores
from rapport.services.recommend.rows import unique_rows
from rapport.services.recommend.standardise import standardise
from rapport.services.recommend.user_state import UserState

INTEREST_SPACE = "interest"
USER_SPACE = "user"  # one vector per user: their whole profile
PROFILE_CACHE = 10_000  # profile vectors kept in memory, most recently used


class RecommenderConfig(ComponentConfig):
    """Request-time behaviour (the `[recommender]` settings section). Collaborative blend
    weights come from training instead."""

    signals: SignalWeights = Field(default_factory=SignalWeights)
    """How much each event type says about what a user wants."""
    context: ContextWeights = Field(default_factory=ContextWeights)
    """How much place, time, price and level move items up."""
    cold_start_below: int = 5
    """Users with fewer distinct items interacted with get the cold-start blend."""
    history_limit: int = 500
    """Newest events read per request."""
    per_source: int = 200
    """Candidates each source proposes."""
    content_weight: float = 0.5
    """Weight of content similarity (user vector vs item vectors) for warm users."""
    neighbour_weight: float = 0.3
    """Weight of similarity to the user's recent positive items for warm users."""
    cold_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "content": 1.0,
            "neighbours": 0.5,
            "popularity": 0.4,
            "trending": 0.3,
            "new": 0.1,
        }
    )
    """Blend for users with little history: their stated interests and what is popular."""
    new_item_days: float = 14.0
    """Items created within this many days get the "new" source."""
    user_vector_half_life: float = 20.0
    """Recency half-life, in interactions, of history in the user's content vector."""
    interest_weight: float = 2.0
    """Weight of the profile's stated interests in the user vector, in interactions."""


STANDOUT = 1.0  # z-score over the candidates above which a source is named in the reasons
NEIGHBOUR_ANCHORS = 10  # most recent positive items whose neighbours are proposed


@dataclass
class Scored:
    """Candidate rows with their blended scores, which sources proposed each, and in which
    sources each stands out (for reasons)."""

    rows: np.ndarray
    scores: np.ndarray
    proposed: dict[str, set[int]] = field(default_factory=dict)
    standout: dict[str, set[int]] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> Scored:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0))

    def mark(self, table: dict[str, set[int]], label: str, rows: np.ndarray) -> None:
        table.setdefault(label, set()).update(rows.tolist())

    def merge(self, other: Scored) -> None:
        for mine, theirs in ((self.proposed, other.proposed), (self.standout, other.standout)):
            for label, rows in theirs.items():
                mine.setdefault(label, set()).update(rows)

    def labels(self, table: dict[str, set[int]], row: int) -> set[str]:
        return {label for label, rows in table.items() if row in rows}

    def scores_of(self, rows: np.ndarray) -> np.ndarray:
        """Scores of `rows` (all among this one's rows)."""
        order = np.argsort(self.rows)
        return self.scores[order[np.searchsorted(self.rows, rows, sorter=order)]]


def _label(source: str) -> str:
    if source == "cf:trending":
        return "trending"
    return "collaborative" if source.startswith("cf:") else source


def _scaled(weights: dict[str, float], blend: Mapping[str, float] | None) -> dict[str, float]:
    """Weights times the multipliers of their sources' reported names."""
    if not blend:
        return weights
    return {name: w * blend.get(_label(name), 1.0) for name, w in weights.items()}


class Recommendation(Schema):
    """One recommended item and why."""

    item_id: str
    """The item."""
    score: float
    """Blended relevance plus context, comparable within one list."""
    reasons: list[str]
    """Short reasons built from real signals, most specific first."""
    sources: list[str] = Field(default_factory=list)
    """Candidate sources that proposed the item (collaborative, content, neighbours...)."""
    item: Item
    """The item itself, as stored."""


class Recommendations(Schema):
    """A user's list, best first."""

    user_id: str
    """Whose list."""
    items: list[Recommendation]
    """Best first."""
    experiment: str | None = None
    """The A/B test this list was served in, if any."""
    variant: str | None = None
    """The user's variant in that experiment."""
    model_version: str | None = None
    """The trained model version that served the list ("" when none did)."""
    list_id: str | None = None
    """Id of the logged impressions of this list (when logged): send it back in the
    context of clicks if you like; attribution works without it."""


class GroupRecommendations(Schema):
    """One list for several users at once, best first."""

    user_ids: list[str]
    """The members, each once."""
    items: list[Recommendation]
    """Best first."""
    model_version: str | None = None
    """The trained model version that scored the list (None before training)."""


class Recommender:
    """Ranks a tenant's catalogue for one user (or a group) at request time."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        frames: FrameCache,
        models: ModelStore,
        config: RecommenderConfig | None = None,
        index: VectorIndex | None = None,
        exact_below: int | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.frames = frames
        self.models = models
        self.config = config or RecommenderConfig()
        self.index = index
        self.exact_below = exact_below
        """Catalogues up to this size find nearest items by one product over their vectors;
        larger ones ask the vector index (None: always the product)."""
        self.popularity = PopularityCache(store, self.config.signals)
        self._interests: dict[tuple[str, str], np.ndarray] = {}
        self._profiles: OrderedDict[tuple[str, str, str], np.ndarray] = OrderedDict()
        self._mappings: dict[tuple[str, str], _ModelMapping] = {}
        self._anchor_lists: dict[str, AnchorNeighbours] = {}

    # -- public ----------------------------------------------------------------------------

    def recommend(
        self,
        tenant: str,
        user_id: str,
        request: RecommendRequest | None = None,
        *,
        popular: bool = False,
        version: str | None = None,
        blend: Mapping[str, float] | None = None,
    ) -> Recommendations:
        """`popular`: rank by popularity and trend only (an experiment's non-personalised
        arm); `version` names a stored model version to score with instead of the serving
        one (a canary variant); NotFound when it is not stored. `blend` multiplies sources'
        weights by their reported name (`content`, `collaborative`, ...: a variant's
        blend)."""
        request = request or RecommendRequest()
        with RECOMMEND_SECONDS.labels("user").time():
            frame = self.frames.get(tenant)
            trained = None if popular else self.trained(tenant, version)
            state = self.user_state(tenant, user_id, frame)
            with one_blas_thread():
                if popular:
                    scored = self._popular_scores(tenant, frame, state, request, blend)
                else:
                    scored = self._personal_scores(tenant, frame, state, request, trained, blend)
                items = self._finish(frame, [state], scored, request)
        return Recommendations(user_id=user_id, items=items, model_version=_version(trained))

    def trained(self, tenant: str, version: str | None = None) -> TrainedModel | None:
        """The serving model of `tenant`, or the named stored version."""
        if version is None:
            return self.models.serving(tenant)
        return self.models.get(tenant, version)

    def recommend_group(
        self,
        tenant: str,
        user_ids: list[str],
        request: RecommendRequest | None = None,
        version: str | None = None,
    ) -> GroupRecommendations:
        """One list for several people: the mean of their scaled scores, minus a penalty
        for the least happy member (so nobody's worst item tops the list), over the
        candidates every member has."""
        request = request or RecommendRequest()
        if not user_ids:
            raise ValueError("a group needs at least one user")
        with RECOMMEND_SECONDS.labels("group").time():
            return self._recommend_group(tenant, user_ids, request, version)

    def _recommend_group(
        self, tenant: str, user_ids: list[str], request: RecommendRequest, version: str | None
    ) -> GroupRecommendations:
        frame = self.frames.get(tenant)
        trained = self.trained(tenant, version)
        states = [self.user_state(tenant, u, frame) for u in dict.fromkeys(user_ids)]
        with one_blas_thread():
            members = [
                self._personal_scores(tenant, frame, state, request, trained) for state in states
            ]
        common = reduce(np.intersect1d, [m.rows for m in members])
        stacked = np.vstack([m.scores_of(common) for m in members]) if common.size else None
        group = Scored(common, np.zeros(0))
        if stacked is not None:
            group.scores = stacked.mean(axis=0) + 0.5 * stacked.min(axis=0)
        for member in members:
            group.merge(member)
        return GroupRecommendations(
            user_ids=[state.user.id for state in states],
            items=self._finish(frame, states, group, request),
            model_version=_version(trained),
        )

    def warm(self, tenant: str) -> None:
        """Build what requests of `tenant` use (frame, model mapping, popularity) now."""
        frame = self.frames.get(tenant)
        trained = self.models.serving(tenant)
        if trained is not None:
            self._mapping(tenant, frame, trained)
        self.popularity.get(tenant, frame)
        frame.preload()
        if self._exact(frame):  # every item's nearest items, before the first request
            lists = self._anchor_lists.setdefault(tenant, AnchorNeighbours())
            lists.fill(frame, exact_nearest(frame))

    # -- pieces ----------------------------------------------------------------------------

    def user_state(self, tenant: str, user_id: str, frame: ItemFrame) -> UserState:
        user = self.store.get_user(tenant, user_id)
        signals = self.store.user_signal_columns(tenant, user_id, self.config.history_limit)
        state = UserState.build(user, signals, frame, self.config.signals)
        state.interests = self.interest_vectors(tenant, user.profile.interests)
        state.profile = self.profile_vector(tenant, user)
        return state

    def _personal_scores(
        self,
        tenant: str,
        frame: ItemFrame,
        state: UserState,
        request: RecommendRequest,
        trained: TrainedModel | None,
        blend: Mapping[str, float] | None = None,
    ) -> Scored:
        """Candidates from every source, blended over the candidates, plus context."""
        now = request.moment().timestamp()
        sources, learned = self._sources(tenant, frame, state, now, trained)
        warm = state.interactions >= self.config.cold_start_below
        weights = _scaled(self._weights(warm, trained, learned), blend)
        return self._blend(frame, state, request, sources, weights)

    def _popular_scores(
        self,
        tenant: str,
        frame: ItemFrame,
        state: UserState,
        request: RecommendRequest,
        blend: Mapping[str, float] | None = None,
    ) -> Scored:
        """What is popular and trending, filtered and put in context like any list."""
        stats = self.popularity.get(tenant, frame)
        sources: dict[str, Source] = {
            name: OrderSource(stats.order(name), partial(stats.at, name))
            for name in ("popularity", "trending")
        }
        weights = _scaled({"popularity": 1.0, "trending": 0.5}, blend)
        return self._blend(frame, state, request, sources, weights)

    def _blend(
        self,
        frame: ItemFrame,
        state: UserState,
        request: RecommendRequest,
        sources: dict[str, Source],
        weights: dict[str, float],
    ) -> Scored:
        eligibility = Eligibility(frame, request, state.seen, state.averse_categories)
        scored = Scored.empty()
        proposals: list[np.ndarray] = []
        # The neighbour source proposes last, so the similarities of the other sources'
        # candidates are computed in the product its ranking needs anyway.
        last = sorted(sources.items(), key=lambda pair: isinstance(pair[1], NeighbourSource))
        for name, source in last:
            if weights.get(name, 0) <= 0:
                continue
            if isinstance(source, NeighbourSource) and proposals:
                source.expect(np.concatenate(proposals))
            rows = propose(source, eligibility, self.config.per_source)
            proposals.append(rows)
            scored.mark(scored.proposed, _label(name), rows)
        rows = unique_rows(np.concatenate(proposals)) if proposals else scored.rows
        if rows.size == 0:
            return scored
        total = np.zeros(rows.size)
        for name, source in sources.items():
            weight = weights.get(name, 0.0)
            if weight <= 0:
                continue
            part = source.at(rows)
            finite = np.isfinite(part)
            if not finite.any():
                continue
            filled = np.where(finite, part, part[finite].min())
            z = standardise(filled[None, :])[0]
            total += weight * z
            scored.mark(scored.standout, _label(name), rows[z >= STANDOUT])
        span = total.max() - total.min()
        relevance = (total - total.min()) / span if span > 0 else np.full(rows.size, 0.5)
        relevance += context_scores(frame, rows, request, self.config.context, state.level())
        scored.rows, scored.scores = rows, relevance
        return scored

    def _weights(
        self, warm: bool, trained: TrainedModel | None, learned: dict[str, float]
    ) -> dict[str, float]:
        """Blend weights: the trained model's (`learned`, for this user) for warm users, the
        cold blend else."""
        if not warm:
            return dict(self.config.cold_weights)
        weights = {
            "content": self.config.content_weight,
            "neighbours": self.config.neighbour_weight,
        }
        if trained is None:
            return {**weights, "popularity": 0.4, "trending": 0.3, "new": 0.05}
        return {**weights, **learned, "new": 0.05}

    def _exact(self, frame: ItemFrame) -> bool:
        """Whether nearest items are found by one product over the frame's vectors."""
        return self.index is None or self.exact_below is None or len(frame) <= self.exact_below

    def _nearest(self, tenant: str, frame: ItemFrame) -> Nearest:
        index = self.index
        if index is None or self._exact(frame):
            return exact_nearest(frame)

        def nearest(queries: np.ndarray, n: int) -> list[np.ndarray]:
            found = index.search_many(tenant, ITEM_SPACE, queries, n)
            position = frame.position
            return [
                np.array([position[i] for i, _ in hits if i in position], dtype=np.int64)
                for hits in found
            ]

        return nearest

    def _sources(
        self,
        tenant: str,
        frame: ItemFrame,
        state: UserState,
        now: float,
        trained: TrainedModel | None,
    ) -> tuple[dict[str, Source], dict[str, float]]:
        """Every source with something to say for this user, and the trained model's blend
        weights for this user."""
        found: dict[str, Source] = {}
        nearest = self._nearest(tenant, frame)
        user_vector = self.user_vector(tenant, frame, state)
        if user_vector is not None:
            found["content"] = ContentSource(frame, nearest, user_vector, self._exact(frame))
        anchors = [r for r in state.positives[:NEIGHBOUR_ANCHORS] if frame.has_vector[r]]
        if anchors:
            lists = self._anchor_lists.setdefault(tenant, AnchorNeighbours())
            found["neighbours"] = NeighbourSource(frame, nearest, np.array(anchors), lists)
        if trained is None or state.interactions < self.config.cold_start_below:
            stats = self.popularity.get(tenant, frame)
            for name in ("popularity", "trending"):
                found[name] = OrderSource(stats.order(name), partial(stats.at, name))
        days = self.config.new_item_days

        def freshness(rows: np.ndarray) -> np.ndarray:
            fresh = np.clip(1 - (now - frame.created[rows]) / 86400 / days, 0, 1)
            return np.where(np.isnan(fresh), 0.0, fresh)

        found["new"] = OrderSource(frame.by_created(), freshness)
        learned: dict[str, float] = {}
        if trained is not None and len(state.rows):
            mapping = self._mapping(tenant, frame, trained)
            scores = _model_scores(trained, mapping, state, now)
            if scores is not None:
                view = _ModelView(scores, mapping)
                learned = {f"cf:{name}": w for name, w in scores.weights().items()}
                for name in scores.weights():
                    found[f"cf:{name}"] = _ModelSource(view, name)
        return found, learned

    def _mapping(self, tenant: str, frame: ItemFrame, trained: TrainedModel) -> _ModelMapping:
        # One per version, so a canary version served beside the current one keeps its own.
        key = (tenant, trained.manifest.version)
        mapping = self._mappings.get(key)
        if mapping is None or mapping.frame is not frame or mapping.trained is not trained:
            mapping = _ModelMapping(frame, trained)
            self._mappings.pop(key, None)
            self._mappings[key] = mapping
            while len(self._mappings) > MAPPINGS:  # versions no longer asked for go first
                self._mappings.pop(next(iter(self._mappings)))
        mapping.extend()
        return mapping

    def user_vector(self, tenant: str, frame: ItemFrame, state: UserState) -> np.ndarray | None:
        """The user in item space: stated interests plus recent history, liked items pulling
        the vector towards them and disliked ones pushing it away (recomputed per request,
        so it reflects feedback the moment it is recorded)."""
        total = np.zeros(frame.vectors.shape[1], dtype=np.float64)
        # The stated part: each interest and the whole-profile embedding share the weight.
        stated = [*state.interests.values(), *([] if state.profile is None else [state.profile])]
        for vector in stated:
            if len(vector) == len(total):
                total += self.config.interest_weight / len(stated) * vector
        if len(state.rows):
            has = frame.has_vector[state.rows]
            steps = np.arange(len(state.rows))[::-1]
            decay = 0.5 ** (steps / self.config.user_vector_half_life)
            weights = np.where(has, state.strength * decay, 0.0).astype(np.float32)
            # In float32, as the vectors are: no float64 copy of the history's vectors.
            total += weights @ frame.vectors[state.rows]
        norm = np.linalg.norm(total)
        # float32 keeps the product with the float32 item matrix from copying it to float64.
        return (total / norm).astype(np.float32) if norm > 0 else None

    def profile_vector(self, tenant: str, user: User) -> np.ndarray | None:
        """The embedding of the user's whole profile, stored as the user's vector (so
        delete-my-data removes it) and kept in memory by text."""
        profile = user.profile
        if not profile.says_more_than_interests():
            return None
        text = profile.embedding_text()
        key = (tenant, user.id, content_hash(text))
        vector = self._profiles.pop(key, None)
        if vector is None:
            refresh_vectors(self.store, self.embedder, tenant, USER_SPACE, [(user.id, text)])
            rows = self.store.load_vectors(
                tenant, USER_SPACE, self.embedder.name, ref_ids=[user.id]
            )
            if not rows:
                return None
            vector = rows[0].vector
        self._profiles[key] = vector  # most recently used last; the oldest leave first
        while len(self._profiles) > PROFILE_CACHE:
            self._profiles.popitem(last=False)
        return vector

    def interest_vectors(self, tenant: str, stated: list[str]) -> dict[str, np.ndarray]:
        """Embeddings of stated interests, stored by text and kept in memory: a text's
        vector never changes for one model, so requests need no store round trip."""
        interests = [i for i in dict.fromkeys(stated) if i.strip()]
        missing = [i for i in interests if (tenant, i) not in self._interests]
        if missing:
            records = [(f"interest:{text.lower()}", text) for text in missing]
            refresh_vectors(self.store, self.embedder, tenant, INTEREST_SPACE, records)
            rows = self.store.load_vectors(
                tenant, INTEREST_SPACE, self.embedder.name, ref_ids=[ref for ref, _ in records]
            )
            by_ref = {row.ref_id: row.vector for row in rows}
            for ref, text in records:
                if ref in by_ref:
                    self._interests[(tenant, text)] = by_ref[ref]
        return {
            i: self._interests[(tenant, i)] for i in interests if (tenant, i) in self._interests
        }

    def _finish(
        self, frame: ItemFrame, states: list[UserState], scored: Scored, request: RecommendRequest
    ) -> list[Recommendation]:
        chosen = _mmr(frame, scored, request.k, request.diversity)
        # Scores of the chosen rows only (a dict of every candidate cost more than the rest).
        scores = scored.scores_of(np.array(chosen, dtype=np.int64)).tolist() if chosen else []
        items: list[Item] = frame.items_at(chosen)
        interests: dict[str, np.ndarray] = {}
        for state in states:
            interests.update(state.interests)
        return [
            Recommendation(
                item_id=frame.ids[row],
                item=item,
                score=round(score, 6),
                reasons=reasons_for(
                    row,
                    frame,
                    states[0],
                    request,
                    scored.labels(scored.standout, row),
                    interests,
                    item,
                ),
                sources=sorted(scored.labels(scored.proposed, row)),
            )
            for row, item, score in zip(chosen, items, scores, strict=True)
        ]


MAPPINGS = 32
"""Model mappings kept (one per tenant and version in use)."""


def _version(trained: TrainedModel | None) -> str | None:
    return trained.manifest.version if trained is not None else None


class _ModelMapping:
    """Frame rows to model item indices and back, for one frame and model version,
    extended as rows are appended to the frame."""

    def __init__(self, frame: ItemFrame, trained: TrainedModel) -> None:
        self.frame, self.trained = frame, trained
        self.to_model = np.zeros(0, dtype=np.int64)
        self.to_frame = np.full(len(trained.model.item_ids), -1, dtype=np.int64)

    def extend(self) -> None:
        start, end = len(self.to_model), len(self.frame)
        if end <= start:
            return
        position, ids = self.trained.position, self.frame.ids
        added = np.array([position.get(ids[r], -1) for r in range(start, end)], dtype=np.int64)
        known = added >= 0
        self.to_frame[added[known]] = np.arange(start, end)[known]
        self.to_model = np.concatenate([self.to_model, added])


def _model_scores(
    trained: TrainedModel, mapping: _ModelMapping, state: UserState, now: float
) -> SourceScores | None:
    """The trained model's scores for this user (None when it knows none of their items)."""
    position = mapping.to_model[state.rows]
    keep = position >= 0
    if not keep.any():
        return None
    history = Histories.single(
        len(trained.model.item_ids),
        position[keep],
        state.strength[keep],
        state.rating[keep],
        state.time[keep],
        ref_time=now,
    )
    return source_scores(trained.model, history)


class _ModelView:
    """A model's scores seen through frame rows; scores at rows are computed once for all
    of the model's sources."""

    def __init__(self, scores: SourceScores, mapping: _ModelMapping) -> None:
        self.scores, self.mapping = scores, mapping
        self._last: tuple[np.ndarray, dict[str, np.ndarray]] | None = None

    def top(self, source: str, n: int) -> np.ndarray:
        rows = self.mapping.to_frame[self.scores.top(source, n)]
        return rows[rows >= 0]

    def at(self, source: str, rows: np.ndarray) -> np.ndarray:
        if self._last is None or self._last[0] is not rows:
            self._last = (rows, self.scores.at(self.mapping.to_model[rows]))
        return self._last[1].get(source, np.full(len(rows), np.nan))


class _ModelSource:
    def __init__(self, view: _ModelView, name: str) -> None:
        self.view, self.name = view, name

    def top(self, n: int) -> np.ndarray:
        return self.view.top(self.name, n)

    def at(self, rows: np.ndarray) -> np.ndarray:
        return self.view.at(self.name, rows)


def _mmr(frame: ItemFrame, scored: Scored, k: int, diversity: float) -> list[int]:
    """Maximal marginal relevance: each pick trades score against similarity (shared
    categories, and text similarity) to what is already picked. Returns frame rows."""
    scores = scored.scores
    size = min(len(scores), max(k * 5, 50))
    pool = np.argpartition(-scores, size - 1)[:size] if size < len(scores) else np.arange(size)
    pool = pool[np.argsort(-scores[pool], kind="stable")]
    rows = scored.rows[pool]
    if diversity <= 0 or pool.size <= 1:
        return [int(r) for r in rows[:k]]
    similarity = _pool_similarity(frame, rows)
    relevance = (1 - diversity) * scores[pool]
    penalty = np.zeros(pool.size)
    available = np.ones(pool.size, dtype=bool)
    chosen: list[int] = []
    for _ in range(min(k, pool.size)):
        value = np.where(available, relevance - diversity * penalty, -np.inf)
        pick = int(np.argmax(value))
        chosen.append(int(rows[pick]))
        available[pick] = False
        penalty = np.maximum(penalty, similarity[pick])
    return chosen


def _pool_similarity(frame: ItemFrame, pool: np.ndarray) -> np.ndarray:
    """Pairwise similarity of the pool: half category overlap (Jaccard), half cosine."""
    labels = sorted({c for row in pool for c in frame.categories[row]})
    index = {label: i for i, label in enumerate(labels)}
    member = np.zeros((pool.size, max(len(labels), 1)))
    for i, row in enumerate(pool):
        for category in frame.categories[row]:
            member[i, index[category]] = 1.0
    shared = member @ member.T
    sizes = member.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - shared
    jaccard = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
    vectors = frame.vectors[pool] * frame.has_vector[pool, None]
    cosine = np.clip(vectors @ vectors.T, 0.0, None)
    return 0.5 * jaccard + 0.5 * cosine


__all__ = ["GroupRecommendations", "Recommendation", "Recommendations", "Recommender"]
