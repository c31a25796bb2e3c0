"""Crisis detection and human escalation: one screen for chat, onboarding, `/ask`, and event
and item text (see docs/safety.md).

`CrisisScreen(embedder).screen(text) -> Screening{crisis, category, severity, score}`;
`CrisisGuard.check(...)` adds the fixed reply and the escalation at high severity.
"""

from rapport.services.safety.crisis.models import Category, ScreenedText, Screening, Severity
from rapport.services.safety.crisis.screen import CrisisScreen

__all__ = ["Category", "CrisisScreen", "ScreenedText", "Screening", "Severity"]
