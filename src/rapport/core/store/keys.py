"""`KeyStore`: per-tenant API keys on the `Store`'s database. Only a hash of each secret
is stored; the key id is public (it names the key in listings and logs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, exists, select, update

from rapport.core.models import Schema, utcnow
from rapport.core.store.repository import Store
from rapport.core.store.schema import api_keys


class KeyRecord(Schema):
    """One stored API key, without its secret."""

    id: str
    """The public key id (the part after `rk_` in the key)."""
    tenant: str
    """The only tenant the key can read or write."""
    scope: str
    """`read` (GET routes), `write` (also changes data) or `admin` (also keys, training)."""
    name: str
    """What the key is for, as given when created."""
    created_at: datetime
    """When it was created."""
    revoked_at: datetime | None = None
    """When it was revoked; a revoked key is refused."""


class StoredKey(KeyRecord):
    """A key with the hash of its secret, for verification only."""

    secret_hash: str


class KeyStore:
    """The `api_keys` table. Each write is one statement, so one transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def add(self, key: StoredKey) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                api_keys.insert().values(
                    id=key.id,
                    tenant_id=key.tenant,
                    scope=key.scope,
                    secret_hash=key.secret_hash,
                    name=key.name,
                    created_at=key.created_at,
                    revoked_at=key.revoked_at,
                )
            )

    def get(self, key_id: str) -> StoredKey | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
        return None if row is None else _stored(row)

    def listing(self, tenant: str | None = None, *, revoked: bool = False) -> list[KeyRecord]:
        """Keys of one tenant (or all), oldest first; revoked ones only when asked."""
        query = select(api_keys).order_by(api_keys.c.created_at, api_keys.c.id)
        if tenant is not None:
            query = query.where(api_keys.c.tenant_id == tenant)
        if not revoked:
            query = query.where(api_keys.c.revoked_at.is_(None))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [KeyRecord.model_validate(_stored(row).model_dump()) for row in rows]

    def revoke(self, key_id: str) -> datetime | None:
        """Mark a key revoked (idempotent); None when no such key exists."""
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            row = conn.execute(select(api_keys.c.revoked_at).where(api_keys.c.id == key_id))
            found = row.first()
        return None if found is None else found.revoked_at

    def any(self) -> bool:
        """Whether any key was ever created (revoked ones count: revoking the last key
        must not open the API again)."""
        with self.engine.connect() as conn:
            return bool(conn.execute(select(exists().select_from(api_keys))).scalar())


def _stored(row: Row[Any]) -> StoredKey:
    mapping = row._mapping
    return StoredKey(
        id=mapping["id"],
        tenant=mapping["tenant_id"],
        scope=mapping["scope"],
        name=mapping["name"],
        secret_hash=mapping["secret_hash"],
        created_at=mapping["created_at"],
        revoked_at=mapping["revoked_at"],
    )
