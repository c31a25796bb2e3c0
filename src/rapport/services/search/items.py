"""Item search: natural-language filters, then hybrid retrieval (BM25 + dense + feedback)
over the items that pass them, optionally personalised and put in context."""

from __future__ import annotations

import threading
from datetime import datetime

import numpy as np
from pydantic import Field

from rapport.core.models import Item, Schema
from rapport.core.requests import RecommendRequest, SearchRequest
from rapport.core.vectors.embedder import Embedder
from rapport.services.recommend.context import context_scores, distances_km, eligible
from rapport.services.recommend.explain import reasons_for
from rapport.services.recommend.frame import FrameCache, ItemFrame
from rapport.services.recommend.recommender import Recommender
from rapport.services.search.query import ParsedQuery, parse_query
from rapport.services.search.retriever import HybridRetriever, RetrieverConfig

PRF_MIN_ITEMS = 1000  # below this, feedback documents are a large share of the catalogue
BM25_SHARE = 0.2  # weight of the (max-normalised) keyword score next to cosine similarity
LABEL_BOOST = 0.1  # per label named in the query that the item carries
PERSONAL_WEIGHT = 0.15  # weight of the user's taste (cosine with their vector)


class SearchHit(Schema):
    item_id: str
    """The item found."""
    score: float
    """Match, labels, taste and context together; comparable within one result."""
    reasons: list[str] = Field(default_factory=list)
    """Why it matches, most specific first."""
    item: Item
    """The item itself, as stored."""


class SearchResult(Schema):
    query: ParsedQuery
    """What was understood: filters read from the query, and the text matched."""
    hits: list[SearchHit]
    """Best first."""
    notes: list[str] = Field(default_factory=list)
    """What could not be applied (e.g. "near me" without a location)."""


class ItemSearch:
    def __init__(
        self,
        embedder: Embedder,
        frames: FrameCache,
        recommender: Recommender,
        retriever: RetrieverConfig | None = None,
    ) -> None:
        self.embedder = embedder
        self.frames = frames
        self.recommender = recommender
        self.retriever_config = retriever or RetrieverConfig()
        self._retrievers: dict[str, tuple[ItemFrame, HybridRetriever]] = {}
        self._lock = threading.Lock()

    def _retriever(self, tenant: str, frame: ItemFrame) -> HybridRetriever:
        cached = self._retrievers.get(tenant)
        if cached and cached[0] is frame:
            return cached[1]
        with self._lock:
            retriever = HybridRetriever(self.retriever_config)
            rows = np.flatnonzero(frame.has_vector)
            retriever.index(
                [frame.ids[r] for r in rows],
                [frame.items[r].embedding_text() for r in rows],
                frame.vectors[rows],
            )
            self._retrievers[tenant] = (frame, retriever)
            return retriever

    def _match(
        self, retriever: HybridRetriever, text: str, k: int, allowed: set[str]
    ) -> list[tuple[str, float]]:
        """Hybrid scores: dense similarity (with pseudo-relevance feedback on catalogues
        large enough for feedback to be signal) plus a share of BM25 for exact words."""
        vector = self.embedder.embed([text])[0]
        if len(retriever) >= PRF_MIN_ITEMS:
            dense = retriever.search(vector, text, k, allowed)
        else:
            dense = retriever.dense(vector, k, allowed)
        lexical = dict(retriever.bm25(text, k, allowed))
        top = max(lexical.values(), default=0.0)
        scores = {i: s for i, s in dense}
        for item_id, value in lexical.items():
            scores[item_id] = scores.get(item_id, 0.0) + BM25_SHARE * value / max(top, 1e-9)
        return sorted(scores.items(), key=lambda pair: -pair[1])[:k]

    def search(self, tenant: str, request: SearchRequest, now: datetime) -> SearchResult:
        frame = self.frames.get(tenant)
        state = None
        timezone, place = "UTC", request.location
        if request.user_id is not None:
            state = self.recommender.user_state(tenant, request.user_id, frame)
            timezone = state.user.timezone
            place = place or state.user.location
        labels = {key.split(":", 1)[1] for key in frame.label_index}
        parsed = parse_query(
            request.q,
            now=request.at or now,
            kinds=set(frame.kind.tolist()),
            labels=labels,
            timezone=timezone,
        )
        notes = []
        if parsed.near_me and place is None:
            notes.append("'near me' ignored: no location given")
        # Explicit filters win over what the query says.
        values = request.only().model_dump()
        values.update(
            kind=request.kind or parsed.kind,
            min_price=parsed.min_price if request.min_price is None else request.min_price,
            max_price=parsed.max_price if request.max_price is None else request.max_price,
            active_now=request.active_now or parsed.active_now,
            at=request.at or now,
            lat=place.lat if place else None,
            lon=place.lon if place else None,
            radius_km=request.radius_km or (parsed.radius_km if parsed.near_me and place else None),
        )
        context = RecommendRequest(**values, k=request.k)
        mask = eligible(frame, context) & _overlaps(frame, parsed.starts, parsed.ends)
        allowed = {frame.ids[r] for r in np.flatnonzero(mask)}
        text = parsed.text or request.q
        found = self._match(self._retriever(tenant, frame), text, max(50, request.k * 5), allowed)
        if not found:
            return SearchResult(query=parsed, hits=[], notes=notes)
        rows = np.array([frame.position[i] for i, _ in found])
        score = np.array([s for _, s in found])
        for n, row in enumerate(rows):
            named = {v.lower() for v in frame.categories[row] + frame.tags[row]}
            score[n] += LABEL_BOOST * sum(label.lower() in named for label in parsed.labels)
        if state is not None:
            vector = self.recommender.user_vector(tenant, frame, state)
            if vector is not None:
                score += PERSONAL_WEIGHT * (frame.vectors[rows] @ vector)
        score += context_scores(
            frame, rows, context, self.recommender.config.context, state.level() if state else None
        )
        order = np.argsort(-score, kind="stable")[: request.k]
        hits = []
        for n in order:
            row = int(rows[n])
            reasons = [
                f"matches '{label}'"
                for label in parsed.labels
                if label.lower() in {v.lower() for v in frame.categories[row] + frame.tags[row]}
            ]
            if state is not None:
                reasons += reasons_for(row, frame, state, context, set(), state.interests)
            elif place is not None and not np.isnan(frame.lat[row]):
                reasons.append(f"{float(distances_km(frame, place)[row]):.1f} km away")
            hits.append(
                SearchHit(
                    item_id=frame.ids[row],
                    score=round(float(score[n]), 6),
                    reasons=reasons[:4],
                    item=frame.items[row],
                )
            )
        return SearchResult(query=parsed, hits=hits, notes=notes)


def _overlaps(frame: ItemFrame, starts: datetime | None, ends: datetime | None) -> np.ndarray:
    """Items whose time window overlaps [starts, ends]; items without a window always do."""
    if starts is None or ends is None:
        return np.ones(len(frame), dtype=bool)
    low, high = starts.timestamp(), ends.timestamp()
    with np.errstate(invalid="ignore"):
        began_in_time = ~(frame.starts > high)
        still_on = ~(np.where(np.isnan(frame.ends), frame.starts, frame.ends) < low)
    return began_in_time & still_on
