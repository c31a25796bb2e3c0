"""Trained models on disk: `<data>/models/<tenant>/<version>/`, the serving one named in
CURRENT, each with a manifest that says how it was made.

Artifacts live in the data directory; several API servers share them through that directory
(a shared volume), and each reloads when CURRENT changes.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from rapport.core.components import RankingModel
from rapport.core.errors import NotFound, Unavailable
from rapport.core.models import utcnow
from rapport.services.recommend.models import MODELS

VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,63}")
NAMED_CACHE = 4  # named (not serving) versions kept loaded: the canaries of experiments
ERASURES = "erasures.log"  # one UTC time per erased user, per tenant


class _Manifest(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True, ser_json_inf_nan="strings")


class TrainingStats(_Manifest):
    events: int
    """Events of the tenant when training started."""
    interactions: int
    """(user, item) pairs learned from."""
    users: int
    """Users in the training data."""
    items: int
    """Items in the training data."""
    validation_users: int
    """Users whose held-out items judged the settings."""
    seconds: float
    """Settings search and the final fit."""


class ValidationStats(_Manifest):
    ndcg_at_10: float
    """Mean NDCG@10 of the chosen settings over the time-ordered validation periods."""
    baseline_ndcg_at_10: float
    """The same for the search's starting point."""
    fold_ndcg_at_10: list[float] = Field(default_factory=list)
    """NDCG@10 of the chosen settings in each validation period, newest first: their
    spread says how much the choice can be trusted."""
    configurations_tried: int
    """Candidate settings scored by the search."""
    search_complete: bool = True
    """False when the time budget cut the settings search short (the best so far serves)."""


class GateResult(_Manifest):
    """What the model gate decided when a version was trained (see docs/models.md)."""

    decision: Literal["serve", "candidate"]
    """serve: it became the serving version; candidate: kept, not serving."""
    reason: str
    """Why, in words."""
    comparison: Literal["first", "same_split", "stored", "unvalidated", "forced"]
    """How: first model of the tenant; both judged on the new validation split (the
    serving settings refitted on it); the stored numbers of two different splits; no
    validation users at all; or forced past the gate."""
    candidate_ndcg_at_10: float | None = None
    """The new version's validation NDCG@10."""
    serving_ndcg_at_10: float | None = None
    """The serving version's NDCG@10, measured as `comparison` says."""
    serving_version: str | None = None
    """The version that was serving when this one was trained."""
    margin: float = 0.0
    """Relative drop of NDCG@10 tolerated (`[training] gate_margin`)."""


class ModelManifest(_Manifest):
    """What is known about one trained model version."""

    version: str
    """UTC time of training: versions sort in training order."""
    created_at: datetime
    """When it was trained."""
    tenant: str
    """Whose data it learned from."""
    model: str
    """Registry name of the model class."""
    config: dict[str, Any]
    """Its settings, as chosen by training."""
    summary: dict[str, Any]
    """What the model says about this fit (core kind, blend weights, modelled items...)."""
    training: TrainingStats
    """What it was trained on and how long it took."""
    validation: ValidationStats
    """How the chosen settings scored."""
    gate: GateResult | None = None
    """What the model gate decided about this version (None: trained before the gate)."""
    erased_users_since: int = 0
    """Users erased (delete-my-data) after this version was trained: it still carries what
    it learned from them until the next training, which the retrain job runs soon."""


@dataclass
class TrainedModel:
    """A fitted model with its manifest, ready to serve."""

    model: RankingModel[Any]
    manifest: ModelManifest

    def __post_init__(self) -> None:
        self.position = {item_id: i for i, item_id in enumerate(self.model.item_ids)}
        self._frame_positions: tuple[list[str], np.ndarray] | None = None

    def frame_positions(self, ids: list[str]) -> np.ndarray:
        """Model column of each id (-1 when not modelled), cached for one catalogue."""
        cached = self._frame_positions
        if cached is None or cached[0] is not ids:
            positions = np.array([self.position.get(i, -1) for i in ids], dtype=np.int64)
            self._frame_positions = cached = (ids, positions)
        return cached[1]


