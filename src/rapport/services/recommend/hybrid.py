"""rapport's trained recommender: a recency-aware EASE core blended with sequential
transitions, time-local popularity and an item quality prior.

- **Core.** EASE item-item weights (closed form) on a Gram matrix in which weak
  interactions (low ratings, clicks) count `gram_low_weight` times a strong one. Catalogues
  above `max_ease_items` use implicit ALS as the core instead.
- **User rows.** A user's history weighted by recency (`half_life`, in interactions: the
  test is the user's future) and `low_weight` for weak interactions.
- **Sequence.** Row-normalised counts of "j followed i within `seq_window` steps",
  scored from the user's most recent items.
- **Trending.** Interactions per item in the `pop_window_days` before the moment the
  recommendation is for.
- **Quality.** Smoothed log-odds that an interaction with the item is positive.

Every source is standardised per user over unseen items and blended with learned weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field

from rapport.services.recommend.blend import standardise
from rapport.services.recommend.histories import Histories
from rapport.services.recommend.interactions import Interactions
from rapport.services.recommend.models.als import ALS

DAY = 86400.0
CORE_CACHE_BYTES = 2 * 1024**3
STRONG = 0.5  # signal strength of a "strong" interaction (rating >= threshold, save, buy)


class HybridConfig(BaseModel):
    """Hyper-parameters, chosen by `training.train` on a time-ordered validation split."""

    model_config = ConfigDict(extra="forbid")

    regularization: float = Field(default=400.0, gt=0)
    """EASE L2 penalty."""
    gram_low_weight: float = Field(default=1.0, ge=0, le=1)
    """Weight of weak interactions in the EASE Gram matrix."""
    low_weight: float = Field(default=1.0, ge=0, le=1)
    """Weight of weak interactions in the user's history row."""
    half_life: float = math.inf
    """Recency half-life of history rows, in interactions (inf: no decay)."""
    sequence_weight: float = 0.0
    sequence_half_life: float = 1.0
    sequence_window: int = Field(default=3, ge=1)
    trending_weight: float = 0.0
    trending_window_days: float = 180.0
    quality_weight: float = 0.0
    min_support: int = Field(default=2, ge=1)
    """Items with fewer interactions in training are not modelled."""
    max_ease_items: int = 25_000
    """Above this many modelled items the core is ALS (EASE needs items^2 memory)."""
    positive_rating: float = 4.0


@dataclass
class HybridState:
    """What `fit` learns; config-independent parts are kept so tuning is cheap."""

    item_ids: list[str]
    core_kind: str  # "ease" or "als"
    gram_strong: np.ndarray | None
    gram_cross: np.ndarray | None
    gram_weak: np.ndarray | None
    transitions: sp.csr_matrix
    quality: np.ndarray
    times: np.ndarray  # all training interaction times, sorted
    timed_items: np.ndarray  # item index of each of those times


