"""The `[outbox]` settings section: where each channel delivers, per tenant, and how failed
deliveries are retried."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from rapport.core.components import ComponentConfig


class ChannelSettings(ComponentConfig):
    """Where messages go. In `[outbox.tenants.<tenant>]` every field left unset falls back
    to the section's own value."""

    default_channel: str | None = None
    """The channel of messages that name none (`webhook` when unset everywhere)."""
    webhook_url: str | None = None
    """Where the `webhook` channel posts each message (JSON)."""
    webhook_secret: str | None = None
    """Key of the `X-Rapport-Signature: sha256=<hex>` HMAC of each webhook body."""
    smtp_host: str | None = None
    """The mail server of the `email` channel."""
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    """Its port (default 587 with STARTTLS, 465 with SSL, 25 without)."""
    smtp_security: Literal["starttls", "ssl", "none"] | None = None
    """`starttls` (default), `ssl` (implicit TLS) or `none` (local relays only)."""
    smtp_ca_file: str | None = None
    """A PEM file of the CA certificates to trust for the mail server (a relay with a
    private CA); the system's trust store when unset. Certificates are always verified."""
    smtp_user: str | None = None
    """Login name, when the server wants one."""
    smtp_password: str | None = None
    """Login password."""
    smtp_from: str | None = None
    """The sender address (`From:`); needed to send email."""
    public_url: str | None = None
    """The address users reach this API at (`https://rapport.example.com`): with it, a
    message whose payload has a `url` carries a tracking link `<public_url>/outbox/<id>/
    click?tenant=<tenant>` that records the click and then redirects to that `url`."""


class OutboxConfig(ChannelSettings):
    """Delivery of nudges and reminders (the `[outbox]` settings section)."""

    max_attempts: int = Field(default=5, ge=1, le=50)
    """Attempts before a message is marked `failed` for good."""
    backoff_seconds: float = Field(default=60.0, ge=0.0, le=86_400.0)
    """Wait before the second attempt; doubles after each failure."""
    backoff_cap_seconds: float = Field(default=6 * 3600.0, ge=0.0, le=7 * 86_400.0)
    """The longest wait between attempts."""
    lease_seconds: float = Field(default=300.0, gt=0.0, le=86_400.0)
    """How long a claimed message is left to its sender before another may try it (a
    sender that crashed mid-delivery)."""
    batch: int = Field(default=200, ge=1, le=10_000)
    """Messages claimed per delivery pass and tenant."""
    timeout_seconds: float = Field(default=10.0, gt=0.0, le=120.0)
    """Seconds to wait for a webhook receiver or mail server."""
    tenants: dict[str, ChannelSettings] = Field(default_factory=dict)
    """Per-tenant overrides."""

    def for_tenant(self, tenant: str) -> ChannelSettings:
        """The section's channel settings with the tenant's overrides applied."""
        base = ChannelSettings.model_fields
        own = self.tenants.get(tenant)
        merged = {name: getattr(self, name) for name in base}
        if own is not None:
            merged.update({k: v for k, v in own.model_dump().items() if v is not None})
        return ChannelSettings.model_validate(merged)

    def delay(self, attempts: int) -> float:
        """Seconds before the next attempt after `attempts` failed ones."""
        return float(
            min(self.backoff_seconds * 2 ** max(attempts - 1, 0), self.backoff_cap_seconds)
        )
