"""A deterministic synthetic world for scale benchmarks: item vectors drawn around real
MiniLM vectors, a catalogue whose categories follow those vectors, and an event log with
power-law popularity, per-user tastes and sessions.

Vectors are not embedded per item (1M texts would take hours here): each item vector is a
point between a real msmarco passage vector and one of its 20 nearest passages, plus
Gaussian noise, normalised. Categories are k-means topics of the real vectors, so items
of one category are close in vector space, as embedded texts of one category are.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from rapport.core.vectors.embedder import Embedder, normalise
from rapport.evaluation.beir import load_beir

NOISE = 0.5
"""Noise norm relative to a unit vector: at 100k items the median cosine to the nearest
item is 0.80 and to the 10th nearest 0.77 (msmarco-5k itself: 0.84 and 0.69)."""
NEIGHBOURS = 20
BLOCK = 10_000
"""Items are generated in fixed blocks of this many (each seeded by its first item), so an
item is the same whichever range it is asked in."""
TOPICS = 64
KINDS = ("course", "event", "offer", "mentor", "post")
KIND_SHARE = (0.4, 0.25, 0.15, 0.1, 0.1)
EVENT_TYPES = ("view", "click", "like", "save", "purchase", "rate", "dislike")
EVENT_SHARE = (0.55, 0.22, 0.09, 0.05, 0.04, 0.04, 0.01)
LEVELS = ("beginner", "intermediate", "advanced")
DAY = 86400.0


def real_vectors(beir_folder: Path, embedder: Embedder, cache: Path) -> np.ndarray:
    """MiniLM vectors of a BEIR corpus, cached by corpus and model."""
    data = load_beir(beir_folder)
    texts = list(data.corpus.values())
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    slug = embedder.name.replace("/", "_")
    path = cache / f"scale-{digest}-{slug}.npy"
    if path.is_file():
        return np.load(path)
    vectors = normalise(embedder.embed(texts))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def msmarco_source(folder: Path, seed: int = 0) -> tuple[VectorSource, list[str]]:
    """Vectors around the configured embedder's vectors of a BEIR corpus (cached in the
    data directory), and the passages' first words as titles."""
    from rapport.core.config import Settings
    from rapport.core.vectors.registry import make_embedder

    settings = Settings.load()
    base = real_vectors(folder, make_embedder(settings), settings.data / "cache" / "vectors")
    return VectorSource(base, seed), passage_titles(folder)


def _kmeans(points: np.ndarray, k: int, rng: np.random.Generator, rounds: int = 15) -> np.ndarray:
    """Spherical k-means labels (cosine), seeded from `rng`."""
    centres = points[rng.choice(len(points), k, replace=False)]
    labels = np.zeros(len(points), dtype=np.int64)
    for _ in range(rounds):
        labels = np.argmax(points @ centres.T, axis=1)
        for c in range(k):
            members = points[labels == c]
            if len(members):
                centres[c] = normalise(members.sum(axis=0, keepdims=True))[0]
    return labels


class VectorSource:
    """Item vectors around real ones, reproducible chunk by chunk."""

    def __init__(self, base: np.ndarray, seed: int = 0, noise: float = NOISE) -> None:
        self.base = np.ascontiguousarray(base, dtype=np.float32)
        self.seed = seed
        self.noise = noise
        rng = np.random.default_rng(seed)
        similarity = self.base @ self.base.T
        np.fill_diagonal(similarity, -np.inf)
        self.neighbours = np.argsort(-similarity, axis=1)[:, :NEIGHBOURS]
        self.topic_of_base = _kmeans(self.base, TOPICS, rng)

    def anchors(self, start: int, count: int) -> np.ndarray:
        """The base passage each item of [start, start + count) is drawn around."""
        return np.concatenate(
            [
                np.random.default_rng([self.seed, 1, block]).integers(0, len(self.base), BLOCK)[
                    low:high
                ]
                for block, low, high in _blocks(start, count)
            ]
            or [np.zeros(0, dtype=np.int64)]
        )

    def vectors(self, start: int, count: int) -> np.ndarray:
        """Unit vectors of items [start, start + count): each item's vector is the same
        whatever range it is asked in (generated in fixed blocks)."""
        parts = []
        dim = self.base.shape[1]
        for block, low, high in _blocks(start, count):
            rng = np.random.default_rng([self.seed, 2, block])
            a = self.anchors(block, BLOCK)
            b = self.neighbours[a, rng.integers(0, NEIGHBOURS, BLOCK)]
            t = rng.random((BLOCK, 1), dtype=np.float32)
            noise = rng.standard_normal((BLOCK, dim), dtype=np.float32)
            mixed = (1 - t) * self.base[a] + t * self.base[b] + noise * (self.noise / np.sqrt(dim))
            parts.append(mixed[low:high])
        return normalise(np.concatenate(parts)) if parts else np.zeros((0, dim), np.float32)

    def topics(self, start: int, count: int) -> np.ndarray:
        return self.topic_of_base[self.anchors(start, count)]


