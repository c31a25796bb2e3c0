"""The protocol every recommendation model follows (LensKit style).

A model is a component: a pydantic `Config` (strict, every field documented, with the values
worth searching declared on the class), `fit` on interactions, `score` of any batch of
histories, and its learned parameters as named arrays so a version can be saved and restored.
Scoring takes histories rather than user ids, so new users and users whose history changed a
second ago are scored without retraining.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Generic, Self, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from rapport.core.histories import Histories
from rapport.core.interactions import Interactions


class ComponentConfig(BaseModel):
    """Base of component configs: unknown fields are errors, so typos never pass silently."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, use_attribute_docstrings=True, ser_json_inf_nan="strings"
    )

    search_space: ClassVar[dict[str, list[Any]]] = {}
    """Values tried per field when settings are chosen on a validation split; the first value
    of each field is where the search starts."""
    search_starts: ClassVar[list[dict[str, Any]]] = []
    """Further starting points of a coordinate search, so one local optimum does not decide
    alone."""
    activity_fields: ClassVar[tuple[str, ...]] = ()
    """Scoring settings that may differ with how much history a user has. When set, tuning
    chooses them per activity level, and the config has `activity_edges` (history lengths
    between levels) and `by_activity` (the settings of each level)."""


C = TypeVar("C", bound=ComponentConfig)


class RankingModel(ABC, Generic[C]):
    """Learns from interactions; scores every item it was fitted on for any histories."""

    name: ClassVar[str]
    """Registry name, stored in manifests."""
    Config: ClassVar[type[ComponentConfig]]

    def __init__(self, config: C | Mapping[str, Any] | None = None) -> None:
        self.config: C = self.Config.model_validate(config or {})  # type: ignore[assignment]
        self.item_ids: list[str] = []
        """The catalogue `score` has one column per item of, in this order."""

    @abstractmethod
    def fit(self, data: Interactions) -> Self:
        """Learn from `data`; afterwards `item_ids == data.item_ids`."""

    @abstractmethod
    def score(self, histories: Histories) -> np.ndarray:
        """Scores, one row per history and one column per item of `item_ids` (histories index
        items the same way); -inf where the model has nothing to say."""

    def sources(self, histories: Histories) -> dict[str, np.ndarray]:
        """Named score parts that `weights` blends into `score` (one part unless overridden):
        the request-time recommender shows which of them an item stands out in."""
        return {"core": self.score(histories)}

    def weights(self) -> dict[str, float]:
        return {"core": 1.0}

    def specialise(self, histories: Histories) -> RankingModel[C]:
        """The model as it scores these histories (all of one user, or one activity level):
        `sources` and `weights` of the result belong together. Most models are the same
        for everyone."""
        return self

    def summary(self) -> dict[str, Any]:
        """What a manifest should say about this fit beyond its config."""
        return {}

    def searched(self, space: Mapping[str, list[Any]], data: Interactions) -> dict[str, list[Any]]:
        """The part of a search space that can change this model's scores once it is fitted
        on `data` (all of it unless a model knows better): tuning skips the rest."""
        return dict(space)

    def reconfigure(self, config: C) -> bool:
        """Switch to `config` without refitting when only scoring settings differ; False
        when a new `fit` is needed."""
        return config == self.config

    # -- parameters ------------------------------------------------------------------------

    @abstractmethod
    def arrays(self) -> dict[str, np.ndarray]:
        """The learned parameters, as named arrays."""

    @abstractmethod
    def restore(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Set the learned parameters from what `arrays` returned."""

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        meta = {"model": self.name, "config": self.config.model_dump(mode="json")}
        (folder / "model.json").write_text(json.dumps(meta, indent=2))
        arrays: dict[str, Any] = {"item_ids": np.array(self.item_ids), **self.arrays()}
        np.savez(folder / "arrays.npz", **arrays)

    @classmethod
    def load(cls, folder: Path) -> Self:
        """The model `save` wrote to `folder`; FileNotFoundError when a file is missing."""
        meta = json.loads((folder / "model.json").read_text())
        model = cls(meta["config"])
        with np.load(folder / "arrays.npz") as stored:
            arrays = {key: stored[key] for key in stored.files}
        model.item_ids = [str(i) for i in arrays.pop("item_ids")]
        model.restore(arrays)
        return model