class ModelStore:
    """Model versions per tenant, and the serving one, reloaded when a new version is made
    current."""

    def __init__(self, data: Path) -> None:
        self.root = Path(data) / "models"
        self._loaded: dict[str, tuple[str | None, TrainedModel | None]] = {}
        self._named: OrderedDict[tuple[str, str], TrainedModel] = OrderedDict()
        self._lock = threading.Lock()

    def _folder(self, tenant: str) -> Path:
        return self.root / tenant

    def save(self, trained: TrainedModel, current: bool = True) -> None:
        """Write a new version and make it current (unless `current` is false: a candidate
        the gate kept from serving)."""
        manifest = trained.manifest
        folder = self._folder(manifest.tenant) / manifest.version
        if folder.exists():
            shutil.rmtree(folder)
        trained.model.save(folder)
        (folder / "manifest.json").write_text(manifest.model_dump_json(indent=2))
        if current:
            self.use(manifest.tenant, manifest.version)

    def stored(self, tenant: str, version: str) -> bool:
        """Whether `version` is a stored version of `tenant` (never a path outside it)."""
        if not VERSION.fullmatch(version):
            return False
        return (self._folder(tenant) / version / "manifest.json").is_file()

    def use(self, tenant: str, version: str) -> None:
        """Make a stored version the serving one. Every process sharing the data directory
        (API workers, `rapport worker`) serves it from its next request: `serving` reads
        CURRENT each time."""
        if not self.stored(tenant, version):
            raise NotFound("model version", version, "see `rapport model versions`")
        # Written last and atomically, so readers never see a half-written version.
        pointer = self._folder(tenant) / "CURRENT.tmp"
        pointer.write_text(version)
        pointer.replace(self._folder(tenant) / "CURRENT")

    def mark_erasure(self, tenant: str) -> None:
        """Note that a user of `tenant` was erased: models trained before now learned from
        them. Only the time is kept, never who."""
        if self.current_version(tenant) is None:
            return
        with self._lock, (self._folder(tenant) / ERASURES).open("a") as log:
            log.write(utcnow().isoformat() + "\n")

    def erasures_since(self, tenant: str, trained_at: datetime) -> int:
        """Users erased after a model trained at `trained_at`."""
        path = self._folder(tenant) / ERASURES
        if not path.is_file():
            return 0
        times = (datetime.fromisoformat(line) for line in path.read_text().split())
        return sum(1 for time in times if time > trained_at)

    def current_version(self, tenant: str) -> str | None:
        pointer = self._folder(tenant) / "CURRENT"
        return pointer.read_text().strip() if pointer.is_file() else None

    def manifest(self, tenant: str, version: str | None = None) -> ModelManifest | None:
        """The manifest of `version` (default: the current one); None when there is none."""
        version = version or self.current_version(tenant)
        if version is None or not VERSION.fullmatch(version):
            return None
        path = self._folder(tenant) / version / "manifest.json"
        if not path.is_file():
            return None
        manifest = ModelManifest.model_validate_json(path.read_text())
        manifest.erased_users_since = self.erasures_since(tenant, manifest.created_at)
        return manifest

    def versions(self, tenant: str) -> list[str]:
        root = self._folder(tenant)
        if not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir() if (p / "manifest.json").is_file())

    def load(self, tenant: str, version: str) -> TrainedModel:
        manifest = self.manifest(tenant, version)
        folder = self._folder(tenant) / version
        if manifest is None:
            raise Unavailable(f"model version '{version}' of tenant '{tenant}' has no manifest")
        try:
            model = MODELS[manifest.model].load(folder)
        except (FileNotFoundError, OSError, KeyError, ValueError) as exc:
            raise Unavailable(
                f"model version '{version}' of tenant '{tenant}' cannot be loaded from "
                f"{folder}: {exc}"
            ) from exc
        return TrainedModel(model, manifest)

    def get(self, tenant: str, version: str) -> TrainedModel:
        """A named version, loaded once and kept among the last few asked for (a canary
        experiment serves one beside the current model). NotFound when it is not stored."""
        if version == self.current_version(tenant):
            serving = self.serving(tenant)
            if serving is not None and serving.manifest.version == version:
                return serving
        key = (tenant, version)
        with self._lock:
            found = self._named.get(key)
            if found is not None:
                self._named.move_to_end(key)
                return found
        if not self.stored(tenant, version):
            raise NotFound("model version", version, "see `rapport model versions`")
        loaded = self.load(tenant, version)
        with self._lock:
            self._named[key] = loaded
            while len(self._named) > NAMED_CACHE:
                self._named.popitem(last=False)
        return loaded

    def serving(self, tenant: str) -> TrainedModel | None:
        """The current model of `tenant`, loaded once per version; None before training."""
        version = self.current_version(tenant)
        cached = self._loaded.get(tenant)
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._lock:
            model = self.load(tenant, version) if version else None
            self._loaded[tenant] = (version, model)
            return model
