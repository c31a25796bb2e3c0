"""What an item search asks for (pydantic only: cheap to import for interfaces)."""

from __future__ import annotations

from pydantic import Field

from rapport.core.filters import ItemFilter


class SearchRequest(ItemFilter):
    """A plain-language query; the filter fields apply on top of what the query says."""

    q: str = Field(min_length=1, max_length=500)
    """What the user typed: "vegan food offers near me tonight under 20"."""
    k: int = Field(default=10, ge=1, le=100)
    """How many items."""
    user_id: str | None = None
    """Personalise with this user's tastes, timezone and (without `lat`/`lon`) place."""