class HybridModel:
    """Fit once with `fit`; change scoring parameters cheaply with `configure`."""

    def __init__(self, config: HybridConfig | None = None) -> None:
        self.config = config or HybridConfig()
        self._cores: dict[tuple[float, float], Any] = {}

    # -- fitting ---------------------------------------------------------------------------

    def fit(self, data: Interactions) -> HybridModel:
        cfg = self.config
        usable = ~((data.strength <= 0) & np.isnan(data.rating))  # drop dislikes/dismissals
        counts = np.bincount(data.items[usable], minlength=len(data.item_ids))
        keep = counts >= cfg.min_support
        remap = np.full(len(data.item_ids), -1, dtype=np.int64)
        remap[keep] = np.arange(int(keep.sum()))
        item_ids = [i for i, k in zip(data.item_ids, keep, strict=True) if k]
        rows = usable & (remap[data.items] >= 0)
        users, items = data.users[rows], remap[data.items[rows]]
        strong = self._strong(data.strength[rows], data.rating[rows])
        n_users, n_items = len(data.user_ids), len(item_ids)
        x_all = sp.csr_matrix(
            (np.ones(len(items), np.float32), (users, items)), shape=(n_users, n_items)
        )
        x_all.data[:] = 1.0
        x_strong = sp.csr_matrix(
            (strong.astype(np.float32), (users, items)), shape=(n_users, n_items)
        )
        x_strong.data = np.minimum(x_strong.data, 1.0)
        x_weak = x_all - x_strong
        grams: tuple[np.ndarray | None, ...] = (None, None, None)
        if n_items <= cfg.max_ease_items:
            cross = (x_strong.T @ x_weak).toarray().astype(np.float32)
            grams = (
                (x_strong.T @ x_strong).toarray().astype(np.float32),
                cross + cross.T,
                (x_weak.T @ x_weak).toarray().astype(np.float32),
            )
        self._x_all, self._x_strong = x_all, x_strong
        order = np.lexsort((np.arange(len(users)), data.time[rows], users))
        self.state = HybridState(
            item_ids=item_ids,
            core_kind="ease" if grams[0] is not None else "als",
            gram_strong=grams[0],
            gram_cross=grams[1],
            gram_weak=grams[2],
            transitions=_transitions(users[order], items[order], n_items, cfg.sequence_window),
            quality=_quality(x_all, x_strong),
            times=np.sort(data.time[rows]),
            timed_items=items[np.argsort(data.time[rows], kind="stable")],
        )
        self._cores = {}
        return self

    def _strong(self, strength: np.ndarray, rating: np.ndarray) -> np.ndarray:
        rated = ~np.isnan(rating)
        return np.where(rated, rating >= self.config.positive_rating, strength >= STRONG)

    def configure(self, config: HybridConfig) -> HybridModel:
        """Switch scoring parameters; structural ones (`min_support`, `sequence_window`,
        `max_ease_items`) need a new `fit`."""
        self.config = config
        return self

    @property
    def item_ids(self) -> list[str]:
        return self.state.item_ids

    @property
    def uses_ease(self) -> bool:
        return self.state.core_kind == "ease"

    def core(self) -> Any:
        """EASE weights (or the ALS model) for the current regularisation settings."""
        cfg = self.config
        key = (cfg.regularization, cfg.gram_low_weight) if self.uses_ease else (0.0, 0.0)
        if key not in self._cores:
            if self.uses_ease:
                weights = self._ease(*key)
                # Keep earlier matrices while tuning revisits them, within a memory budget.
                while self._cores and (len(self._cores) + 1) * weights.nbytes > CORE_CACHE_BYTES:
                    self._cores.pop(next(iter(self._cores)))
                self._cores[key] = weights
            else:
                als = ALS({"factors": 128, "regularization": 10.0, "alpha": 1.0})
                x = self._x_strong + cfg.gram_low_weight * (self._x_all - self._x_strong)
                als.fit(x.tocsr())
                self._cores[key] = als
        return self._cores[key]

    def _ease(self, regularization: float, low: float) -> np.ndarray:
        s = self.state
        gram = s.gram_strong + low * s.gram_cross + low * low * s.gram_weak  # type: ignore[operator]
        gram[np.diag_indices_from(gram)] += regularization
        precision = _spd_inverse(gram)
        weights = -precision / np.diag(precision)[None, :]
        np.fill_diagonal(weights, 0.0)
        return weights.astype(np.float32)

    # -- scoring ---------------------------------------------------------------------------

    def weights(self) -> dict[str, float]:
        cfg = self.config
        return {
            "core": 1.0,
            "sequence": cfg.sequence_weight,
            "trending": cfg.trending_weight,
            "quality": cfg.quality_weight,
        }

    def sources(self, histories: Histories) -> dict[str, np.ndarray]:
        """Standardised scores (rows x modelled items) of each source with a weight."""
        cfg = self.config
        unseen = histories.seen().toarray() == 0
        rows = histories.matrix(cfg.half_life, cfg.low_weight, cfg.positive_rating)
        core = self.core()
        raw = np.asarray(rows @ core) if self.uses_ease else core.score(rows)
        found = {"core": standardise(raw, unseen)}
        if cfg.sequence_weight:
            recent = histories.matrix(cfg.sequence_half_life, 1.0, cfg.positive_rating)
            found["sequence"] = standardise((recent @ self.state.transitions).toarray(), unseen)
        if cfg.trending_weight:
            found["trending"] = standardise(self.trending(histories.ref_time), unseen)
        if cfg.quality_weight:
            tiled = np.broadcast_to(self.state.quality, raw.shape)
            found["quality"] = standardise(tiled, unseen)
        return found

    def score(self, histories: Histories) -> np.ndarray:
        weights = self.weights()
        total: np.ndarray | None = None
        for name, values in self.sources(histories).items():
            part = weights[name] * values
            total = part if total is None else total + part
        assert total is not None
        return total

    def trending(self, moments: np.ndarray) -> np.ndarray:
        """log(1 + interactions per item) in the window before each moment."""
        s = self.state
        window = self.config.trending_window_days * DAY
        low = np.searchsorted(s.times, moments - window, side="right")
        high = np.searchsorted(s.times, moments, side="right")
        counts = np.zeros((len(moments), len(s.item_ids)), dtype=np.float32)
        for row, (a, b) in enumerate(zip(low, high, strict=True)):
            counts[row] = np.bincount(s.timed_items[a:b], minlength=len(s.item_ids))
        return np.log1p(counts)

    # -- artifacts -------------------------------------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        """What serving needs (the Gram parts are dropped once tuning is over)."""
        s = self.state
        core = self.core()
        t = s.transitions
        found = {
            "item_ids": np.array(s.item_ids, dtype=object),
            "quality": s.quality,
            "times": s.times,
            "timed_items": s.timed_items,
            "t_data": t.data,
            "t_indices": t.indices,
            "t_indptr": t.indptr,
        }
        if self.uses_ease:
            found["ease"] = core
        else:
            found["als_item_factors"] = core.item_factors
        return found

    @classmethod
    def from_arrays(cls, config: HybridConfig, arrays: dict[str, np.ndarray]) -> HybridModel:
        model = cls(config)
        n = len(arrays["item_ids"])
        model.state = HybridState(
            item_ids=[str(i) for i in arrays["item_ids"]],
            core_kind="ease" if "ease" in arrays else "als",
            gram_strong=None,
            gram_cross=None,
            gram_weak=None,
            transitions=sp.csr_matrix(
                (arrays["t_data"], arrays["t_indices"], arrays["t_indptr"]), shape=(n, n)
            ),
            quality=arrays["quality"],
            times=arrays["times"],
            timed_items=arrays["timed_items"],
        )
        key = (config.regularization, config.gram_low_weight)
        if "ease" in arrays:
            model._cores = {key: arrays["ease"]}
        else:
            als = ALS({"factors": arrays["als_item_factors"].shape[1]})
            als.item_factors = arrays["als_item_factors"]
            model._cores = {(0.0, 0.0): als}
        return model


