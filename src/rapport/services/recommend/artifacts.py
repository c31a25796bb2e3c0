"""Trained recommenders on disk: `<data>/models/<tenant>/<version>/`, newest named in CURRENT."""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from rapport.services.recommend.blend import combine, standardise
from rapport.services.recommend.models import MODELS, CollaborativeModel


@dataclass
class TrainedModel:
    """Collaborative sources over one item catalogue, and how to blend them."""

    item_ids: list[str]
    models: dict[str, CollaborativeModel]
    weights: dict[str, float]
    """Blend weight per source: model names plus `popularity` and `trending`."""
    popularity: np.ndarray
    trending: np.ndarray
    recency_half_life_days: float | None = None
    """Half-life applied to history weights before scoring (None: no decay)."""
    manifest: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.position = {item_id: i for i, item_id in enumerate(self.item_ids)}

    def sources(
        self,
        history: sp.csr_matrix,
        users: np.ndarray | None = None,
        valid: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """Standardised scores of every source with a non-zero weight."""
        found: dict[str, np.ndarray] = {}
        rows = history.shape[0]
        for name, weight in self.weights.items():
            if weight == 0:
                continue
            if name in self.models:
                raw = self.models[name].score(history, users)
            elif name == "popularity":
                raw = np.tile(self.popularity, (rows, 1))
            elif name == "trending":
                raw = np.tile(self.trending, (rows, 1))
            else:
                continue
            found[name] = standardise(raw, valid)
        return found

    def score(self, history: sp.csr_matrix, users: np.ndarray | None = None) -> np.ndarray:
        """Blended scores over `item_ids` for each history row."""
        return combine(self.sources(history, users), self.weights)


def _tenant_dir(data: Path, tenant: str) -> Path:
    return data / "models" / tenant


def save_model(data: Path, tenant: str, model: TrainedModel) -> str:
    """Write a new version and make it current; returns the version name."""
    root = _tenant_dir(data, tenant)
    version = model.manifest["version"]
    folder = root / version
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, component in model.models.items():
        component.save(folder / name)
    np.savez(
        folder / "catalogue.npz",
        item_ids=np.array(model.item_ids, dtype=object),
        popularity=model.popularity,
        trending=model.trending,
    )
    manifest = {
        **model.manifest,
        "weights": model.weights,
        "models": {name: m.name for name, m in model.models.items()},
        "recency_half_life_days": model.recency_half_life_days,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    (root / "CURRENT").write_text(version)
    return version


def load_model(data: Path, tenant: str, version: str | None = None) -> TrainedModel | None:
    root = _tenant_dir(data, tenant)
    if version is None:
        pointer = root / "CURRENT"
        if not pointer.is_file():
            return None
        version = pointer.read_text().strip()
    folder = root / version
    manifest = json.loads((folder / "manifest.json").read_text())
    models = {name: MODELS[kind].load(folder / name) for name, kind in manifest["models"].items()}
    with np.load(folder / "catalogue.npz", allow_pickle=True) as catalogue:
        item_ids = [str(i) for i in catalogue["item_ids"]]
        popularity, trending = catalogue["popularity"], catalogue["trending"]
    return TrainedModel(
        item_ids=item_ids,
        models=models,
        weights=manifest["weights"],
        popularity=popularity,
        trending=trending,
        recency_half_life_days=manifest.get("recency_half_life_days"),
        manifest=manifest,
    )


def current_version(data: Path, tenant: str) -> str | None:
    pointer = _tenant_dir(data, tenant) / "CURRENT"
    return pointer.read_text().strip() if pointer.is_file() else None


class ModelRegistry:
    """The current trained model per tenant, reloaded when a new version is written."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self._loaded: dict[str, tuple[str | None, TrainedModel | None]] = {}
        self._lock = threading.Lock()

    def get(self, tenant: str) -> TrainedModel | None:
        version = current_version(self.data, tenant)
        cached = self._loaded.get(tenant)
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._lock:
            model = load_model(self.data, tenant, version) if version else None
            self._loaded[tenant] = (version, model)
            return model
