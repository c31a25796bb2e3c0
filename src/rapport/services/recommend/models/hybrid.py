"""rapport's trained recommender: a recency-aware EASE core blended with a low-rank view,
sequential transitions, time-local popularity and an item quality prior, with scoring
settings that depend on how much history a user has.

- **Core.** EASE item-item weights (closed form) on a Gram matrix in which weak
  interactions (low ratings, clicks) count `gram_low_weight` times a strong one. Catalogues
  above `max_ease_items` use implicit ALS as the core instead.
- **Factors.** ALS on the same interactions: a low-rank view that helps on dense
  catalogues (`factor_weight`).
- **User rows.** A user's history weighted by recency (`half_life` in interactions, grown
  to `half_life_share` of the history for heavy users: the test is the user's future) and
  `low_weight` for weak interactions.
- **Sequence.** Row-normalised counts of "j followed i within `sequence_window` steps",
  scored from the user's most recent items.
- **Trending.** Interactions per item in the `trending_window_days` before the moment the
  recommendation is for.
- **Quality.** Smoothed log-odds that an interaction with the item is positive.
- **Activity levels.** Light, casual and heavy users may get their own scoring settings
  (`activity_edges`, `by_activity`), chosen on each level's validation users.

Every source is standardised per user over unseen items and blended with learned weights.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from pydantic import Field, model_validator

from rapport.core.components import ComponentConfig, RankingModel
from rapport.core.histories import Histories
from rapport.core.interactions import Interactions
from rapport.services.recommend.models.als import ALS
from rapport.services.recommend.standardise import standardise

DAY = 86400.0
CORE_CACHE_BYTES = 2 * 1024**3
STRONG = 0.5  # signal strength of a "strong" interaction (rating >= threshold, save, buy)
STRUCTURAL = ("min_support", "sequence_window", "max_ease_items", "positive_rating")
"""Settings that change what `fit` learns; the others only change scoring."""
EASE_ONLY = ("regularization", "factor_weight")
"""Settings of the EASE core and of the factor source beside it."""


class HybridConfig(ComponentConfig):
    """Hyper-parameters, chosen automatically on a time-ordered validation split."""

    regularization: float = Field(default=400.0, gt=0)
    """EASE L2 penalty."""
    gram_low_weight: float = Field(default=1.0, ge=0, le=1)
    """Weight of weak interactions in the EASE Gram matrix."""
    low_weight: float = Field(default=1.0, ge=0, le=1)
    """Weight of weak interactions in the user's history row."""
    half_life: float = math.inf
    """Recency half-life of history rows, in interactions (inf: no decay)."""
    half_life_share: float = Field(default=0.0, ge=0)
    """The half-life grows with the user's history: at least this share of its length, so
    heavy users keep more of their past than light ones."""
    sequence_weight: float = 0.0
    """Weight of the "what follows the last few items" source."""
    sequence_half_life: float = 1.0
    """Recency half-life, in interactions, of the history the sequence source reads."""
    sequence_window: int = Field(default=3, ge=1)
    """How many steps after an item count as following it."""
    trending_weight: float = 0.0
    """Weight of the interactions-in-the-recent-window source."""
    trending_window_days: float = 180.0
    """Length of that window."""
    quality_weight: float = 0.0
    """Weight of the item quality prior (share of strong interactions)."""
    factor_weight: float = 0.0
    """Weight of a low-rank (ALS) view of the same interactions beside the EASE core: it
    helps on dense catalogues; tuning leaves it at 0 where it does not."""
    factors: int = Field(default=64, ge=2)
    """Latent dimensions of the low-rank model (that view, or the core of large
    catalogues)."""
    min_support: int = Field(default=2, ge=1)
    """Items with fewer interactions in training are not modelled."""
    max_ease_items: int = 15_000
    """Above this many modelled items the core is ALS: EASE needs items² memory and items³
    time (15k items: about a minute per inversion on 2 cores, and ~4 GB). It is also ALS
    when the Gram matrices would take more than a quarter of this machine's memory."""
    positive_rating: float = 4.0
    """Ratings at or above this are strong interactions."""
    activity_edges: list[int] = Field(default_factory=list)
    """History lengths where one activity level ends and the next begins (ascending): a
    user with fewer interactions than `activity_edges[0]` is at level 0."""
    by_activity: list[dict[str, float]] = Field(default_factory=list)
    """Per activity level, the scoring settings that differ from the ones above (empty, or
    one entry per level): light users may want recent items weighted up, heavy users their
    whole history."""

    @model_validator(mode="after")
    def _levels_match(self) -> Self:
        if self.by_activity and len(self.by_activity) != len(self.activity_edges) + 1:
            raise ValueError("by_activity needs one entry per activity level")
        unknown = {k for level in self.by_activity for k in level} - set(self.activity_fields)
        if unknown:
            raise ValueError(f"by_activity may only set {', '.join(self.activity_fields)}")
        return self

    # Regularisation and gram_low_weight each cost a matrix inversion; the rest only re-score.
    search_space: ClassVar[dict[str, list[Any]]] = {
        "gram_low_weight": [1.0, 0.0],
        "regularization": [400.0, 100.0, 200.0, 800.0, 1600.0],
        "low_weight": [1.0, 0.5, 0.25, 0.0],
        "half_life": [math.inf, 40.0, 20.0, 10.0],
        "half_life_share": [0.0, 0.1, 0.2, 0.35, 0.5],
        "sequence_weight": [0.0, 0.1, 0.25, 0.5],
        "sequence_half_life": [1.0, 3.0],
        "factor_weight": [0.0, 0.25, 0.5, 1.0],
        "quality_weight": [0.0, 0.25, 0.5],
        "trending_weight": [0.0, 0.1, 0.25],
        "trending_window_days": [180.0, 30.0, 730.0],
    }
    search_starts: ClassVar[list[dict[str, Any]]] = [{"gram_low_weight": 0.0, "low_weight": 0.0}]
    """Strong signals only: the other basin of the search."""
    activity_fields: ClassVar[tuple[str, ...]] = (
        "half_life",
        "half_life_share",
        "low_weight",
        "sequence_weight",
        "sequence_half_life",
        "factor_weight",
        "trending_weight",
        "quality_weight",
    )


