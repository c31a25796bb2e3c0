"""Delivery channels behind one protocol, found by name: `webhook` and `email` are built
in; others (a Discord DM channel) register themselves with `ChannelRegistry.register`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from rapport.core.store.outbox import OutboxEntry
from rapport.services.engage.outbox.config import ChannelSettings


class ChannelError(Exception):
    """A delivery attempt failed. `permanent` failures are not retried (a refused
    recipient, a channel without settings); others are, with backoff."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class NotConfigured(ChannelError):
    """The channel lacks a setting for this tenant: failed at once, with the setting named
    (fix the settings, then `retry`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class Delivery:
    """One message on its way: the stored entry and what the sender worked out for it."""

    tenant: str
    entry: OutboxEntry
    settings: ChannelSettings
    """The tenant's channel settings."""
    link: str | None
    """The tracking link to show instead of `payload.url` (None: no `url`, or no
    `public_url` configured, then `payload.url` as it is)."""
    contact: dict[str, Any] = field(default_factory=dict)
    """The user's stored context (`user_contexts.context`), for channels that need an
    address the message does not carry."""

    @property
    def url(self) -> str | None:
        """The link to put in the message: the tracking link, else the payload's."""
        target = self.entry.payload.get("url")
        return self.link or (target if isinstance(target, str) else None)


class Channel(Protocol):
    """Sends one message; raises `ChannelError` when it could not."""

    name: str

    def send(self, delivery: Delivery, timeout: float) -> None: ...


class ChannelRegistry:
    """Channels by name."""

    def __init__(self, channels: Iterable[Channel] = ()) -> None:
        self._channels: dict[str, Channel] = {}
        for channel in channels:
            self.register(channel)

    def register(self, channel: Channel) -> None:
        """Add or replace the channel of this name."""
        self._channels[channel.name] = channel

    def get(self, name: str) -> Channel | None:
        return self._channels.get(name)

    @property
    def names(self) -> list[str]:
        return sorted(self._channels)