def _spd_inverse(gram: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix through Cholesky (float32, in place):
    several times faster than a general inverse."""
    factor, info = scipy.linalg.lapack.spotrf(gram, lower=0, overwrite_a=1)
    if info != 0:
        return np.linalg.inv(gram)
    inverse, _ = scipy.linalg.lapack.spotri(factor, lower=0, overwrite_c=1)
    return np.triu(inverse) + np.triu(inverse, 1).T


def _transitions(users: np.ndarray, items: np.ndarray, n_items: int, window: int) -> sp.csr_matrix:
    """Row-normalised counts of item j following item i within `window` steps (1/distance)."""
    rows, cols, values = [], [], []
    for step in range(1, window + 1):
        a, b = np.arange(len(items) - step), np.arange(step, len(items))
        same = users[a] == users[b]
        rows.append(items[a][same])
        cols.append(items[b][same])
        values.append(np.full(int(same.sum()), 1.0 / step, dtype=np.float32))
    counts = sp.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_items, n_items),
    )
    totals = np.asarray(counts.sum(axis=1)).ravel()
    return (sp.diags(1.0 / np.maximum(totals, 1e-9)) @ counts).tocsr().astype(np.float32)


def _quality(x_all: sp.csr_matrix, x_strong: sp.csr_matrix, prior: float = 10.0) -> np.ndarray:
    """Log-odds that an interaction with the item is strong, shrunk to the global share."""
    total = np.asarray(x_all.sum(axis=0)).ravel()
    strong = np.asarray(x_strong.sum(axis=0)).ravel()
    share = float(strong.sum() / max(total.sum(), 1.0))
    share = min(max(share, 1e-3), 1 - 1e-3)
    q = (strong + prior * share) / (total + prior)
    q = np.clip(q, 1e-4, 1 - 1e-4)
    return np.log(q / (1 - q)).astype(np.float32)
