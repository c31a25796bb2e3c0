"""Insights: what one user's history says about them (`preferences`), and for businesses
what the events say about demand, its forecast, prices, peak times and audiences."""

from rapport.services.insights.preferences import (
    ATTRIBUTE_KEYS,
    Drift,
    Insights,
    InsightsConfig,
    RatingStyle,
    Share,
    build_insights,
    detect_drift,
)

__all__ = [
    "ATTRIBUTE_KEYS",
    "Drift",
    "Insights",
    "InsightsConfig",
    "RatingStyle",
    "Share",
    "build_insights",
    "detect_drift",
]
