"""The assistant's screen backed by the crisis guard: a high-severity message gets the
tenant's fixed crisis reply and an escalation, and nothing else runs."""

from __future__ import annotations

from rapport.core.models import User
from rapport.services.assistant.chat.assistant import MessageScreening, Screen
from rapport.services.safety.crisis.guard import CrisisGuard


def crisis_screen(guard: CrisisGuard) -> Screen:
    def screen(tenant: str, user: User, message: str) -> MessageScreening | None:
        locale = user.profile.model_extra.get("locale") if user.profile.model_extra else None
        check = guard.check(
            tenant,
            message,
            source="chat",
            user_id=user.id,
            locale=locale if isinstance(locale, str) else None,
        )
        if not check.blocked or check.reply is None:
            return None
        escalation = {
            "id": check.escalation_id,
            "category": check.screening.category,
            "severity": check.screening.severity,
            "resources": [r.model_dump(mode="json") for r in check.reply.resources],
        }
        return MessageScreening(escalation=escalation, reply=check.reply.text)

    return screen
