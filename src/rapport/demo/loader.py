"""Loading the demo world into an engine (idempotent: re-running updates, never duplicates)."""

from __future__ import annotations

import json
from collections.abc import Callable

from rapport.core.config import Settings
from rapport.demo.world import DemoWorld, build_demo_world
from rapport.engine import Engine

RECEIVER_SETTINGS = ("default_channel", "webhook_url", "smtp_host", "tenants")


def log_messages_unless_configured(settings: Settings) -> bool:
    """With no delivery configured (no channel, webhook or mail server), the demo writes
    its nudges and reminders to the log instead of failing them. True when it did."""
    if any(settings.outbox.get(name) for name in RECEIVER_SETTINGS):
        return False
    settings.outbox = {**settings.outbox, "default_channel": "log"}
    return True


def load_demo(
    engine: Engine,
    world: DemoWorld | None = None,
    *,
    tenant: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write the demo items, users, events and knowledge-base documents (embedded), train
    the recommender on the demo history, set the assistant's persona, replay a few chats
    and save the demo process as `<data>/demo-process.json`."""
    world = world or build_demo_world()
    engine.users.add(world.users, tenant=tenant)
    engine.items.add(world.items, tenant=tenant, index=False)
    engine.items.index(tenant=tenant, progress=progress)
    report = engine.events.add(world.events, tenant=tenant)
    engine.kb.add_records(world.documents, tenant=tenant)
    engine.models.train(tenant=tenant)  # so the demo shows the collaborative source too
    # Abandonment risk, when the demo history has enough returns to learn from.
    engine.churn.retrain([engine.tenant(tenant)])
    engine.persona.set(world.persona, tenant=tenant)
    for chat in world.conversations:
        if engine.users.export(chat["user_id"], tenant=tenant).conversations:
            continue  # replayed by an earlier load
        conversation = None
        for message in chat["messages"]:
            reply = engine.assistant.chat(
                chat["user_id"], message, conversation_id=conversation, tenant=tenant
            )
            conversation = reply.conversation_id
    load_schedule(engine, world, tenant=tenant)
    process = engine.settings.data / "demo-process.json"
    process.write_text(json.dumps(world.process, indent=2) + "\n")
    return {
        "items": len(world.items),
        "users": len(world.users),
        "events": report.written,
        "documents": len(world.documents),
        "conversations": len(world.conversations),
        "providers": len(world.availability),
    }


def load_schedule(engine: Engine, world: DemoWorld, *, tenant: str | None = None) -> None:
    """Mentors' weekly availability, a user's busy calendar and preferences: the tour
    proposes a session and exports a plan around them."""
    for window in world.availability:
        engine.schedule.set_availability(
            window["item_id"], timezone=window["timezone"], weekly=window["weekly"], tenant=tenant
        )
    for calendar in world.calendars:
        engine.schedule.import_calendar(
            calendar["user_id"], ics=calendar["ics"], source=calendar["source"], tenant=tenant
        )
    for preferences in world.schedule_preferences:
        values = {k: v for k, v in preferences.items() if k != "user_id"}
        engine.schedule.set_preferences(preferences["user_id"], tenant=tenant, **values)
