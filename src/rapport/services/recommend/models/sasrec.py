"""SASRec (Kang & McAuley 2018), the self-attentive next-item model, from RePlay (Sber AI Lab).

The network is RePlay's SASRec (`replay.nn.sequential.SasRec.from_params`: item embeddings
tied to the output, learned positions, causal self-attention blocks), trained with RePlay's
softmax cross-entropy (`CESampled` over `negatives` uniformly sampled items, or `CE` over the
whole catalogue when it has fewer items) on batches made by RePlay's SASRec transforms. The
loop around it is plain PyTorch on CPU (Adam with RePlay's defaults), seeded and
single-threaded by default, so a fit is repeatable.

What the model reads and learns:

- **Sequence**: a user's items in the order of their latest interaction with each. Every
  rated item is in it (a low rating still says the user chose to watch the item: the usual
  SASRec setting on MovieLens), as is every unrated item with a positive signal; dislikes and
  dismissals are not (`low_ratings=False` keeps only liked items).
- **Targets**: the liked next items (rated 4 or more, or a strong unrated signal, the same
  positives the evaluation counts), the others serving as context (`targets="all"` learns to
  predict every next item; on a validation split of MovieLens small it did slightly worse).
- **Windows** of `max_len + 1` items cover each whole sequence from its newest end, every
  step being predicted once; batches group windows of similar length and drop padding.

A history is scored by feeding its newest `max_len` items and taking the next-item logits over
the training catalogue; items that never occurred in a training sequence get -inf, and a
history without items gets the items' training frequency.

RePlay, PyTorch and Lightning are imported only when a model is fitted or restored: install
them with `pip install 'rapport[sequential]'`.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

import numpy as np
import structlog
from pydantic import Field

from rapport.core.components import ComponentConfig, RankingModel
from rapport.core.errors import Unavailable
from rapport.core.histories import Histories
from rapport.core.interactions import Interactions

if TYPE_CHECKING:
    import torch

log = structlog.get_logger(__name__)

INSTALL_HINT = "pip install 'rapport[sequential]' (RePlay's SASRec on CPU PyTorch)"
_ITEM = "item_id"
_STATE = "state."


def missing_library() -> str | None:
    """Why SASRec cannot run here (its library is not installed), or None when it can."""
    missing = [name for name in ("torch", "replay", "lightning") if not _installed(name)]
    if not missing:
        return None
    return f"{', '.join(missing)} not installed: {INSTALL_HINT}"


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


class SASRecConfig(ComponentConfig):
    hidden_size: int = Field(default=64, ge=8)
    """Width of item embeddings and attention blocks (a multiple of `heads`)."""
    blocks: int = Field(default=2, ge=1)
    """Self-attention blocks."""
    heads: int = Field(default=1, ge=1)
    """Attention heads per block."""
    max_len: int = Field(default=200, ge=2)
    """Newest items of a sequence the model reads; longer sequences are cut into windows of
    this length for training."""
    dropout: float = Field(default=0.2, ge=0, lt=1)
    """Dropout on embeddings, attention and feed-forward layers."""
    learning_rate: float = Field(default=3e-3, gt=0)
    """Adam step size."""
    batch_size: int = Field(default=16, ge=1)
    """Training windows per step (small batches: more steps per epoch on small data)."""
    epochs: int = Field(default=10, ge=1)
    """Passes over the training windows."""
    negatives: int = Field(default=3000, ge=0)
    """Items sampled uniformly per batch (among those seen in training) as the negatives of
    a sampled softmax; 0, or at least as many as there are items, trains with the full
    softmax over the catalogue."""
    low_ratings: bool = True
    """Whether items rated below 4 stay in the sequences (they were chosen, if not liked)."""
    targets: Literal["liked", "all"] = "liked"
    """Which next items the model learns to predict: every item of the sequence, or only
    the liked ones (rated 4 or more, or a strong unrated signal) with the others as context."""
    threads: int = Field(default=1, ge=1)
    """PyTorch threads while fitting and scoring. One is the fast choice on a shared small
    machine: a second thread busy-waits for a core and made a small fit 15x slower."""
    seed: int = 0
    """Seeds initial weights, dropout, negatives and the order of training windows."""

    # Training length and regularisation. The other defaults came out ahead on a validation
    # split of MovieLens small (max_len 200 over 50, hidden size 64 over 128, learning rate
    # 3e-3 with batches of 16 over 1e-3 and 128, 3000 negatives over 1024): see
    # docs/recommendations.md.
    search_space: ClassVar[dict[str, list[Any]]] = {
        "epochs": [10, 20],
        "dropout": [0.2, 0.5],
    }


class SASRec(RankingModel[SASRecConfig]):
    """Next-item logits of a self-attentive sequence model over the training catalogue."""

    name = "sasrec"
    Config = SASRecConfig

    def fit(self, data: Interactions) -> Self:
        torch = _torch()
        config = self.config
        n_items = len(data.item_ids)
        histories = Histories.from_interactions(data, np.arange(len(data.user_ids)))
        sequences = _sequences(histories, config.low_ratings)
        liked = _sequences(histories, config.low_ratings, liked=True)
        self.item_ids = list(data.item_ids)
        counts = np.bincount(np.concatenate([*sequences, np.zeros(0, np.int64)]), minlength=n_items)
        self.frequency = counts.astype(np.float32)
        windows, wanted = _windows(sequences, liked, config.max_len + 1, n_items)
        if config.targets == "all":
            wanted[:] = True
        useful = wanted[:, 1:].any(axis=1)  # windows with something to predict
        windows, wanted = windows[useful], wanted[useful]
        with torch.random.fork_rng(devices=[]), _threads(torch, config.threads):
            torch.manual_seed(config.seed)
            self.network = self._build(n_items)
            if len(windows):
                self._train(windows, wanted, n_items)
        return self

    def _build(self, n_items: int) -> torch.nn.Module:
        from replay.data import FeatureHint, FeatureSource, FeatureType
        from replay.data.nn import TensorFeatureInfo, TensorFeatureSource, TensorSchema
        from replay.nn.sequential import SasRec

        config = self.config
        schema = TensorSchema(
            [
                TensorFeatureInfo(
                    _ITEM,
                    is_seq=True,
                    feature_type=FeatureType.CATEGORICAL,
                    feature_hint=FeatureHint.ITEM_ID,
                    feature_sources=[TensorFeatureSource(FeatureSource.INTERACTIONS, _ITEM)],
                    cardinality=n_items,
                    padding_value=n_items,
                    embedding_dim=config.hidden_size,
                )
            ]
        )
        self.schema = schema
        network: torch.nn.Module = SasRec.from_params(
            schema,
            embedding_dim=config.hidden_size,
            num_heads=config.heads,
            num_blocks=config.blocks,
            max_sequence_length=config.max_len,
            dropout=config.dropout,
        )
        if self._sampled():
            from replay.nn.loss import CESampled

            network = SasRec(body=network.body, loss=CESampled(ignore_index=n_items))
        return network

    def _sampled(self) -> bool:
        """Whether training samples negatives (fewer than the items it knows)."""
        return 0 < self.config.negatives < int((self.frequency > 0).sum())

    def _train(self, windows: np.ndarray, wanted: np.ndarray, n_items: int) -> None:
        torch = _torch()
        from replay.nn.lightning.optimizer import OptimizerFactory
        from replay.nn.transform.template import make_default_sasrec_transforms

        config = self.config
        transforms = make_default_sasrec_transforms(self.schema)["train"]
        if self._sampled():
            from replay.nn.transform import UniformNegativeSamplingTransform

            generator = torch.Generator().manual_seed(config.seed)
            known = torch.from_numpy((self.frequency > 0).astype(np.float32))
            transforms = [
                UniformNegativeSamplingTransform(
                    n_items, config.negatives, sample_distribution=known, generator=generator
                ),
                *transforms,
            ]
        optimizer = OptimizerFactory(learning_rate=config.learning_rate).create(
            self.network.parameters()
        )
        rng = np.random.default_rng(config.seed)
        for epoch in range(1, config.epochs + 1):
            self.network.train()
            total = 0.0
            for rows, start in _buckets(windows, config.batch_size, n_items, rng):
                ids = torch.from_numpy(windows[rows, start:])
                batch = {_ITEM: ids, f"{_ITEM}_mask": ids != n_items}
                for transform in transforms:
                    batch = transform(batch)
                # Only wanted steps are targets (padding never is).
                mask = torch.from_numpy(wanted[rows, start + 1 :, None])
                batch["target_padding_mask"] = batch["target_padding_mask"] & mask
                optimizer.zero_grad()
                loss = self.network(**batch)["loss"]
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(rows)
            log.debug("sasrec epoch", epoch=epoch, loss=round(total / len(windows), 4))

    def _logits(self, sequences: list[np.ndarray]) -> np.ndarray:
        """Next-item logits (rows x catalogue) after each non-empty sequence."""
        torch = _torch()
        n_items = len(self.item_ids)
        length = min(self.config.max_len, max(len(s) for s in sequences))
        ids = np.full((len(sequences), length), n_items, dtype=np.int64)
        for row, sequence in enumerate(sequences):
            tail = sequence[-length:]
            ids[row, length - len(tail) :] = tail
        self.network.eval()
        with torch.inference_mode(), _threads(torch, self.config.threads):
            tensor = torch.from_numpy(ids)
            output = self.network(feature_tensors={_ITEM: tensor}, padding_mask=tensor != n_items)
        return output["logits"].numpy().astype(np.float32)

    def score(self, histories: Histories) -> np.ndarray:
        sequences = _sequences(histories, self.config.low_ratings)
        scores = np.empty((len(histories), len(self.item_ids)), dtype=np.float32)
        rows = np.array([i for i, s in enumerate(sequences) if len(s)], dtype=np.int64)
        for start in range(0, len(rows), 512):
            part = rows[start : start + 512]
            scores[part] = self._logits([sequences[r] for r in part])
        empty = np.array([not len(s) for s in sequences], dtype=bool)
        scores[empty] = np.log1p(self.frequency)
        scores[:, self.frequency == 0] = -np.inf
        return scores

    def arrays(self) -> dict[str, np.ndarray]:
        state = {
            _STATE + k: v.detach().numpy().copy() for k, v in self.network.state_dict().items()
        }
        return {"frequency": self.frequency, **state}

    def restore(self, arrays: Mapping[str, np.ndarray]) -> None:
        torch = _torch()
        self.frequency = np.asarray(arrays["frequency"], dtype=np.float32)
        self.network = self._build(len(self.frequency))
        state = {
            k[len(_STATE) :]: torch.from_numpy(np.array(v))
            for k, v in arrays.items()
            if k.startswith(_STATE)
        }
        self.network.load_state_dict(state)


def _torch() -> Any:
    """PyTorch, once RePlay is known to be there (a clear error otherwise)."""
    reason = missing_library()
    if reason is not None:
        raise Unavailable(f"the sasrec model needs its library: {reason}")
    import torch

    with warnings.catch_warnings():
        # RePlay 0.22 warns on import about its own deprecated classes, which are not used.
        warnings.simplefilter("ignore", DeprecationWarning)
        import replay.nn.sequential  # noqa: F401

    return torch


@contextmanager
def _threads(torch: Any, count: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _sequences(histories: Histories, low_ratings: bool, liked: bool = False) -> list[np.ndarray]:
    """Per history, the item indexes that make its sequence, oldest first; with `liked`,
    instead whether each of them is liked (rated 4 or more, or a strong unrated signal)."""
    rated = ~np.isnan(histories.rating)
    good = np.where(rated, histories.rating >= 4.0, histories.strength >= 0.5)
    keep = np.where(rated, low_ratings | good, histories.strength > 0)
    values = good if liked else histories.items
    return [
        values[start:end][keep[start:end]]
        for start, end in zip(histories.starts, histories.ends, strict=True)
    ]


def _windows(
    sequences: list[np.ndarray], liked: list[np.ndarray], width: int, padding: int
) -> tuple[np.ndarray, np.ndarray]:
    """Training windows of `width` items, left-padded, from each sequence's newest end
    backwards and overlapping by one item, so that every step of a sequence is predicted
    once; and whether each of their items is liked."""
    rows, flags = [], []
    for sequence, good in zip(sequences, liked, strict=True):
        end = len(sequence)
        while end >= 2:
            row = np.full(width, padding, dtype=np.int64)
            flag = np.zeros(width, dtype=bool)
            begin = max(0, end - width)
            row[width - (end - begin) :] = sequence[begin:end]
            flag[width - (end - begin) :] = good[begin:end]
            rows.append(row)
            flags.append(flag)
            end -= width - 1
    if not rows:
        return np.zeros((0, width), dtype=np.int64), np.zeros((0, width), dtype=bool)
    return np.stack(rows), np.stack(flags)


def _buckets(
    windows: np.ndarray, size: int, padding: int, rng: np.random.Generator
) -> Iterator[tuple[np.ndarray, int]]:
    """Training batches in random order: row indexes of windows of similar length, and the
    first column holding an item in any of them (the loss is computed at every position of
    a batch, so padding would cost as much as data)."""
    lengths = (windows != padding).sum(axis=1)
    order = rng.permutation(len(windows))
    order = order[np.argsort(-lengths[order], kind="stable")]
    batches = [order[start : start + size] for start in range(0, len(order), size)]
    for index in rng.permutation(len(batches)):
        rows = batches[index]
        yield rows, windows.shape[1] - int(lengths[rows].max())
