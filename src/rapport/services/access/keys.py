"""Per-tenant API keys: creating, listing, revoking, and finding who a presented key is.

A key reads `rk_<id>_<secret>`: the id is public and names the stored row, the secret is
32 random bytes (URL-safe base64) of which only the SHA-256 is stored. A fast hash is
enough for secrets of that entropy (nothing to brute-force); comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal, get_args

from pydantic import Field

from rapport.core.config import check_tenant
from rapport.core.errors import FieldError, InvalidInput, NotFound
from rapport.core.models import Schema, Strict, utcnow
from rapport.core.store.keys import KeyRecord, KeyStore, StoredKey

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
RANK: dict[str, int] = {scope: rank for rank, scope in enumerate(SCOPES)}
"""Each scope includes the ones before it: admin can write, write can read."""

PREFIX = "rk"


class KeyRequest(Strict):
    """A key to create."""

    tenant: str = Field(min_length=1, max_length=64)
    """The only tenant the key can act on."""
    scope: Scope = "read"
    """`read` (GET routes and read-only queries), `write` (also changes data), `admin`
    (also keys and training)."""
    name: str = Field(default="", max_length=256)
    """What the key is for (shown in listings)."""


class CreatedKey(Schema):
    """A new key. The full `key` is shown once here and never again: only its hash is
    stored."""

    key: str
    """The key to send as `X-API-Key` or `Authorization: Bearer`."""
    record: KeyRecord
    """What is stored about it."""


class Principal(Schema):
    """Who a request acts as."""

    key_id: str | None
    """The key's public id; None for the configured admin key and for open mode."""
    tenant: str | None
    """The only tenant it may act on; None means any (the configured admin key)."""
    scope: Scope
    """What it may do."""

    def allows(self, needed: str) -> bool:
        return RANK[self.scope] >= RANK[needed]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyService:
    """Keys of every tenant, over the `api_keys` table."""

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys
        self._any = False

    def create(self, request: KeyRequest) -> CreatedKey:
        try:
            tenant = check_tenant(request.tenant)
        except ValueError as exc:
            raise InvalidInput(
                [FieldError(record="request", field="tenant", message=str(exc))]
            ) from exc
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        stored = StoredKey(
            id=key_id,
            tenant=tenant,
            scope=request.scope,
            name=request.name,
            secret_hash=_hash(secret),
            created_at=utcnow(),
        )
        self.keys.add(stored)
        record = KeyRecord.model_validate(stored.model_dump(exclude={"secret_hash"}))
        return CreatedKey(key=f"{PREFIX}_{key_id}_{secret}", record=record)

    def list(self, tenant: str | None = None, *, revoked: bool = False) -> list[KeyRecord]:
        return self.keys.listing(tenant, revoked=revoked)

    def get(self, key_id: str, tenant: str | None = None) -> KeyRecord:
        """One key; NotFound also when it belongs to another tenant than `tenant`."""
        stored = self.keys.get(key_id)
        if stored is None or (tenant is not None and stored.tenant != tenant):
            raise NotFound("key", key_id)
        return KeyRecord.model_validate(stored.model_dump(exclude={"secret_hash"}))

    def revoke(self, key_id: str, tenant: str | None = None) -> KeyRecord:
        self.get(key_id, tenant)  # NotFound for unknown keys and other tenants' keys
        self.keys.revoke(key_id)
        return self.get(key_id)

    def any(self) -> bool:
        """Whether any key was ever created. Keys are never deleted, only revoked, so once
        true this stays true and is not asked again."""
        self._any = self._any or self.keys.any()
        return self._any

    def verify(self, presented: str) -> Principal | None:
        """The principal of a presented `rk_<id>_<secret>` key, or None when it is not a
        live key (malformed, unknown, wrong secret or revoked)."""
        prefix, _, rest = presented.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != PREFIX or not key_id or not secret or len(key_id) > 32:
            return None
        stored = self.keys.get(key_id)
        # Hash and compare even for unknown ids, so timing does not tell which ids exist.
        expected = stored.secret_hash if stored else _hash(secrets.token_urlsafe(32))
        if not hmac.compare_digest(_hash(secret), expected) or stored is None:
            return None
        if stored.revoked_at is not None or stored.scope not in SCOPES:
            return None
        return Principal.model_validate(
            {"key_id": stored.id, "tenant": stored.tenant, "scope": stored.scope}
        )
