"""What a recommendation request asks for (pydantic only: cheap to import for interfaces)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from rapport.core.filters import ItemFilter
from rapport.core.models import utcnow


class RecommendRequest(ItemFilter):
    """What is asked for, and where and when the user is."""

    k: int = Field(default=10, ge=1, le=200)
    """How many items."""
    exclude_seen: bool = True
    """Leave out items the user already acted on strongly (rated, bought, liked, dismissed)."""
    diversity: float = Field(default=0.3, ge=0, le=1)
    """MMR trade-off: 0 ranks purely by score, 1 by novelty of category alone."""

    def moment(self) -> datetime:
        return self.at or utcnow()
