"""`engine.recommendations`: lists for one user or a group, with reasons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rapport.core.errors import FieldError, InvalidInput
from rapport.core.requests import RecommendRequest
from rapport.engine.moments import moment
from rapport.engine.services import Services, options
from rapport.services.recommend.next_action import NextAction
from rapport.services.recommend.recommender import GroupRecommendations, Recommendations

MAX_NEXT = 100


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
        place, moment, k, diversity, log_impressions) as a request or as keyword options.
        A user in a running experiment gets their variant's settings; the response names
        the experiment and variant. `model_version` scores with that stored version instead
        of the serving one (a canary checked by hand); NotFound when it is not stored."""
        request = options(RecommendRequest, request, request_options)
        return self._s.served_recommendations.recommend(
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

    def next(
        self,
        user_id: str,
        k: int = 5,
        at: datetime | str | float | None = None,
        *,
        tenant: str | None = None,
    ) -> NextAction:
        """The user's likely next items and categories with probabilities, after their
        history until `at` (default now): from the sequence model when the serving model is
        one (SASRec), otherwise from transition counts between consecutive items."""
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_NEXT:
            message = f"must be a whole number from 1 to {MAX_NEXT}"
            raise InvalidInput([FieldError(record="request", field="k", message=message)])
        when = moment(at)
        return self._s.next_actions.next(self._s.tenant(tenant), user_id, k, when)
