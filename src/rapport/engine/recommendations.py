"""`engine.recommendations`: lists for one user or a group, with reasons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rapport.core.requests import RecommendRequest
from rapport.engine.services import Services, options
from rapport.services.recommend.recommender import GroupRecommendations, Recommendations


class RecommendationsArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def for_user(
        self,
        user_id: str,
        request: RecommendRequest | None = None,
        *,
        tenant: str | None = None,
        model_version: str | None = None,
        **request_options: Any,
    ) -> Recommendations:
        """Items for one user, best first, with reasons; `RecommendRequest` fields (filters,
        place, moment, k, diversity) as a request or as keyword options. `model_version`
        scores with that stored version instead of the serving one (a canary variant);
        NotFound when it is not stored."""
        request = options(RecommendRequest, request, request_options)
        return self._s.recommender.recommend(
            self._s.tenant(tenant), user_id, request, version=model_version
        )

    def for_group(
        self,
        user_ids: Sequence[str],
        request: RecommendRequest | None = None,
        *,
        tenant: str | None = None,
        model_version: str | None = None,
        **request_options: Any,
    ) -> GroupRecommendations:
        """One list for several users at once (least misery blended with the mean);
        `model_version` as in `for_user`."""
        request = options(RecommendRequest, request, request_options)
        return self._s.recommender.recommend_group(
            self._s.tenant(tenant), list(user_ids), request, version=model_version
        )
