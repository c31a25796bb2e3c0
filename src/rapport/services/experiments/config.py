"""The `[experiments]` settings section."""

from __future__ import annotations

from pydantic import Field

from rapport.core.components import ComponentConfig


class ExperimentsConfig(ComponentConfig):
    """Impression logging and attribution (the `[experiments]` settings section)."""

    log_impressions: bool = False
    """Log every served list as impressions, in every tenant (otherwise only requests
    with `log_impressions` and the tenants in `log_impressions_tenants` are logged)."""
    log_impressions_tenants: list[str] = Field(default_factory=list)
    """Tenants whose served lists are always logged as impressions."""
    attribution_hours: float = Field(default=24.0, gt=0, le=24 * 90)
    """A click, save or purchase counts for the latest impression of the same user and
    item at most this many hours before it."""
    click_types: list[str] = Field(default_factory=lambda: ["click"])
    """Event types that count as clicks."""
    conversion_types: list[str] = Field(default_factory=lambda: ["purchase", "enroll"])
    """Event types that count as conversions."""
    save_types: list[str] = Field(default_factory=lambda: ["save", "like"])
    """Event types that count as saves."""
    k: int = Field(default=10, ge=1, le=200)
    """Default k of CTR@k (only impressions at rank k or better)."""

    def logs(self, tenant: str) -> bool:
        return self.log_impressions or tenant in self.log_impressions_tenants
