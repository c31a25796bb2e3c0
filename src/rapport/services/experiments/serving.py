"""The recommendation path with experiments and impressions: the user's variant settings
applied to the request, the response naming experiment and variant, and the served list
logged as impressions when asked (per request or per tenant)."""

from __future__ import annotations

import hashlib

import numpy as np

from rapport.core.requests import RecommendRequest
from rapport.services.experiments.assignment import Experiments
from rapport.services.experiments.config import ExperimentsConfig
from rapport.services.experiments.impressions import ImpressionLog, ShownItem
from rapport.services.recommend.recommender import Recommendations, Recommender

EXPLORE_DEPTH = 3
"""An exploring list draws its exploratory items from this many times k candidates."""


class ServedRecommendations:
    """Recommends through the experiment a user is in, and logs what was shown."""

    def __init__(
        self,
        recommender: Recommender,
        experiments: Experiments,
        impressions: ImpressionLog,
        config: ExperimentsConfig,
    ) -> None:
        self.recommender = recommender
        self.experiments = experiments
        self.impressions = impressions
        self.config = config

    def recommend(
        self, tenant: str, user_id: str, request: RecommendRequest, version: str | None = None
    ) -> Recommendations:
        """The user's list under their variant's settings; an explicit `version` wins over
        the variant's model version."""
        served = self.experiments.serving(tenant, user_id)
        popular = False
        blend: dict[str, float] = {}
        if served is not None:
            settings = served.settings
            if settings.diversity is not None:
                request = request.model_copy(update={"diversity": settings.diversity})
            popular = settings.mode == "popular"
            blend = {str(name): weight for name, weight in settings.blend.items()}
            version = version or settings.model_version
        epsilon = served.settings.epsilon if served is not None else 0.0
        wanted = request
        if epsilon > 0:  # room to explore: further candidates from the same ranking
            wanted = request.model_copy(update={"k": min(request.k * EXPLORE_DEPTH, 200)})
        found = self.recommender.recommend(
            tenant, user_id, wanted, popular=popular, version=version, blend=blend
        )
        if epsilon > 0 and served is not None:
            seed = f"{served.experiment}|{user_id}|{request.moment().isoformat()}"
            found = explore(found, request.k, epsilon, seed)
        model_version = found.model_version or ""
        update: dict[str, str | None] = {
            "experiment": served.experiment if served else None,
            "variant": served.variant if served else None,
            "model_version": model_version,
        }
        if request.log_impressions or self.config.logs(tenant):
            update["list_id"] = self.impressions.log(
                tenant,
                user_id,
                [ShownItem(r.item_id, r.sources) for r in found.items],
                at=request.moment(),
                model_version=model_version,
                experiment=update["experiment"],
                variant=update["variant"],
            )
        return found.model_copy(update=update)


def explore(found: Recommendations, k: int, epsilon: float, seed: str) -> Recommendations:
    """Epsilon-greedy over slots: each of the first `k` slots keeps its item with
    probability 1 - epsilon, else takes a random item from below the top k (marked with
    source `explore`). Deterministic for one seed (experiment, user, moment)."""
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8]))
    head, tail = list(found.items[:k]), list(found.items[k:])
    order = rng.permutation(len(tail)).tolist()
    for slot in range(len(head)):
        if rng.random() < epsilon and order:
            pick = tail[order.pop()]
            head[slot] = pick.model_copy(
                update={"sources": ["explore"], "reasons": ["Something new to try"]}
            )
    return found.model_copy(update={"items": head})
