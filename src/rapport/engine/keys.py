"""`engine.keys`: per-tenant API keys with scopes, and authentication of presented keys."""

from __future__ import annotations

import hmac

from rapport.core.store.keys import KeyRecord
from rapport.engine.services import Services
from rapport.services.access.keys import CreatedKey, KeyRequest, Principal, Scope

ADMIN = Principal(key_id=None, tenant=None, scope="admin")
"""The configured `RAPPORT_API_KEY`, and everyone while no key exists (open mode)."""


class KeysArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def create(self, tenant: str, scope: Scope = "read", *, name: str = "") -> CreatedKey:
        """A new key `rk_<id>_<secret>` for one tenant; the secret is shown only here."""
        request = KeyRequest(tenant=self._s.tenant(tenant), scope=scope, name=name)
        return self._s.access.create(request)

    def list(self, *, tenant: str | None = None, revoked: bool = False) -> list[KeyRecord]:
        """Keys of one tenant, or of every tenant when none is named."""
        return self._s.access.list(
            None if tenant is None else self._s.tenant(tenant), revoked=revoked
        )

    def revoke(self, key_id: str, *, tenant: str | None = None) -> KeyRecord:
        """Refuse the key from now on. NotFound for an unknown key, or for a key of
        another tenant than `tenant` when one is named."""
        return self._s.access.revoke(key_id, None if tenant is None else self._s.tenant(tenant))

    def required(self) -> bool:
        """Whether requests must present a key: an admin key is configured or a per-tenant
        key was ever created. Otherwise the API is open (and `serve` binds loopback only)."""
        return bool(self._s.settings.api_key) or self._s.access.any()

    def authenticate(self, presented: str | None) -> Principal | None:
        """Who a presented key is: the configured admin key (every tenant), a live
        per-tenant key, or None. An empty key is never a key."""
        if not presented:
            return None
        configured = self._s.settings.api_key
        if configured and hmac.compare_digest(presented.encode(), configured.encode()):
            return ADMIN
        return self._s.access.verify(presented)
