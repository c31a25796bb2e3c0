"""Trained recommenders on disk: `<data>/models/<tenant>/<version>/`, newest named in CURRENT.

Artifacts live in the data directory; several API servers share them through that
directory (a shared volume), and each reloads when CURRENT changes.
"""

from __future__ import annotations

import json
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rapport.services.recommend.hybrid import HybridConfig, HybridModel


@dataclass
class TrainedModel:
    """A fitted model with what is known about how it was made."""

    model: HybridModel
    manifest: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.position = {item_id: i for i, item_id in enumerate(self.model.item_ids)}
        self._frame_positions: tuple[list[str], np.ndarray] | None = None

    def frame_positions(self, ids: list[str]) -> np.ndarray:
        """Model position of each id (-1 when not modelled), cached for one catalogue."""
        cached = self._frame_positions
        if cached is None or cached[0] is not ids:
            positions = np.array([self.position.get(i, -1) for i in ids], dtype=np.int64)
            self._frame_positions = cached = (ids, positions)
        return cached[1]

    @property
    def item_ids(self) -> list[str]:
        return self.model.item_ids


def _tenant_dir(data: Path, tenant: str) -> Path:
    return data / "models" / tenant


def save_model(data: Path, tenant: str, trained: TrainedModel) -> str:
    """Write a new version and make it current; returns the version name."""
    root = _tenant_dir(data, tenant)
    version = trained.manifest["version"]
    folder = root / version
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    np.savez(folder / "arrays.npz", **trained.model.arrays())
    manifest = {**trained.manifest, "config": trained.model.config.model_dump(mode="json")}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    # Written last and atomically, so readers never see a half-written version.
    pointer = root / "CURRENT.tmp"
    pointer.write_text(version)
    pointer.replace(root / "CURRENT")
    return version


def current_version(data: Path, tenant: str) -> str | None:
    pointer = _tenant_dir(data, tenant) / "CURRENT"
    return pointer.read_text().strip() if pointer.is_file() else None


def read_manifest(data: Path, tenant: str, version: str | None = None) -> dict[str, Any] | None:
    version = version or current_version(data, tenant)
    if version is None:
        return None
    path = _tenant_dir(data, tenant) / version / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else None


def list_versions(data: Path, tenant: str) -> list[str]:
    root = _tenant_dir(data, tenant)
    return (
        sorted(p.name for p in root.iterdir() if (p / "manifest.json").is_file())
        if (root.is_dir())
        else []
    )


def load_model(data: Path, tenant: str, version: str | None = None) -> TrainedModel | None:
    manifest = read_manifest(data, tenant, version)
    if manifest is None:
        return None
    folder = _tenant_dir(data, tenant) / manifest["version"]
    config = HybridConfig.model_validate(manifest["config"])
    with np.load(folder / "arrays.npz", allow_pickle=True) as stored:
        arrays = {key: stored[key] for key in stored.files}
    return TrainedModel(HybridModel.from_arrays(config, arrays), manifest)


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
