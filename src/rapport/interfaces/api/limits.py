"""Request limits: rate limits per key and route class, throttling of failed
authentication, a concurrency cap for expensive routes and the body-size limit.

Counters live in this process (the `limits` library's memory storage): with
`serve --workers N` each worker counts on its own, so the effective limits are N times
the configured ones.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Literal

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import Message, Receive

from rapport.core.config import Settings

RouteClass = Literal["read", "write", "admin", "expensive"]
ROUTE_CLASSES: tuple[RouteClass, ...] = ("read", "write", "admin", "expensive")


def _rule(notation: str | None) -> RateLimitItem | None:
    return parse(notation) if notation else None


class RateLimits:
    """Moving-window counters: requests per (route class, caller) and failed
    authentications per client address."""

    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._rules = {
            name: _rule(getattr(settings, f"rate_limit_{name}")) for name in ROUTE_CLASSES
        }
        self._failures = _rule(settings.auth_failure_limit)

    def _retry_after(self, rule: RateLimitItem, *ids: str) -> int:
        reset = self._limiter.get_window_stats(rule, *ids).reset_time
        return max(1, math.ceil(reset - time.time()))

    def hit(self, route_class: RouteClass, caller: str) -> int | None:
        """Count one request; the seconds to wait when it is over the limit."""
        rule = self._rules[route_class]
        if rule is None or self._limiter.hit(rule, route_class, caller):
            return None
        return self._retry_after(rule, route_class, caller)

    def locked_out(self, address: str) -> int | None:
        """Seconds until `address` may try again, when it failed too often."""
        rule = self._failures
        if rule is None or self._limiter.test(rule, "auth-failure", address):
            return None
        return self._retry_after(rule, "auth-failure", address)

    def failed(self, address: str) -> None:
        if self._failures is not None:
            self._limiter.hit(self._failures, "auth-failure", address)


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
