"""Loading the demo world into an engine (idempotent: re-running updates, never duplicates)."""

from __future__ import annotations

from collections.abc import Callable

from rapport.demo.world import DemoWorld, build_demo_world
from rapport.engine import Engine


def load_demo(
    engine: Engine,
    world: DemoWorld | None = None,
    *,
    tenant: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write the demo items, users, events and knowledge-base documents (embedded), and
    train the recommender on the demo history."""
    world = world or build_demo_world()
    engine.users.add(world.users, tenant=tenant)
    engine.items.add(world.items, tenant=tenant, index=False)
    engine.items.index(tenant=tenant, progress=progress)
    report = engine.events.add(world.events, tenant=tenant)
    engine.kb.add_records(world.documents, tenant=tenant)
    engine.models.train(tenant=tenant)  # so the demo shows the collaborative source too
    return {
        "items": len(world.items),
        "users": len(world.users),
        "events": report.written,
        "documents": len(world.documents),
    }
