"""The `webhook` channel: each message posted as JSON to the tenant's URL, signed with the
HMAC-SHA256 of `core/signing.py` (the same scheme as escalation webhooks)."""

from __future__ import annotations

import httpx
import orjson

from rapport.core.signing import SIGNATURE_HEADER, sign
from rapport.services.engage.outbox.channels import ChannelError, Delivery, NotConfigured

EVENT = "outbox.message"
RETRYABLE = frozenset({408, 425, 429})
"""Client errors worth another attempt; other 4xx answers are final."""


def webhook_body(delivery: Delivery) -> bytes:
    """The exact bytes posted (and signed)."""
    entry = delivery.entry
    return orjson.dumps(
        {
            "event": EVENT,
            "id": entry.id,
            "tenant": delivery.tenant,
            "user_id": entry.user_id,
            "kind": entry.kind,
            "trigger": entry.trigger,
            "period": entry.period,
            "priority": entry.priority,
            "subject": entry.subject,
            "body": entry.body,
            "payload": entry.payload,
            "link": delivery.url,
            "send_at": entry.send_at.isoformat(),
            "attempt": entry.attempts,
        }
    )


class WebhookChannel:
    name = "webhook"

    def send(self, delivery: Delivery, timeout: float) -> None:
        url = delivery.settings.webhook_url
        if not url:
            raise NotConfigured(
                f"channel 'webhook' is not configured for tenant '{delivery.tenant}': "
                "set webhook_url in [outbox] or [outbox.tenants.<tenant>]"
            )
        body = webhook_body(delivery)
        headers = {
            "Content-Type": "application/json",
            "X-Rapport-Event": EVENT,
            "X-Rapport-Delivery": delivery.entry.id,
        }
        if delivery.settings.webhook_secret:
            headers[SIGNATURE_HEADER] = sign(body, delivery.settings.webhook_secret)
        try:
            response = httpx.post(url, content=body, headers=headers, timeout=timeout)
        except httpx.HTTPError as exc:
            raise ChannelError(f"webhook: {type(exc).__name__}: {exc}") from exc
        if response.is_success:
            return
        status = response.status_code
        permanent = 400 <= status < 500 and status not in RETRYABLE
        raise ChannelError(f"webhook answered status {status}", permanent=permanent)
