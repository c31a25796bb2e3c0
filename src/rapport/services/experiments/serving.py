"""The recommendation path with experiments and impressions: the user's variant settings
applied to the request, the response naming experiment and variant, and the served list
logged as impressions when asked (per request or per tenant)."""

from __future__ import annotations

from rapport.core.requests import RecommendRequest
from rapport.services.experiments.assignment import Experiments
from rapport.services.experiments.config import ExperimentsConfig
from rapport.services.experiments.impressions import ImpressionLog, ShownItem
from rapport.services.recommend.recommender import Recommendations, Recommender


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

    def recommend(self, tenant: str, user_id: str, request: RecommendRequest) -> Recommendations:
        served = self.experiments.serving(tenant, user_id)
        popular, version = False, None
        if served is not None:
            settings = served.settings
            if settings.diversity is not None:
                request = request.model_copy(update={"diversity": settings.diversity})
            popular = settings.mode == "popular"
            version = settings.model_version
        found = self.recommender.recommend(
            tenant, user_id, request, popular=popular, version=version
        )
        model_version = "" if popular else version or self._current(tenant)
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

    def _current(self, tenant: str) -> str:
        return self.recommender.models.current_version(tenant) or ""
