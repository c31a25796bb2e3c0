"""The assistant's screen: the crisis guard, then the injection detector, then moderation
(for tenants that enabled it). A high-severity crisis gets the tenant's fixed crisis reply
and an escalation; a message that tries to instruct the assistant, or that moderation holds
(queued for review), gets a fixed refusal. Either way nothing else runs (no tool, no
model)."""

from __future__ import annotations

from rapport.core.models import User
from rapport.services.assistant.chat.assistant import MessageScreening, Screen
from rapport.services.safety.crisis.guard import CrisisGuard
from rapport.services.safety.injection import InjectionDetector
from rapport.services.safety.moderation import ModerationQueue

REFUSAL = (
    "I can't change how I work or what I was told to do, but I'm glad to help with your "
    "learning, recommendations or questions about the platform."
)


HELD = (
    "I can't help with that here. If you think this was a mistake, the team will look at "
    "it; meanwhile I'm glad to help with anything else."
)


def message_screen(
    guard: CrisisGuard, injections: InjectionDetector, moderation: ModerationQueue
) -> Screen:
    def screen(tenant: str, user: User, message: str) -> MessageScreening | None:
        locale = user.profile.model_extra.get("locale") if user.profile.model_extra else None
        check = guard.check(
            tenant,
            message,
            source="chat",
            user_id=user.id,
            locale=locale if isinstance(locale, str) else None,
        )
        if check.blocked and check.reply is not None:
            escalation = {
                "id": check.escalation_id,
                "category": check.screening.category,
                "severity": check.screening.severity,
                "resources": [r.model_dump(mode="json") for r in check.reply.resources],
            }
            return MessageScreening(escalation=escalation, reply=check.reply.text)
        if injections.check(message).injection:
            return MessageScreening(reply=REFUSAL)
        if moderation.screen_message(tenant, user.id, message):
            return MessageScreening(reply=HELD)
        return None

    return screen
