"""Access control as ASGI middleware: it runs before any body is read, so a request
without a valid key, outside its tenant or scope, over a rate limit or with a body over
the limit is answered from its headers alone (see docs/security.md).

Order: failed-authentication lockout (429), key (401), tenant and scope (403), rate limit
(429), declared body size (413), expensive-route concurrency (503); then the application
runs with a body reader that stops at the limit (413 for chunked bodies too).
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rapport.core.config import Settings
from rapport.engine import Engine
from rapport.engine.schemas import Principal
from rapport.engine.schemas import Scope as KeyScope
from rapport.interfaces.api.errors import error_response
from rapport.interfaces.api.limits import (
    BodyTooLarge,
    ConcurrencyGate,
    LimitedBody,
    RateLimits,
    RouteClass,
    declared_length,
)

OPEN_PATHS = ("/healthz", "/readyz", "/docs", "/redoc", "/openapi.json")
"""Probes and documentation: no key needed."""
OPEN_ROUTES = (re.compile(r"/outbox/[^/]+/click"),)
"""GET routes users reach from a delivered message, without a key: the outbox's click link
(the unguessable message id is its credential)."""
ADMIN_ROUTES = ("/keys", "/model/train", "/model/use", "/audit", "/churn/train")
"""Path prefixes that need the admin scope (keys, training, switching the serving model,
the audit log, tenant administration)."""
ADMIN_READS = (
    re.compile(r"/users"),
    re.compile(r"/users/[^/]+/export"),
    re.compile(r"/items/[^/]+/audience"),
    re.compile(r"/(?:escalations|moderation|outbox|generations|reminders|nudges)(?:/.*)?"),
)
"""Reads of many people's personal data (the user list, a user's whole export, an item's
audience, escalations, the moderation queue, messages, generated texts, due reminders and
nudges) are staff work: admin only, so a front end's read key cannot enumerate people."""
ADMIN_WRITES = ("/experiments",)
"""Path prefixes whose writes need the admin scope: creating, checking or stopping an A/B
test changes what every user of the tenant is served. Reading them needs read."""
READ_ONLY_POSTS = ("/ask", "/recommendations/group")
"""POST routes that change nothing (their query is a body): the read scope suffices."""
READ_ONLY_POST_ROUTES = (re.compile(r"/experiments/[^/]+/assign"),)
"""POST routes under an admin prefix that only compute (assignments of a list of users)."""
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

OPEN = Principal(key_id=None, tenant=None, scope="admin")
"""Everyone, while no key is configured or created (`serve` then binds loopback only)."""


def _under(path: str, prefixes: tuple[str, ...] | list[str]) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)


def classify(method: str, path: str, expensive: list[str]) -> tuple[KeyScope, RouteClass]:
    """The scope a route needs and the class its rate limit counts in."""
    needed: KeyScope
    if _under(path, ADMIN_ROUTES) or (
        method in READ_METHODS and any(p.fullmatch(path) for p in ADMIN_READS)
    ):
        needed = "admin"
    elif (
        method in READ_METHODS
        or _under(path, READ_ONLY_POSTS)
        or any(p.fullmatch(path) for p in READ_ONLY_POST_ROUTES)
    ):
        needed = "read"
    elif _under(path, ADMIN_WRITES):
        needed = "admin"
    else:
        needed = "write"
    return needed, "expensive" if _under(path, expensive) else needed


def presented_key(headers: Headers) -> str | None:
    """The key from `X-API-Key`, or `Authorization: Bearer KEY`."""
    key = headers.get("x-api-key")
    if key is None:
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            key = authorization[7:].strip()
    return key or None


def _identify(engine: Engine, presented: str | None) -> Principal | None:
    if not engine.keys.required():
        return OPEN
    return engine.keys.authenticate(presented)


class AccessMiddleware:
    """Authentication, tenant isolation, scopes and limits for every API request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._limits: tuple[Settings, RateLimits, ConcurrencyGate] | None = None

    def limits(self, settings: Settings) -> tuple[RateLimits, ConcurrencyGate]:
        # Built on the first request, from the engine the app serves.
        if self._limits is None or self._limits[0] is not settings:
            gate = ConcurrencyGate(settings.expensive_concurrency)
            self._limits = (settings, RateLimits(settings), gate)
        return self._limits[1], self._limits[2]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        engine: Engine = scope["app"].state.engine
        settings = engine.settings
        path: str = scope["path"]
        if _under(path, OPEN_PATHS) or (
            scope["method"] in READ_METHODS and any(p.fullmatch(path) for p in OPEN_ROUTES)
        ):
            await self._run(scope, receive, send, settings.max_body_bytes)
            return
        rates, gate = self.limits(settings)
        headers = Headers(scope=scope)
        address = scope["client"][0] if scope.get("client") else "unknown"

        wait = rates.locked_out(address)
        if wait is not None:
            message = "too many failed authentications from this address; try again later"
            await self._refuse(scope, receive, send, 429, "rate_limited", message, wait)
            return
        principal = await run_in_threadpool(_identify, engine, presented_key(headers))
        if principal is None:
            rates.failed(address)
            await error_response(
                401,
                "unauthorized",
                "missing or invalid API key",
                headers={"WWW-Authenticate": "Bearer"},
            )(scope, receive, send)
            return

        needed, route_class = classify(scope["method"], path, settings.expensive_routes)
        asked = headers.get("x-tenant")
        if principal.tenant is not None and asked is not None and asked != principal.tenant:
            message = "this key can only act on its own tenant"
            await error_response(403, "forbidden", message)(scope, receive, send)
            return
        if not principal.allows(needed):
            message = f"this key's scope '{principal.scope}' does not allow {needed} routes"
            await error_response(403, "forbidden", message)(scope, receive, send)
            return

        caller = principal.key_id or ("admin" if principal is not OPEN else f"open:{address}")
        wait = rates.hit(route_class, caller)
        if wait is not None:
            message = f"rate limit of {route_class} requests reached; retry in {wait} s"
            await self._refuse(scope, receive, send, 429, "rate_limited", message, wait)
            return
        length = declared_length(headers.get("content-length"))
        if length is not None and length > settings.max_body_bytes:
            await _too_large(settings.max_body_bytes)(scope, receive, send)
            return

        scope.setdefault("state", {})["principal"] = principal
        if route_class != "expensive":
            await self._run(scope, receive, send, settings.max_body_bytes)
            return
        if not gate.enter():
            message = "too many expensive requests at once; retry shortly"
            await self._refuse(scope, receive, send, 503, "unavailable", message, 1)
            return
        try:
            await self._run(scope, receive, send, settings.max_body_bytes)
        finally:
            gate.leave()

    async def _refuse(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        code: str,
        message: str,
        retry_after: int,
    ) -> None:
        headers = {"Retry-After": str(retry_after)}
        await error_response(status, code, message, headers=headers)(scope, receive, send)

    async def _run(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """The application, with a body reader that stops at `limit` bytes."""
        body = LimitedBody(receive, limit)
        started = replaced = False

        async def guarded(message: Message) -> None:
            nonlocal started, replaced
            if body.exceeded:  # the framework may have turned the failed read into a 400
                if not replaced and message["type"] == "http.response.start":
                    replaced = True
                    await _too_large(limit)(scope, receive, send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, body, guarded)
        except BodyTooLarge:
            if not (started or replaced):
                await _too_large(limit)(scope, receive, send)


def _too_large(limit: int) -> ASGIApp:
    message = f"request body over the limit of {limit} bytes (max_body_bytes)"
    return error_response(413, "payload_too_large", message, headers={"Connection": "close"})