@dataclass
class HybridState:
    """What `fit` learns; config-independent parts are kept so tuning is cheap."""

    modelled: np.ndarray
    """Training-catalogue index of each modelled item."""
    core_kind: str  # "ease" or "als"
    gram_strong: np.ndarray | None
    gram_cross: np.ndarray | None
    gram_weak: np.ndarray | None
    transitions: sp.csr_matrix
    quality: np.ndarray
    times: np.ndarray  # all training interaction times, sorted
    timed_items: np.ndarray  # modelled item index of each of those times


class HybridModel(RankingModel[HybridConfig]):
    """Fit once; switching scoring settings with `reconfigure` costs no refit."""

    name = "hybrid"
    Config = HybridConfig

    def __init__(self, config: HybridConfig | Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self._cores: dict[tuple[Any, ...], Any] = {}
        self._views: dict[int, HybridModel] = {}

    # -- fitting ---------------------------------------------------------------------------

    def _support(self, data: Interactions) -> tuple[np.ndarray, np.ndarray]:
        """Usable interactions (dislikes and dismissals dropped) and the items modelled."""
        usable = ~((data.strength <= 0) & np.isnan(data.rating))
        counts = np.bincount(data.items[usable], minlength=len(data.item_ids))
        return usable, counts >= self.config.min_support

    def searched(self, space: Mapping[str, list[Any]], data: Interactions) -> dict[str, list[Any]]:
        """Without an EASE core (large catalogues), its settings change nothing."""
        reason = _core_reason(int(self._support(data)[1].sum()), self.config.max_ease_items)
        if reason.startswith("ease"):
            return dict(space)
        return {name: values for name, values in space.items() if name not in EASE_ONLY}

    def fit(self, data: Interactions) -> Self:
        cfg = self.config
        usable, keep = self._support(data)
        remap = np.full(len(data.item_ids), -1, dtype=np.int64)
        remap[keep] = np.arange(int(keep.sum()))
        rows = usable & (remap[data.items] >= 0)
        users, items = data.users[rows], remap[data.items[rows]]
        strong = self._strong(data.strength[rows], data.rating[rows])
        n_users, n_items = len(data.user_ids), int(keep.sum())
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
        self._core_reason = _core_reason(n_items, cfg.max_ease_items)
        if self._core_reason.startswith("ease"):
            cross = (x_strong.T @ x_weak).toarray().astype(np.float32)
            grams = (
                (x_strong.T @ x_strong).toarray().astype(np.float32),
                cross + cross.T,
                (x_weak.T @ x_weak).toarray().astype(np.float32),
            )
        self._x_all, self._x_strong = x_all, x_strong
        order = np.lexsort((np.arange(len(users)), data.time[rows], users))
        self.state = HybridState(
            modelled=np.flatnonzero(keep),
            core_kind="ease" if grams[0] is not None else "als",
            gram_strong=grams[0],
            gram_cross=grams[1],
            gram_weak=grams[2],
            transitions=_transitions(users[order], items[order], n_items, cfg.sequence_window),
            quality=_quality(x_all, x_strong),
            times=np.sort(data.time[rows]),
            timed_items=items[np.argsort(data.time[rows], kind="stable")],
        )
        self.item_ids = list(data.item_ids)
        self._cores = {}
        self.core()  # the expensive part of fitting: inside `fit`, so fit times are honest
        return self

    def _strong(self, strength: np.ndarray, rating: np.ndarray) -> np.ndarray:
        rated = ~np.isnan(rating)
        return np.where(rated, rating >= self.config.positive_rating, strength >= STRONG)

    def reconfigure(self, config: HybridConfig) -> bool:
        if any(getattr(config, name) != getattr(self.config, name) for name in STRUCTURAL):
            return False
        self.config = config
        self._views = {}
        return True

    @property
    def uses_ease(self) -> bool:
        return self.state.core_kind == "ease"

    def core(self) -> Any:
        """EASE weights for the current regularisation settings, or the ALS model."""
        cfg = self.config
        if not self.uses_ease:
            return self._factor_model()
        key = (cfg.regularization, cfg.gram_low_weight)
        if key not in self._cores:
            weights = self._ease(*key)
            # Keep earlier matrices while tuning revisits them, within a memory budget.
            while self._cores and (len(self._cores) + 1) * weights.nbytes > CORE_CACHE_BYTES:
                self._cores.pop(next(iter(self._cores)))
            self._cores[key] = weights
        return self._cores[key]

    def _factor_model(self) -> ALS:
        """ALS on the core's input, fitted once per weak-signal weight and factor count: the
        core on large catalogues, a source beside EASE on small ones."""
        cfg = self.config
        key = ("factors", cfg.gram_low_weight, cfg.factors)
        if key not in self._cores:
            als = _factor_als(cfg.factors)
            x = self._x_strong + cfg.gram_low_weight * (self._x_all - self._x_strong)
            als.fit_matrix(x.tocsr())
            self._cores[key] = als
        model: ALS = self._cores[key]
        return model

    def _ease(self, regularization: float, low: float) -> np.ndarray:
        s = self.state
        assert s.gram_strong is not None and s.gram_cross is not None and s.gram_weak is not None
        gram = s.gram_strong + low * s.gram_cross + low * low * s.gram_weak
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
            "factors": cfg.factor_weight if self.uses_ease else 0.0,
        }

    def summary(self) -> dict[str, Any]:
        return {
            "core": self.state.core_kind,
            "core_reason": getattr(self, "_core_reason", ""),
            "modelled_items": len(self.state.modelled),
            "weights": self.weights(),
        }

    def _modelled(self, histories: Histories) -> Histories:
        """The histories re-indexed onto the modelled items (others dropped)."""
        mapping = np.full(len(self.item_ids), -1, dtype=np.int64)
        mapping[self.state.modelled] = np.arange(len(self.state.modelled))
        mapped = mapping[histories.items]
        keep = mapped >= 0
        kept = np.concatenate([[0], np.cumsum(keep)])
        lengths = kept[histories.ends] - kept[histories.starts]
        ends = np.cumsum(lengths)
        return Histories(
            len(self.state.modelled),
            mapped[keep],
            histories.strength[keep],
            histories.rating[keep],
            histories.time[keep],
            ends - lengths,
            ends,
            histories.ref_time,
            histories.users,
        )

    def _spread(self, modelled: np.ndarray) -> np.ndarray:
        """Scores over the modelled items onto the whole training catalogue (-inf elsewhere)."""
        full = np.full((modelled.shape[0], len(self.item_ids)), -np.inf, dtype=np.float32)
        full[:, self.state.modelled] = modelled
        return full

    def _levels(self, histories: Histories) -> np.ndarray:
        """Activity level of each row, from its history length."""
        return np.searchsorted(self.config.activity_edges, histories.lengths(), side="right")

    def _view(self, level: int) -> HybridModel:
        """This fit, scoring with the settings of one activity level."""
        if level not in self._views:
            cfg = self.config
            overrides = cfg.by_activity[level] if cfg.by_activity else {}
            view = copy.copy(self)  # shares the fitted state and the core caches
            view.config = type(cfg).model_validate(
                {**cfg.model_dump(), **overrides, "activity_edges": [], "by_activity": []}
            )
            view._views = {}
            self._views[level] = view
        return self._views[level]

    def specialise(self, histories: Histories) -> HybridModel:
        if not self.config.by_activity:
            return self
        levels = np.unique(self._levels(histories))
        if len(levels) != 1:
            raise ValueError("histories of several activity levels: specialise one at a time")
        return self._view(int(levels[0]))

    def sources(self, histories: Histories) -> dict[str, np.ndarray]:
        """Standardised scores of each source with a weight, over the training catalogue
        (histories of one activity level: see `specialise`)."""
        model = self.specialise(histories)
        return {
            name: model._spread(v) for name, v in model._sources(model._modelled(histories)).items()
        }

    def _sources(self, histories: Histories) -> dict[str, np.ndarray]:
        cfg = self.config
        seen = histories.seen()
        rows = histories.matrix(
            cfg.half_life, cfg.low_weight, cfg.positive_rating, cfg.half_life_share
        )
        core = self.core()
        raw = np.asarray(rows @ core) if self.uses_ease else core.score_rows(rows)
        found = {"core": standardise(raw, seen)}
        if cfg.factor_weight and self.uses_ease:
            found["factors"] = standardise(self._factor_model().score_rows(rows), seen)
        if cfg.sequence_weight:
            recent = histories.matrix(cfg.sequence_half_life, 1.0, cfg.positive_rating)
            found["sequence"] = standardise(_rows_times(recent, self.state.transitions), seen)
        if cfg.trending_weight:
            found["trending"] = standardise(self.trending(histories.ref_time), seen)
        if cfg.quality_weight:
            tiled = np.broadcast_to(self.state.quality, raw.shape)
            found["quality"] = standardise(tiled, seen)
        return found

    def score(self, histories: Histories) -> np.ndarray:
        if not self.config.by_activity:
            return self._spread(self._blend(self._modelled(histories)))
        levels = self._levels(histories)
        scores = np.empty((len(histories), len(self.item_ids)), dtype=np.float32)
        for level in np.unique(levels):
            rows = np.flatnonzero(levels == level)
            view = self._view(int(level))
            scores[rows] = view._spread(view._blend(view._modelled(histories.take(rows))))
        return scores

    def _blend(self, histories: Histories) -> np.ndarray:
        """Weighted sum of the sources, over the modelled items."""
        weights = self.weights()
        total: np.ndarray | None = None
        for name, values in self._sources(histories).items():
            values *= weights[name]  # each source's scores are a fresh array
            if total is None:
                total = values
            else:
                total += values
        assert total is not None
        return total

    def trending(self, moments: np.ndarray) -> np.ndarray:
        """log(1 + interactions per modelled item) in the window before each moment."""
        s = self.state
        n = len(s.modelled)
        window = self.config.trending_window_days * DAY
        low = np.searchsorted(s.times, moments - window, side="right")
        high = np.searchsorted(s.times, moments, side="right")
        counts = np.zeros((len(moments), n), dtype=np.float32)
        for row, (a, b) in enumerate(zip(low, high, strict=True)):
            counts[row] = np.bincount(s.timed_items[a:b], minlength=n)
        return np.log1p(counts)

    # -- parameters ------------------------------------------------------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        """What serving needs (the Gram parts are dropped once tuning is over)."""
        s = self.state
        core = self.core()
        t = s.transitions
        found = {
            "modelled": s.modelled,
            "quality": s.quality,
            "times": s.times,
            "timed_items": s.timed_items,
            "t_data": t.data,
            "t_indices": t.indices,
            "t_indptr": t.indptr,
        }
        if self.uses_ease:
            found["ease"] = core
            if self._factor_source_used():
                found["factor_item_factors"] = self._factor_model().item_factors
        else:
            found["als_item_factors"] = core.item_factors
        return found

    def _factor_source_used(self) -> bool:
        """Whether scoring uses the factor source, at any activity level (a level that does
        must find it saved: a restored model has no training data to fit it from)."""
        cfg = self.config
        return bool(cfg.factor_weight) or any(
            level.get("factor_weight") for level in cfg.by_activity
        )

    def restore(self, arrays: Mapping[str, np.ndarray]) -> None:
        n = len(arrays["modelled"])
        self.state = HybridState(
            modelled=arrays["modelled"],
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
        cfg = self.config
        self._cores = {}
        if "ease" in arrays:
            self._cores[(cfg.regularization, cfg.gram_low_weight)] = arrays["ease"]
        factors = arrays.get("factor_item_factors", arrays.get("als_item_factors"))
        if factors is not None:
            als = _factor_als(cfg.factors)
            als.restore({"item_factors": factors})
            self._cores[("factors", cfg.gram_low_weight, cfg.factors)] = als


def _factor_als(factors: int) -> ALS:
    """The ALS settings of the factor source and of the ALS core."""
    return ALS({"factors": factors, "regularization": 10.0, "alpha": 1.0})


def _core_reason(n_items: int, max_ease_items: int) -> str:
    """Which core fits this catalogue on this machine, and why (kept in the manifest)."""
    gram_bytes = 3 * 4 * n_items**2  # three float32 Gram parts
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if n_items > max_ease_items:
        return f"als: {n_items:,} modelled items, above max_ease_items ({max_ease_items:,})"
    if gram_bytes > memory / 4:
        return f"als: EASE would need {gram_bytes / 1e9:.1f} GB, over a quarter of memory"
    return f"ease: {n_items:,} modelled items, Gram matrices {gram_bytes / 1e9:.2f} GB"


def _spd_inverse(gram: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix through Cholesky (float32, in place):
    several times faster than a general inverse."""
    factor, info = scipy.linalg.lapack.spotrf(gram, lower=0, overwrite_a=1)
    if info != 0:
        return np.linalg.inv(gram)
    inverse, _ = scipy.linalg.lapack.spotri(factor, lower=0, overwrite_c=1)
    return np.triu(inverse) + np.triu(inverse, 1).T


def _rows_times(rows: sp.csr_matrix, matrix: sp.csr_matrix) -> np.ndarray:
    """`rows @ matrix` as a dense array, for sparse float32 rows and matrix. One row (a
    request) adds up the matrix rows it names directly: scipy's sparse product and
    densifying cost 0.3 ms for a heavy user's row, more than the EASE product. The products
    are summed in float32 and in scipy's order (the named rows in turn, each row's entries
    in turn), so the result is scipy's, bit for bit."""
    if rows.shape[0] != 1:
        return np.asarray((rows @ matrix).toarray())
    named = rows.indices[rows.indptr[0] : rows.indptr[1]]
    starts = matrix.indptr[named]
    lengths = matrix.indptr[named + 1] - starts
    # Positions of the named rows' entries in `matrix.indices`, one run per named row.
    runs = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    entries = runs + np.arange(int(lengths.sum()))
    weights = np.repeat(rows.data[rows.indptr[0] : rows.indptr[1]], lengths)
    summed = np.zeros((1, matrix.shape[1]), dtype=np.result_type(rows.dtype, matrix.dtype))
    np.add.at(summed[0], matrix.indices[entries], weights * matrix.data[entries])
    return summed


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
