"""Recommendation models, each a component under the protocol of `rapport.core.components`,
and the one registry that training, evaluation and artifact loading use."""

from collections.abc import Callable
from typing import Any

from rapport.core.components import RankingModel
from rapport.services.recommend.models.als import ALS
from rapport.services.recommend.models.bpr import BPR
from rapport.services.recommend.models.ease import EASE
from rapport.services.recommend.models.hybrid import HybridModel
from rapport.services.recommend.models.itemknn import ItemKNN
from rapport.services.recommend.models.popularity import Popularity
from rapport.services.recommend.models.sasrec import SASRec, missing_library

MODELS: dict[str, type[RankingModel[Any]]] = {
    model.name: model for model in (Popularity, ItemKNN, EASE, ALS, BPR, SASRec, HybridModel)
}
"""Registry name -> model class."""

PEERS = ["popularity", "itemknn", "bpr", "als", "ease"]
"""The classical recommenders rapport's own model is compared with."""

OPTIONAL_PEERS: dict[str, Callable[[], str | None]] = {"sasrec": missing_library}
"""Peers whose library is an optional extra: name -> why it cannot run here (None when it
can). They join the default peers wherever their library is installed."""

__all__ = [
    "ALS",
    "BPR",
    "EASE",
    "MODELS",
    "OPTIONAL_PEERS",
    "PEERS",
    "HybridModel",
    "ItemKNN",
    "Popularity",
    "SASRec",
]
