"""`engine.search`: finding items from plain-language queries."""

from __future__ import annotations

from typing import Any

from rapport.core.models import utcnow
from rapport.core.requests import SearchRequest
from rapport.engine.services import Services
from rapport.services.search.items import SearchResult


class SearchArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def items(
        self, q: str | SearchRequest, *, tenant: str | None = None, **request_options: Any
    ) -> SearchResult:
        """Items for a query like "vegan food offers near me tonight under 20": price, place,
        time and kind are read from it, the rest is matched by hybrid retrieval.
        `SearchRequest` fields (filters, place, `user_id`, `k`) go in as keyword options."""
        request = q if isinstance(q, SearchRequest) else SearchRequest(q=q, **request_options)
        return self._s.item_search.search(self._s.tenant(tenant), request, utcnow())
