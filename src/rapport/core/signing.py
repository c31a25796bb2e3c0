"""HMAC-SHA256 signatures of webhook bodies, shared by every sender (escalations, the
delivery outbox) so receivers check one scheme.

`X-Rapport-Signature: sha256=<hex>` is the HMAC-SHA256 of the exact body bytes with the
tenant's secret: the receiver recomputes it to know the body came from here unchanged.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Rapport-Signature"


def sign(body: bytes, secret: str) -> str:
    """The signature header value of `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, signature: str) -> bool:
    """Whether `signature` is the signature of `body` (compared in constant time)."""
    return hmac.compare_digest(sign(body, secret), signature)
