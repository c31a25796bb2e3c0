"""The review queue: flagged items are stored inactive (kept out of lists, search and
recommendations) until a person approves them; rejected ones stay inactive."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from rapport.core.models import Item, Page, utcnow
from rapport.core.store.moderation import ModerationEntry, ModerationStore, Status
from rapport.core.store.repository import Store
from rapport.services.safety.moderation.classifier import (
    ModerationConfig,
    ModerationResult,
    TextModerator,
)


def entry_id(ref_kind: str, ref_id: str, text: str) -> str:
    """Same record and text, same entry: a re-import finds its earlier decision."""
    return hashlib.sha256(f"{ref_kind}\0{ref_id}\0{text}".encode()).hexdigest()[:32]


def item_text(item: Item) -> str:
    return f"{item.title}\n{item.text}".strip()


@dataclass(frozen=True)
class Screening:
    """The items to store, flagged ones made inactive, and the write that queues them (run
    in the items' own transaction)."""

    items: list[Item]
    queue: Callable[[Connection], None]


class ModerationQueue:
    def __init__(
        self,
        store: Store,
        entries: ModerationStore,
        moderator: TextModerator,
        config: ModerationConfig,
    ) -> None:
        self.store = store
        self.entries = entries
        self.moderator = moderator
        self.config = config

    def check(self, text: str) -> ModerationResult:
        return self.moderator.check(text)

    def screen_items(self, tenant: str, items: Sequence[Item]) -> Screening:
        """The items to store: those flagged (now or earlier, and not approved since) become
        inactive and are queued. Does nothing for tenants that did not enable moderation."""
        if not self.config.screens(tenant) or not items:
            return Screening(list(items), lambda conn: None)
        ids = [entry_id("item", i.id, item_text(i)) for i in items]
        decided = self.entries.get_many(tenant, ids)
        unseen = [(i, eid) for i, eid in zip(items, ids, strict=True) if eid not in decided]
        results = self.moderator.check_many([item_text(i) for i, _ in unseen])
        now = utcnow()
        queued = [
            ModerationEntry(
                id=eid,
                ref_kind="item",
                ref_id=item.id,
                text=item_text(item),
                labels=result.labels,
                status="pending",
                created_at=now,
            )
            for (item, eid), result in zip(unseen, results, strict=True)
            if result.flagged
        ]
        held = {e.id for e in queued} | {k for k, e in decided.items() if e.status != "approved"}
        return Screening(
            [
                item.model_copy(update={"active": False}) if eid in held else item
                for item, eid in zip(items, ids, strict=True)
            ],
            lambda conn: self.entries.add_in(conn, tenant, queued),
        )

    def screen_message(self, tenant: str, user_id: str, text: str) -> bool:
        """Whether a chat message is held: flagged ones are queued for review (`ref_kind`
        chat, `ref_id` the user). Always False for tenants that did not enable moderation."""
        if not self.config.screens(tenant):
            return False
        result = self.moderator.check(text)
        if result.flagged:
            entry = ModerationEntry(
                id=entry_id("chat", user_id, text),
                ref_kind="chat",
                ref_id=user_id,
                text=text,
                labels=result.labels,
                status="pending",
                created_at=utcnow(),
            )
            self.entries.add(tenant, [entry])
        return result.flagged

    def list(
        self, tenant: str, status: Status | None = "pending", limit: int = 50, offset: int = 0
    ) -> Page[ModerationEntry]:
        return self.entries.list(tenant, status, limit, offset)

    def approve(self, tenant: str, entry: str) -> ModerationEntry:
        """Approve: a held item becomes active."""
        return self._decide(tenant, entry, "approved")

    def reject(self, tenant: str, entry: str) -> ModerationEntry:
        """Reject: the item stays stored and inactive."""
        return self._decide(tenant, entry, "rejected")

    def _decide(self, tenant: str, entry: str, status: Status) -> ModerationEntry:
        decided = self.entries.decide(tenant, entry, status)
        if decided.ref_kind == "item":
            items = self.store.get_items(tenant, [decided.ref_id])
            # Only while the item still has the text that was judged.
            current = [i for i in items if entry_id("item", i.id, item_text(i)) == decided.id]
            if current:
                active = status == "approved"
                self.store.upsert_items(tenant, [current[0].model_copy(update={"active": active})])
        return decided
