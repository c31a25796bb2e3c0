"""What a crisis screen returns."""

from __future__ import annotations

from typing import Literal

from rapport.core.models import Schema

Category = Literal[
    "suicide_self_harm",
    "eating_disorder",
    "substance_abuse",
    "domestic_violence",
    "mental_health_crisis",
]
Severity = Literal["low", "medium", "high"]


class Screening(Schema):
    """The crisis screen's verdict on one text.

    `crisis` is true at severity `medium` or `high`; `high` never gets a generated reply
    (the user gets the crisis resources and a human is told). A text that only touches a
    sensitive topic gets `crisis` false, its `category` and severity `low`; a text with
    nothing of concern gets neither.
    """

    crisis: bool
    """True when the text reads as a crisis of the writer (severity medium or high)."""
    category: Category | None = None
    """What kind: suicide_self_harm, eating_disorder, substance_abuse, domestic_violence or
    mental_health_crisis; None when nothing of concern was found."""
    severity: Severity | None = None
    """low (a sensitive topic, no crisis), medium, or high (explicit first-person intent, a
    plan, means or time, or acute danger)."""
    score: float = 0.0
    """Confidence in [0, 1] behind the category (the classifier's probability, raised by
    explicit statements)."""


class ScreenedText(Screening):
    """One line of a batch screen: the input's id and its screening."""

    id: str
    """The id given with the text."""