def _blocks(start: int, count: int) -> Iterator[tuple[int, int, int]]:
    """(block start, low, high): the blocks covering [start, start + count) and the part of
    each that lies inside it."""
    first = start - start % BLOCK
    for block in range(first, start + count, BLOCK):
        yield block, max(start, block) - block, min(start + count, block + BLOCK) - block


def chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(size, total - start)


@dataclass
class World:
    """The synthetic catalogue and event log, generated on demand in chunks."""

    vectors: VectorSource
    items: int
    events: int
    users: int
    seed: int = 0
    now: datetime = datetime(2026, 11, 1, tzinfo=UTC)
    titles: list[str] | None = None
    """Short titles of the base passages (their first words)."""

    def __post_init__(self) -> None:
        rng = np.random.default_rng([self.seed, 3])
        self.topic = self.vectors.topics(0, self.items)
        # Power-law popularity: weight (1 + rank)^-0.9 over a random ranking of the items.
        rank = rng.permutation(self.items)
        weight = (1.0 + rank) ** -0.9
        self.by_topic = np.argsort(self.topic, kind="stable")
        self.topic_start = np.searchsorted(self.topic[self.by_topic], np.arange(TOPICS + 1))
        self.cumulative = np.concatenate([[0.0], np.cumsum(weight[self.by_topic])])
        topic_weight = np.array(
            [weight[self.topic == t].sum() for t in range(TOPICS)], dtype=np.float64
        )
        self.topic_share = topic_weight / topic_weight.sum()

    @staticmethod
    def item_id(n: int) -> str:
        return f"s{n:07d}"

    @staticmethod
    def user_id(n: int) -> str:
        return f"u{n:07d}"

    @staticmethod
    def index_of(item_id: str) -> int:
        return int(item_id[1:])

    def catalogue(self, start: int, count: int) -> list[dict[str, Any]]:
        """Items [start, start + count) as records for `engine.items.add`."""
        rng = np.random.default_rng([self.seed, 4, start])
        anchors = self.vectors.anchors(start, count)
        kinds = rng.choice(len(KINDS), count, p=KIND_SHARE)
        tags = rng.zipf(1.6, (count, 2)) % 500
        age_days = rng.exponential(240.0, count)
        price = np.round(rng.lognormal(3.0, 0.8, count), 2)
        discount = rng.random(count) < 0.2
        lat = 38.72 + rng.normal(0, 0.08, count)
        lon = -9.14 + rng.normal(0, 0.08, count)
        start_hours = rng.normal(200.0, 400.0, count)
        records = []
        for i in range(count):
            n = start + i
            kind = KINDS[kinds[i]]
            topic = int(self.topic[n])
            title = self.titles[anchors[i]] if self.titles else f"Item {n}"
            record: dict[str, Any] = {
                "id": self.item_id(n),
                "kind": kind,
                "title": f"{title} #{n}",
                "categories": [f"topic-{topic}"],
                "tags": sorted({f"tag-{t}" for t in tags[i]}),
                "created_at": (self.now - timedelta(days=float(age_days[i]))).isoformat(),
            }
            if kind in ("course", "event", "offer"):
                record["price"] = float(price[i])
                if discount[i]:
                    record["original_price"] = round(float(price[i]) * 1.25, 2)
            if kind == "course":
                record["attributes"] = {"difficulty": LEVELS[n % 3]}
            if kind in ("event", "offer"):
                record["location"] = {"lat": float(lat[i]), "lon": float(lon[i])}
            if kind == "event":
                begins = self.now + timedelta(hours=float(start_hours[i]))
                record["starts_at"] = begins.isoformat()
                record["ends_at"] = (begins + timedelta(hours=3)).isoformat()
            records.append(record)
        return records

    def _pick(self, topics: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """An item of each topic, by popularity within the topic."""
        low = np.where(
            self.topic_start[topics] > 0, self.cumulative[self.topic_start[topics] - 1], 0
        )
        high = self.cumulative[self.topic_start[topics + 1] - 1]
        target = low + rng.random(len(topics)) * (high - low)
        at = np.searchsorted(self.cumulative, target, side="left")
        at = np.clip(at, self.topic_start[topics], self.topic_start[topics + 1] - 1)
        return self.by_topic[at]

    def event_log(self, batch: int = 50_000) -> Iterator[list[dict[str, Any]]]:
        """The events, in batches of records for `engine.events.add`, user after user.

        Each user has an activity level (log-normal), two or three favourite topics drawn
        by topic popularity, and sessions of about eight events on one topic, minutes
        apart; sessions are spread over the year before `now`.
        """
        rng = np.random.default_rng([self.seed, 5])
        activity = rng.lognormal(0.0, 1.0, self.users)
        per_user = np.maximum(1, np.round(activity / activity.sum() * self.events)).astype(int)
        per_user[-1] += self.events - int(per_user.sum())
        while per_user[-1] < 1:  # rounding overshot: take the excess from the busiest
            busiest = int(np.argmax(per_user[:-1]))
            per_user[busiest] -= 1
            per_user[-1] += 1
        ends = np.cumsum(per_user)
        events_done = 0
        user_start = 0
        while user_start < self.users:
            user_end = int(np.searchsorted(ends, events_done + batch, side="right"))
            user_end = max(user_end, user_start + 1)
            yield self._user_events(user_start, min(user_end, self.users), per_user, events_done)
            events_done = int(ends[min(user_end, self.users) - 1])
            user_start = user_end

    def _user_events(
        self, first: int, last: int, per_user: np.ndarray, offset: int
    ) -> list[dict[str, Any]]:
        rng = np.random.default_rng([self.seed, 6, first])
        counts = per_user[first:last]
        total = int(counts.sum())
        owner = np.repeat(np.arange(first, last), counts)
        step = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        favourites = rng.choice(TOPICS, (last - first, 3), p=self.topic_share)
        session = step // 8
        # One topic per session: a favourite mostly, sometimes anything popular.
        session_key = owner * 100_000 + session
        unique, first_of = np.unique(session_key, return_index=True)
        session_rng = rng.random(len(unique))
        fav = favourites[owner[first_of] - first, rng.integers(0, 3, len(unique))]
        other = rng.choice(TOPICS, len(unique), p=self.topic_share)
        session_topic = np.where(session_rng < 0.85, fav, other)
        topic = session_topic[np.searchsorted(unique, session_key)]
        items = self._pick(topic, rng)
        types = rng.choice(len(EVENT_TYPES), total, p=EVENT_SHARE)
        ratings = rng.choice([2.0, 3.0, 3.5, 4.0, 4.5, 5.0], total)
        session_day = rng.random(len(unique)) * 365.0
        moment = (
            self.now.timestamp()
            - session_day[np.searchsorted(unique, session_key)] * DAY
            + (step % 8) * 120.0
        )
        records = []
        for i in range(total):
            kind = EVENT_TYPES[types[i]]
            record: dict[str, Any] = {
                "id": f"e{offset + i:09d}",
                "user_id": self.user_id(int(owner[i])),
                "item_id": self.item_id(int(items[i])),
                "type": kind,
                "timestamp": float(moment[i]),
            }
            if kind == "rate":
                record["value"] = float(ratings[i])
            records.append(record)
        return records


def passage_titles(beir_folder: Path, words: int = 6) -> list[str]:
    """The first words of each passage, as short item titles."""
    data = load_beir(beir_folder)
    return [" ".join(text.split()[:words]).rstrip(".,;:") for text in data.corpus.values()]
