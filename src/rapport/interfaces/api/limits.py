"""Request limits: rate limits per key and route class, throttling of failed
authentication, a concurrency cap for expensive routes and the body-size limit.

Counters live where `rate_limit_storage` says: this process's memory by default (with
`serve --workers N` each worker counts on its own, so the effective limits are N times the
configured ones), or a Redis server every worker shares. When that server does not answer,
this process's own counters take over until it does, so limits never stop applying.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

import structlog
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.types import Message, Receive

from rapport.core.config import Settings

log = structlog.get_logger(__name__)
T = TypeVar("T")
RouteClass = Literal["read", "write", "admin", "expensive"]
ROUTE_CLASSES: tuple[RouteClass, ...] = ("read", "write", "admin", "expensive")


def _rule(notation: str | None) -> RateLimitItem | None:
    return parse(notation) if notation else None


class RateLimits:
    """Moving-window counters: requests per (route class, caller) and failed
    authentications per client address."""

    def __init__(self, settings: Settings) -> None:
        self._storage = storage_from_string(settings.rate_limit_storage)
        self._shared = MovingWindowRateLimiter(self._storage)
        self._local = (
            self._shared
            if isinstance(self._storage, MemoryStorage)
            else MovingWindowRateLimiter(MemoryStorage())
        )
        self._rules = {
            name: _rule(getattr(settings, f"rate_limit_{name}")) for name in ROUTE_CLASSES
        }
        self._failures = _rule(settings.auth_failure_limit)

    def _counted(self, step: Callable[[MovingWindowRateLimiter], T]) -> T:
        """`step` on the shared counters, or on this process's while they do not answer."""
        try:
            return step(self._shared)
        except self._storage.base_exceptions as error:
            log.warning("rate_limit_storage_unavailable", error=str(error))
            return step(self._local)

    def _verdict(self, rule: RateLimitItem, ids: tuple[str, ...], count: bool) -> int | None:
        """None when the request may pass, else the seconds until the window frees a slot."""

        def step(limiter: MovingWindowRateLimiter) -> int | None:
            allowed = limiter.hit(rule, *ids) if count else limiter.test(rule, *ids)
            if allowed:
                return None
            reset = limiter.get_window_stats(rule, *ids).reset_time
            return max(1, math.ceil(reset - time.time()))

        return self._counted(step)

    def hit(self, route_class: RouteClass, caller: str) -> int | None:
        """Count one request; the seconds to wait when it is over the limit."""
        rule = self._rules[route_class]
        return None if rule is None else self._verdict(rule, (route_class, caller), count=True)

    def locked_out(self, address: str) -> int | None:
        """Seconds until `address` may try again, when it failed too often."""
        rule = self._failures
        return None if rule is None else self._verdict(rule, ("auth-failure", address), False)

    def failed(self, address: str) -> None:
        rule = self._failures
        if rule is not None:
            self._counted(lambda limiter: limiter.hit(rule, "auth-failure", address))


@dataclass
class ConcurrencyGate:
    """At most `cap` requests inside at once. All callers run on the server's event loop,
    so a plain counter is enough."""

    cap: int
    busy: int = 0

    def enter(self) -> bool:
        if self.busy >= self.cap:
            return False
        self.busy += 1
        return True

    def leave(self) -> None:
        self.busy -= 1


class BodyTooLarge(Exception):
    """The request body grew past the limit while it was being read."""


@dataclass
class LimitedBody:
    """Wraps `receive` so that reading more than `limit` bytes fails, whether or not the
    client announced a Content-Length (chunked bodies have none)."""

    receive: Receive
    limit: int
    received: int = 0
    exceeded: bool = False

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.exceeded = True
                raise BodyTooLarge
        return message


def declared_length(value: str | None) -> int | None:
    """The Content-Length header as a number, None when absent or malformed (the server
    rejects malformed ones itself)."""
    if value is None or not value.strip().isdigit():
        return None
    return int(value)
