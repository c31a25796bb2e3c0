"""The request-time recommender: candidates from several sources, blended, put in context,
diversified and explained."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pydantic import Field

from rapport.core.components import ComponentConfig
from rapport.core.histories import Histories
from rapport.core.models import Item, Schema
from rapport.core.requests import RecommendRequest
from rapport.core.signals import SignalWeights
from rapport.core.store.repository import Store
from rapport.core.vectors.embedder import Embedder
from rapport.core.vectors.refresh import refresh_vectors
from rapport.services.recommend.artifacts import ModelStore, TrainedModel
from rapport.services.recommend.context import ContextWeights, context_scores, eligible
from rapport.services.recommend.explain import reasons_for
from rapport.services.recommend.frame import FrameCache, ItemFrame
from rapport.services.recommend.live_popularity import PopularityCache
from rapport.services.recommend.standardise import standardise
from rapport.services.recommend.user_state import UserState

INTEREST_SPACE = "interest"


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


@dataclass
class Scored:
    scores: np.ndarray
    proposed: dict[str, np.ndarray] = field(default_factory=dict)
    """Per source label, a mask of the frame rows it proposed."""
    standout: dict[str, np.ndarray] = field(default_factory=dict)
    """Per source label, a mask of the rows scoring well above the other candidates."""

    def mark(self, table: dict[str, np.ndarray], label: str, rows: np.ndarray) -> None:
        mask = table.setdefault(label, np.zeros(len(self.scores), dtype=bool))
        mask[rows] = True

    def merge(self, other: Scored) -> None:
        for mine, theirs in ((self.proposed, other.proposed), (self.standout, other.standout)):
            for label, mask in theirs.items():
                mine[label] = mine.get(label, np.zeros_like(mask)) | mask

    def labels(self, table: dict[str, np.ndarray], row: int) -> set[str]:
        return {label for label, mask in table.items() if mask[row]}


def _label(source: str) -> str:
    if source == "cf:trending":
        return "trending"
    return "collaborative" if source.startswith("cf:") else source


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


class GroupRecommendations(Schema):
    """One list for several users at once, best first."""

    user_ids: list[str]
    """The members, each once."""
    items: list[Recommendation]
    """Best first."""


class Recommender:
    """Ranks a tenant's catalogue for one user (or a group) at request time."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        frames: FrameCache,
        models: ModelStore,
        config: RecommenderConfig | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.frames = frames
        self.models = models
        self.config = config or RecommenderConfig()
        self.popularity = PopularityCache(store, self.config.signals)
        self._interests: dict[tuple[str, str], np.ndarray] = {}

    # -- public ----------------------------------------------------------------------------

    def recommend(
        self, tenant: str, user_id: str, request: RecommendRequest | None = None
    ) -> Recommendations:
        request = request or RecommendRequest()
        frame = self.frames.get(tenant)
        state = self.user_state(tenant, user_id, frame)
        scored = self._personal_scores(tenant, frame, state, request)
        return Recommendations(user_id=user_id, items=self._finish(frame, [state], scored, request))

    def recommend_group(
        self, tenant: str, user_ids: list[str], request: RecommendRequest | None = None
    ) -> GroupRecommendations:
        """One list for several people: the mean of their scaled scores, minus a penalty
        for the least happy member (so nobody's worst item tops the list)."""
        request = request or RecommendRequest()
        if not user_ids:
            raise ValueError("a group needs at least one user")
        frame = self.frames.get(tenant)
        states = [self.user_state(tenant, u, frame) for u in dict.fromkeys(user_ids)]
        members = [self._personal_scores(tenant, frame, state, request) for state in states]
        stacked = np.vstack([m.scores for m in members])
        everyone = np.all(np.isfinite(stacked), axis=0)
        group = Scored(np.full(len(frame), -np.inf))
        safe = np.where(np.isfinite(stacked), stacked, 0.0)
        group.scores[everyone] = (safe.mean(axis=0) + 0.5 * safe.min(axis=0))[everyone]
        for member in members:
            group.merge(member)
        return GroupRecommendations(
            user_ids=[state.user.id for state in states],
            items=self._finish(frame, states, group, request),
        )

    # -- pieces ----------------------------------------------------------------------------

    def user_state(self, tenant: str, user_id: str, frame: ItemFrame) -> UserState:
        user = self.store.get_user(tenant, user_id)
        signals = self.store.item_signals(tenant, user_id=user_id, limit=self.config.history_limit)
        state = UserState.build(user, signals, frame, self.config.signals)
        state.interests = self.interest_vectors(tenant, user.profile.interests)
        return state

    def _personal_scores(
        self, tenant: str, frame: ItemFrame, state: UserState, request: RecommendRequest
    ) -> Scored:
        """Blended relevance per frame row (-inf where not allowed), which sources proposed
        each candidate, and in which sources it stands out (for reasons)."""
        allowed = eligible(frame, request)
        if request.exclude_seen:
            allowed &= ~state.seen
        for category in state.averse_categories:
            allowed &= ~frame.with_label("category", category)
        sources, learned = self._sources(tenant, frame, state, request.moment().timestamp())
        warm = state.interactions >= self.config.cold_start_below
        weights = self._weights(tenant, warm, learned)
        scored = Scored(np.full(len(frame), -np.inf))
        candidates = np.zeros(len(frame), dtype=bool)
        for name, values in sources.items():
            if weights.get(name, 0) <= 0:
                continue
            top = _top(
                np.where(allowed & np.isfinite(values), values, -np.inf), self.config.per_source
            )
            candidates[top] = True
            scored.mark(scored.proposed, _label(name), top)
        rows = np.flatnonzero(candidates)
        if rows.size == 0:
            return scored
        total = np.zeros(rows.size)
        for name, values in sources.items():
            weight = weights.get(name, 0.0)
            part = values[rows]
            finite = np.isfinite(part)
            if weight <= 0 or not finite.any():
                continue
            filled = np.where(finite, part, np.nanmin(np.where(finite, part, np.nan)))
            z = standardise(filled[None, :])[0]
            total += weight * z
            scored.mark(scored.standout, _label(name), rows[z >= STANDOUT])
        span = total.max() - total.min()
        relevance = (total - total.min()) / span if span > 0 else np.full(rows.size, 0.5)
        relevance += context_scores(frame, rows, request, self.config.context, state.level())
        scored.scores[rows] = relevance
        return scored

    def _weights(self, tenant: str, warm: bool, learned: dict[str, float]) -> dict[str, float]:
        """Blend weights: the trained model's (`learned`, for this user) for warm users, the
        cold blend else."""
        if not warm:
            return dict(self.config.cold_weights)
        weights = {
            "content": self.config.content_weight,
            "neighbours": self.config.neighbour_weight,
        }
        if self.models.serving(tenant) is None:
            return {**weights, "popularity": 0.4, "trending": 0.3, "new": 0.05}
        return {**weights, **learned, "new": 0.05}

    def _sources(
        self, tenant: str, frame: ItemFrame, state: UserState, now: float
    ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """Raw scores per source over frame rows (NaN where a source has nothing to say),
        and the trained model's blend weights for this user."""
        found: dict[str, np.ndarray] = {}
        user_vector = self.user_vector(tenant, frame, state)
        if user_vector is not None:
            found["content"] = np.where(frame.has_vector, frame.vectors @ user_vector, np.nan)
        anchors = [r for r in state.positives[:10] if frame.has_vector[r]]
        if anchors:
            similarity = frame.vectors @ frame.vectors[anchors].T
            found["neighbours"] = np.where(frame.has_vector, similarity.max(axis=1), np.nan)
        model = self.models.serving(tenant)
        if model is None or state.interactions < self.config.cold_start_below:
            stats = self.popularity.get(tenant, frame)
            found["popularity"] = stats.popularity.astype(np.float64)
            found["trending"] = stats.trending.astype(np.float64)
        age_days = (now - frame.created) / 86400
        fresh = np.clip(1 - age_days / self.config.new_item_days, 0, 1)
        found["new"] = np.where(np.isnan(fresh), 0.0, fresh)
        learned: dict[str, float] = {}
        if model is not None and len(state.rows):
            collaborative, learned = _collaborative(model, frame, state, now)
            found.update(collaborative)
        return found, learned

    def user_vector(self, tenant: str, frame: ItemFrame, state: UserState) -> np.ndarray | None:
        """The user in item space: stated interests plus recent history, liked items pulling
        the vector towards them and disliked ones pushing it away (recomputed per request,
        so it reflects feedback the moment it is recorded)."""
        total = np.zeros(frame.vectors.shape[1], dtype=np.float64)
        interests = state.interests
        for vector in interests.values():
            total += self.config.interest_weight / max(len(interests), 1) * vector
        if len(state.rows):
            has = frame.has_vector[state.rows]
            steps = np.arange(len(state.rows))[::-1]
            decay = 0.5 ** (steps / self.config.user_vector_half_life)
            weights = np.where(has, state.strength * decay, 0.0)
            total += weights @ frame.vectors[state.rows]
        norm = np.linalg.norm(total)
        # float32 keeps the product with the float32 item matrix from copying it to float64.
        return (total / norm).astype(np.float32) if norm > 0 else None

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
        chosen = _mmr(frame, scored.scores, request.k, request.diversity)
        interests: dict[str, np.ndarray] = {}
        for state in states:
            interests.update(state.interests)
        return [
            Recommendation(
                item_id=frame.ids[row],
                item=frame.items[row],
                score=round(float(scored.scores[row]), 6),
                reasons=reasons_for(
                    row, frame, states[0], request, scored.labels(scored.standout, row), interests
                ),
                sources=sorted(scored.labels(scored.proposed, row)),
            )
            for row in chosen
        ]


def _collaborative(
    model: TrainedModel, frame: ItemFrame, state: UserState, now: float
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """The trained model's sources for this user, mapped onto frame rows, with their blend
    weights (the model may weigh them by the user's activity level)."""
    position = [model.position.get(frame.ids[row], -1) for row in state.rows]
    keep = np.array([p >= 0 for p in position], dtype=bool)
    if not keep.any():
        return {}, {}
    history = Histories.single(
        len(model.model.item_ids),
        np.array(position)[keep],
        state.strength[keep],
        state.rating[keep],
        state.time[keep],
        ref_time=now,
    )
    specialised = model.model.specialise(history)
    sources = specialised.sources(history)
    frame_to_model = model.frame_positions(frame.ids)
    inside = frame_to_model >= 0
    found = {}
    for name, values in sources.items():
        mapped = np.full(len(frame), np.nan)
        mapped[inside] = values[0][frame_to_model[inside]]
        mapped[~np.isfinite(mapped)] = np.nan  # items the model does not cover
        found[f"cf:{name}"] = mapped
    return found, {f"cf:{name}": weight for name, weight in specialised.weights().items()}


def _top(values: np.ndarray, n: int) -> np.ndarray:
    finite = np.flatnonzero(np.isfinite(values))
    if finite.size <= n:
        return finite
    part = np.argpartition(-values[finite], n)[:n]
    return finite[part]


def _mmr(frame: ItemFrame, scores: np.ndarray, k: int, diversity: float) -> list[int]:
    """Maximal marginal relevance: each pick trades score against similarity (shared
    categories, and text similarity) to what is already picked."""
    pool = _top(scores, max(k * 5, 50))
    pool = pool[np.argsort(-scores[pool], kind="stable")]
    if diversity <= 0 or pool.size <= 1:
        return pool[:k].tolist()
    similarity = _pool_similarity(frame, pool)
    relevance = (1 - diversity) * scores[pool]
    penalty = np.zeros(pool.size)
    available = np.ones(pool.size, dtype=bool)
    chosen: list[int] = []
    for _ in range(min(k, pool.size)):
        value = np.where(available, relevance - diversity * penalty, -np.inf)
        pick = int(np.argmax(value))
        chosen.append(int(pool[pick]))
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
