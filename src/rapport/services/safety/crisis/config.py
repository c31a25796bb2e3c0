"""The `[safety]` settings section: the crisis message and resources users see, per tenant
and locale, and where escalations are sent."""

from __future__ import annotations

from pydantic import Field

from rapport.core.components import ComponentConfig


class Resource(ComponentConfig):
    """A place to get help now."""

    name: str
    """Who they are."""
    contact: str
    """How to reach them: a number, a text code or a web address."""


DEFAULT_MESSAGE = (
    "It sounds like you are going through something really painful, and you deserve support "
    "from a person right now. I can't help with this here, but the people below can, any "
    "time of day. If you are in immediate danger, call your local emergency number."
)

DEFAULT_RESOURCES: dict[str, list[Resource]] = {
    "default": [
        Resource(
            name="Find a Helpline (international directory of free, confidential lines)",
            contact="https://findahelpline.com",
        ),
        Resource(name="Emergency services", contact="your local emergency number (112 in the EU)"),
    ],
    "en-US": [
        Resource(name="988 Suicide & Crisis Lifeline", contact="call or text 988"),
        Resource(name="Crisis Text Line", contact="text HOME to 741741"),
        Resource(name="Emergency services", contact="911"),
    ],
    "en-GB": [
        Resource(name="Samaritans", contact="call 116 123 (free, 24/7)"),
        Resource(name="Shout", contact="text SHOUT to 85258"),
        Resource(name="Emergency services", contact="999"),
    ],
}
"""Built-in resources by locale; `default` is used when no locale matches."""


class TenantSafety(ComponentConfig):
    """One tenant's overrides; unset fields fall back to the section's."""

    message: str | None = None
    """The fixed reply to a high-severity text."""
    resources: dict[str, list[Resource]] = Field(default_factory=dict)
    """Locale -> resources, replacing the section's for those locales."""
    webhook_url: str | None = None
    """Where this tenant's escalations are posted."""
    webhook_secret: str | None = None
    """The key of the HMAC-SHA256 signature of each webhook body."""


class SafetyConfig(ComponentConfig):
    """Crisis replies and escalation delivery (the `[safety]` settings section)."""

    message: str = DEFAULT_MESSAGE
    """The fixed reply to a high-severity text, followed by the resources."""
    resources: dict[str, list[Resource]] = Field(default_factory=dict)
    """Locale -> resources, added to (and replacing per locale) the built-in ones
    (`default`, `en-US`, `en-GB`)."""
    locale: str = "default"
    """Locale used when a call names none."""
    webhook_url: str | None = None
    """Where escalations are posted (JSON), unless the tenant has its own."""
    webhook_secret: str | None = None
    """Key of the `X-Rapport-Signature: sha256=<hex>` HMAC of each body, unless the tenant
    has its own."""
    webhook_retries: int = Field(default=4, ge=0, le=20)
    """Further attempts after a failed delivery."""
    webhook_backoff: float = Field(default=1.0, ge=0.0, le=600.0)
    """Seconds before the first retry; doubles each time."""
    webhook_timeout: float = Field(default=5.0, gt=0.0, le=120.0)
    """Seconds to wait for the receiver."""
    tenants: dict[str, TenantSafety] = Field(default_factory=dict)
    """Per-tenant overrides."""

    def for_tenant(self, tenant: str) -> TenantSafety:
        return self.tenants.get(tenant) or TenantSafety()

    def reply(self, tenant: str, locale: str | None) -> tuple[str, list[Resource]]:
        """The fixed message and the resources for this tenant and locale (exact locale,
        then its language, then `default`)."""
        own = self.for_tenant(tenant)
        table = {**DEFAULT_RESOURCES, **self.resources, **own.resources}
        wanted = locale or self.locale
        language = wanted.split("-")[0]
        resources = (
            table.get(wanted)
            or next((v for k, v in table.items() if k.split("-")[0] == language), None)
            or table.get("default", [])
        )
        return own.message or self.message, resources

    def webhook(self, tenant: str) -> tuple[str | None, str | None]:
        own = self.for_tenant(tenant)
        return own.webhook_url or self.webhook_url, own.webhook_secret or self.webhook_secret
