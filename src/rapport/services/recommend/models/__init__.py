"""Collaborative models as components: a pydantic config, `fit`, `score`, saved artifacts."""

from rapport.services.recommend.models.als import ALS, BPR
from rapport.services.recommend.models.base import CollaborativeModel
from rapport.services.recommend.models.ease import EASE
from rapport.services.recommend.models.itemknn import ItemKNN
from rapport.services.recommend.models.popularity import Popularity

MODELS: dict[str, type[CollaborativeModel]] = {
    model.name: model for model in (Popularity, ItemKNN, EASE, ALS, BPR)
}

__all__ = ["ALS", "BPR", "EASE", "MODELS", "CollaborativeModel", "ItemKNN", "Popularity"]
