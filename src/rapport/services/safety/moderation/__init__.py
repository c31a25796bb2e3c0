"""Moderation of user-generated text: scores per category (`classifier`) and the review
queue that holds flagged items until a person decides (`queue`)."""

from rapport.services.safety.moderation.classifier import (
    CATEGORIES,
    ModerationConfig,
    ModerationResult,
    TextModerator,
)
from rapport.services.safety.moderation.queue import ModerationQueue

__all__ = ["CATEGORIES", "ModerationConfig", "ModerationQueue", "ModerationResult", "TextModerator"]
