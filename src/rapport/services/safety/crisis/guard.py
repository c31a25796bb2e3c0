"""`CrisisGuard`: what every user-facing feature does with a user's text before replying.

Screen it; at high severity, do not generate a reply: return the fixed crisis message with
the tenant's resources for the user's locale, record an escalation for a human and post it
to the tenant's webhook.
"""

from __future__ import annotations

from pydantic import Field

from rapport.core.models import Schema
from rapport.core.store.audit import AuditLog
from rapport.core.store.escalations import Escalation, EscalationStore
from rapport.services.safety.crisis.config import Resource, SafetyConfig
from rapport.services.safety.crisis.models import Screening
from rapport.services.safety.crisis.screen import CrisisScreen
from rapport.services.safety.crisis.webhook import WebhookSender

SOURCES = ("chat", "onboarding", "ask", "item", "event", "api")


class CrisisReply(Schema):
    """The fixed reply a user in crisis gets instead of a generated one."""

    message: str
    """The tenant's crisis message."""
    resources: list[Resource] = Field(default_factory=list)
    """Where to get help now, for the user's locale."""

    @property
    def text(self) -> str:
        lines = [self.message, ""] + [f"- {r.name}: {r.contact}" for r in self.resources]
        return "\n".join(lines)


class SafetyCheck(Schema):
    """The screen's verdict on a user's text and what to do about it."""

    screening: Screening
    """The crisis screen's verdict."""
    blocked: bool
    """True at high severity: send `reply`, never a generated answer."""
    reply: CrisisReply | None = None
    """The fixed message and resources (set when blocked)."""
    escalation_id: str | None = None
    """The escalation raised for a human (set when blocked)."""


class CrisisGuard:
    def __init__(
        self,
        screen: CrisisScreen,
        escalations: EscalationStore,
        config: SafetyConfig,
        sender: WebhookSender,
        audit: AuditLog | None = None,
    ) -> None:
        self.audit = audit
        self.screen = screen
        self.escalations = escalations
        self.config = config
        self.sender = sender

    def reply(self, tenant: str, locale: str | None = None) -> CrisisReply:
        message, resources = self.config.reply(tenant, locale)
        return CrisisReply(message=message, resources=resources)

    def check(
        self,
        tenant: str,
        text: str,
        *,
        source: str,
        user_id: str | None = None,
        locale: str | None = None,
    ) -> SafetyCheck:
        screening = self.screen.screen(text)
        if screening.severity != "high":
            return SafetyCheck(screening=screening, blocked=False)
        escalation = self.escalations.add(
            tenant,
            user_id=user_id,
            source=source,
            category=screening.category or "suicide_self_harm",
            severity="high",
            score=screening.score,
            text=text,
        )
        self.notify(escalation)
        reply = self.reply(tenant, locale)
        if self.audit is not None:
            self.audit.record(
                tenant,
                "escalation",
                user_id=user_id,
                model="crisis-screen",
                prompt=text,
                output=reply.text,
            )
        return SafetyCheck(
            screening=screening, blocked=True, reply=reply, escalation_id=escalation.id
        )

    def notify(self, escalation: Escalation, event: str = "escalation.created") -> None:
        """Post the escalation to the tenant's webhook, if one is configured."""
        url, secret = self.config.webhook(escalation.tenant)
        if url:
            payload = {"event": event, "escalation": escalation.model_dump(mode="json")}
            self.sender.send(url, secret, payload, f"{escalation.id}:{event}")
