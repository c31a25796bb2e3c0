"""The `Store`: every read and write of domain records, identical on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import (
    Connection,
    Engine,
    String,
    Table,
    and_,
    bindparam,
    cast,
    delete,
    event,
    exists,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Select

from rapport.core.errors import NotFound
from rapport.core.interactions import EventColumns
from rapport.core.models import (
    Event,
    Item,
    Location,
    Page,
    Profile,
    TenantStats,
    User,
    utcnow,
)
from rapport.core.requests import ItemFilter
from rapport.core.signals import NOT_SIGNALS
from rapport.core.store.database import migrate, open_database
from rapport.core.store.schema import (
    chunks,
    events,
    item_labels,
    items,
    tenants,
    users,
    vectors,
)

BATCH = 500  # rows per statement: below SQLite's variable limit, large enough to be fast
EARTH_KM = 6371.0088
T = TypeVar("T")
Progress = Callable[[int], None]


@dataclass(frozen=True)
class VectorRow:
    ref_id: str
    content_hash: str
    vector: np.ndarray


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def _chunks(rows: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class Store:
    """Domain records in a SQL database. Each public write is one transaction."""

    def __init__(self, url: str, busy_timeout: float = 30.0) -> None:
        self.url = url
        self.engine: Engine = open_database(url, busy_timeout)
        migrate(self.engine)
        self.writes = 0
        """Committed write transactions made by this process: lets caches skip asking the
        database whether anything changed when nothing here wrote."""
        self.table_writes: Counter[str] = Counter()
        """Committed writes by this process per table (`items`, `vectors`): lets a cache of
        one table ignore writes to others (recording an event does not change items)."""
        event.listen(self.engine, "commit", self._count_write)

    def _count_write(self, _connection: Connection) -> None:
        self.writes += 1

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- helpers ---------------------------------------------------------------------------

    def _insert(self, table: Table) -> Any:
        module = postgresql if self.dialect == "postgresql" else sqlite
        return module.insert(table)

    def _upsert(
        self,
        conn: Connection,
        table: Table,
        rows: list[dict[str, Any]],
        keys: list[str],
        keep: Iterable[str] = (),
        progress: Progress | None = None,
    ) -> None:
        """Insert rows, replacing existing ones except the columns in `keep`."""
        if not rows:
            return
        statement = self._insert(table)
        update = {c: statement.excluded[c] for c in rows[0] if c not in keys and c not in keep}
        statement = statement.on_conflict_do_update(index_elements=keys, set_=update)
        for part in _chunks(rows):
            conn.execute(statement, list(part))
            if progress:
                progress(len(part))

    def _ensure_tenant(self, conn: Connection, tenant: str) -> None:
        statement = self._insert(tenants).on_conflict_do_nothing(index_elements=["id"])
        conn.execute(statement, {"id": tenant, "name": tenant, "created_at": utcnow()})

    def tenants(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(select(tenants.c.id).order_by(tenants.c.id)))

    # -- items -----------------------------------------------------------------------------

    def upsert_items(
        self,
        tenant: str,
        records: Sequence[Item],
        progress: Progress | None = None,
        also: Callable[[Connection], None] | None = None,
    ) -> int:
        """Insert or replace items; `also` writes in the same transaction (moderation's queue
        entries for the items it holds back), so both land or neither does."""
        now = utcnow()
        records = list({item.id: item for item in records}.values())  # last one per id wins
        rows = [_item_row(tenant, item, now) for item in records]
        labels = [
            {"tenant_id": tenant, "item_id": item.id, "field": field, "value": value}
            for item in records
            for field, values in (("tag", item.tags), ("category", item.categories))
            for value in dict.fromkeys(values)
        ]
        with self.engine.begin() as conn:
            self._ensure_tenant(conn, tenant)
            self._upsert(
                conn, items, rows, ["tenant_id", "id"], keep=["created_at"], progress=progress
            )
            ids = [item.id for item in records]
            for part in _chunks(ids):
                conn.execute(
                    delete(item_labels).where(
                        item_labels.c.tenant_id == tenant, item_labels.c.item_id.in_(part)
                    )
                )
            for batch in _chunks(labels):
                conn.execute(item_labels.insert(), list(batch))
            if also is not None:
                also(conn)
        self.table_writes["items"] += 1
        return len(rows)

    def get_item(self, tenant: str, item_id: str) -> Item:
        found = self.get_items(tenant, [item_id])
        if not found:
            raise NotFound("item", item_id)
        return found[0]

    def get_items(self, tenant: str, ids: Sequence[str]) -> list[Item]:
        """Items with these ids, in the given order; unknown ids are left out."""
        by_id: dict[str, Item] = {}
        with self.engine.connect() as conn:
            for part in _chunks(list(dict.fromkeys(ids))):
                query = select(items).where(items.c.tenant_id == tenant, items.c.id.in_(part))
                by_id.update((row.id, _row_item(row)) for row in conn.execute(query))
        return [by_id[i] for i in ids if i in by_id]

    def list_items(
        self, tenant: str, query: ItemFilter | None = None, *, limit: int = 50, offset: int = 0
    ) -> Page[Item]:
        query = query or ItemFilter()
        statement = self._item_select(tenant, query)
        with self.engine.connect() as conn:
            if query.radius_km is None:
                total = conn.scalar(select(func.count()).select_from(statement.subquery())) or 0
                rows = conn.execute(statement.order_by(items.c.id).limit(limit).offset(offset))
                found = [_row_item(row) for row in rows]
            else:
                # The SQL bounding box narrows the rows; the exact circle is checked here.
                inside = [
                    _row_item(row)
                    for row in conn.execute(statement.order_by(items.c.id))
                    if _within(row, query)
                ]
                total, found = len(inside), inside[offset : offset + limit]
        return Page[Item](items=found, total=total, limit=limit, offset=offset)

    def item_ids(self, tenant: str, query: ItemFilter | None = None) -> list[str]:
        """Ids of all items matching `query`: candidate sets for search and recommendation."""
        query = query or ItemFilter()
        statement = self._item_select(tenant, query)
        with self.engine.connect() as conn:
            if query.radius_km is None:
                return list(conn.scalars(select(statement.subquery().c.id)))
            return [r.id for r in conn.execute(statement) if _within(r, query)]

    def _item_select(self, tenant: str, query: ItemFilter) -> Select[Any]:
        statement = select(items).where(items.c.tenant_id == tenant)
        if query.kind:
            statement = statement.where(items.c.kind == query.kind)
        if not query.include_inactive:
            statement = statement.where(items.c.active.is_(True))
        for field, values in (("category", query.categories), ("tag", query.tags)):
            if values:
                labelled = select(item_labels.c.item_id).where(
                    item_labels.c.tenant_id == tenant,
                    item_labels.c.field == field,
                    item_labels.c.value.in_(values),
                )
                statement = statement.where(items.c.id.in_(labelled))
        if query.at is not None or query.active_now:
            at = query.at or utcnow()
            statement = statement.where(or_(items.c.ends_at.is_(None), items.c.ends_at >= at))
            if query.active_now:
                statement = statement.where(
                    or_(items.c.starts_at.is_(None), items.c.starts_at <= at)
                )
        if query.min_price is not None:
            statement = statement.where(items.c.price >= query.min_price)
        if query.max_price is not None:
            statement = statement.where(items.c.price <= query.max_price)
        place = query.location
        if place is not None and query.radius_km is not None:
            dlat = math.degrees(query.radius_km / EARTH_KM)
            dlon = dlat / max(math.cos(math.radians(place.lat)), 1e-6)
            statement = statement.where(
                and_(
                    items.c.lat.between(place.lat - dlat, place.lat + dlat),
                    items.c.lon.between(place.lon - dlon, place.lon + dlon),
                )
            )
        return statement

    def item_state(self, tenant: str) -> tuple[int, datetime | None]:
        """(count, newest update) of a tenant's items: cheap change detection for caches."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(func.count(), func.max(items.c.updated_at)).where(
                    items.c.tenant_id == tenant
                )
            ).one()
        return int(row[0]), row[1]

    def all_items(self, tenant: str) -> list[Item]:
        """Every item of the tenant, active or not, ordered by id."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(items).where(items.c.tenant_id == tenant).order_by(items.c.id)
            )
            return [_row_item(row) for row in rows]

    def iter_item_rows(
        self, tenant: str, *, changed_after: datetime | None = None, batch: int = 20_000
    ) -> Iterator[list[Any]]:
        """Items as light rows (every column but the text) in batches, ordered by id; with
        `changed_after`, only those written after it. The request-time catalogue is built
        from these without making an `Item` per row."""
        columns = [c for c in items.c if c.name not in ("tenant_id", "text")]
        statement = select(*columns).where(items.c.tenant_id == tenant)
        if changed_after is not None:
            statement = statement.where(items.c.updated_at > changed_after)
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=batch).execute(statement.order_by(items.c.id))
            for part in result.partitions():
                yield list(part)

    def delete_item(self, tenant: str, item_id: str) -> None:
        with self.engine.begin() as conn:
            deleted = conn.execute(
                delete(items).where(items.c.tenant_id == tenant, items.c.id == item_id)
            ).rowcount
            if not deleted:
                raise NotFound("item", item_id)
            conn.execute(
                delete(item_labels).where(
                    item_labels.c.tenant_id == tenant, item_labels.c.item_id == item_id
                )
            )
            conn.execute(
                delete(vectors).where(
                    vectors.c.tenant_id == tenant,
                    vectors.c.space == "item",
                    vectors.c.ref_id == item_id,
                )
            )
        self.table_writes.update(("items", "vectors"))

    # -- users -----------------------------------------------------------------------------

    def upsert_users(
        self, tenant: str, records: Sequence[User], progress: Progress | None = None
    ) -> int:
        now = utcnow()
        records = list({user.id: user for user in records}.values())  # last one per id wins
        rows = [_user_row(tenant, user, now) for user in records]
        with self.engine.begin() as conn:
            self._ensure_tenant(conn, tenant)
            self._upsert(
                conn, users, rows, ["tenant_id", "id"], keep=["created_at"], progress=progress
            )
        return len(rows)

    def get_user(self, tenant: str, user_id: str) -> User:
        with self.engine.connect() as conn:
            row = conn.execute(_USER, {"tenant": tenant, "user": user_id}).first()
        if row is None:
            raise NotFound("user", user_id)
        return _row_user(row)

    def list_users(self, tenant: str, *, limit: int = 50, offset: int = 0) -> Page[User]:
        with self.engine.connect() as conn:
            total = (
                conn.scalar(
                    select(func.count()).select_from(users).where(users.c.tenant_id == tenant)
                )
                or 0
            )
            rows = conn.execute(
                select(users)
                .where(users.c.tenant_id == tenant)
                .order_by(users.c.id)
                .limit(limit)
                .offset(offset)
            )
            found = [_row_user(row) for row in rows]
        return Page[User](items=found, total=total, limit=limit, offset=offset)

    # -- events ----------------------------------------------------------------------------

    def add_events(
        self, tenant: str, records: Sequence[Event], progress: Progress | None = None
    ) -> int:
        """Store new events; ids already stored (or repeated in the batch) are skipped: the
        first event with an id is the one kept, in the batch as in the store.

        Returns how many were new.
        """
        first: dict[str | None, Event] = {}
        for record in records:
            first.setdefault(record.id, record)
        unique = list(first.values())
        now = utcnow()
        written = 0
        with self.engine.begin() as conn:
            self._ensure_tenant(conn, tenant)
            statement = self._insert(events).on_conflict_do_nothing(
                index_elements=["tenant_id", "id"]
            )
            # Events may arrive before their users are imported: register them bare.
            self._insert_missing_users(conn, tenant, {e.user_id for e in unique}, now)
            for part in _chunks(unique):
                ids = [event.id for event in part]
                known = set(
                    conn.scalars(
                        select(events.c.id).where(
                            events.c.tenant_id == tenant, events.c.id.in_(ids)
                        )
                    )
                )
                rows = [_event_row(tenant, e, now) for e in part if e.id not in known]
                if rows:
                    conn.execute(statement, rows)
                    written += len(rows)
                if progress:
                    progress(len(part))
        return written

    def _insert_missing_users(
        self, conn: Connection, tenant: str, ids: set[str], now: datetime
    ) -> None:
        statement = self._insert(users).on_conflict_do_nothing(index_elements=["tenant_id", "id"])
        rows = [
            {
                "tenant_id": tenant,
                "id": user_id,
                "profile": {},
                "timezone": "UTC",
                "consent": True,
                "ai_opt_out": False,
                "created_at": now,
                "updated_at": now,
            }
            for user_id in sorted(ids)
        ]
        for part in _chunks(rows):
            conn.execute(statement, list(part))

    def list_events(
        self,
        tenant: str,
        *,
        user_id: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Event]:
        statement = select(events).where(events.c.tenant_id == tenant)
        if user_id is not None:
            statement = statement.where(events.c.user_id == user_id)
        if since is not None:
            statement = statement.where(events.c.timestamp >= since)
        order = events.c.timestamp.desc() if newest_first else events.c.timestamp
        statement = statement.order_by(order, events.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [_row_event(row) for row in conn.execute(statement)]

    def count_events(self, tenant: str, *, about_items: bool = False) -> int:
        """Events of the tenant; with `about_items`, only those naming an item."""
        statement = select(func.count()).select_from(events).where(events.c.tenant_id == tenant)
        if about_items:
            statement = statement.where(events.c.item_id.is_not(None))
        with self.engine.connect() as conn:
            return int(conn.scalar(statement) or 0)

    def item_signals(
        self,
        tenant: str,
        since: datetime | None = None,
        *,
        user_id: str | None = None,
        limit: int | None = None,
    ) -> list[tuple[str, str, float | None, datetime]]:
        """(item_id, type, value, timestamp) of item events, newest first: the raw input of
        popularity and of a user's state (lighter than whole `Event` records)."""
        statement = select(events.c.item_id, events.c.type, events.c.value, events.c.timestamp)
        statement = statement.where(
            events.c.tenant_id == tenant,
            events.c.item_id.is_not(None),
            events.c.type.not_in(NOT_SIGNALS),
        )
        if user_id is not None:
            statement = statement.where(events.c.user_id == user_id)
        if since is not None:
            statement = statement.where(events.c.timestamp >= since)
        statement = statement.order_by(events.c.timestamp.desc(), events.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [(r[0], r[1], r[2], r[3]) for r in conn.execute(statement)]

    def user_signal_columns(self, tenant: str, user_id: str, limit: int) -> EventColumns:
        """`item_signals` of one user (the newest `limit`, newest first) as columns, with
        times parsed for the whole batch at once: the per-request read of a user's history,
        where building a datetime per row cost more than the query."""
        with self.engine.connect() as conn:
            params = {"tenant": tenant, "user": user_id, "limit": limit}
            rows = conn.execute(_USER_SIGNALS, params).all()
        if not rows:
            return EventColumns([], [], [], np.zeros(0), np.zeros(0))
        item_ids, types, values, stamps = zip(*rows, strict=True)
        return EventColumns(
            user_ids=[user_id] * len(rows),
            item_ids=list(item_ids),
            types=list(types),
            values=np.array(values, dtype=np.float64),
            times=np.array(stamps, dtype="datetime64[us]").astype(np.int64) / 1e6,
        )

    def item_event_columns(self, tenant: str, batch: int = 100_000) -> Iterator[EventColumns]:
        """Every item event of the tenant as column batches, in event-id order: the training
        input, streamed without building one record per event. Events of users who did not
        consent (`consent = false`) are left out: only consented data trains models."""
        refused = exists().where(
            users.c.tenant_id == events.c.tenant_id,
            users.c.id == events.c.user_id,
            users.c.consent.is_(False),
        )
        statement = (
            select(
                events.c.user_id,
                events.c.item_id,
                events.c.type,
                events.c.value,
                cast(events.c.timestamp, String),  # parsed below, a batch at a time
            )
            .where(
                events.c.tenant_id == tenant,
                events.c.item_id.is_not(None),
                events.c.type.not_in(NOT_SIGNALS),
                ~refused,
            )
            .order_by(events.c.tenant_id, events.c.id)  # key order: a scan, no sort
        )
        with self.engine.connect() as conn:
            for rows in conn.execution_options(yield_per=batch).execute(statement).partitions():
                user_ids, item_ids, types, values, stamps = zip(*rows, strict=True)
                yield EventColumns(
                    user_ids=list(user_ids),
                    item_ids=list(item_ids),
                    types=list(types),
                    values=np.array(values, dtype=np.float64),
                    times=np.array(stamps, dtype="datetime64[us]").astype(np.int64) / 1e6,
                )

    # -- counts ----------------------------------------------------------------------------

    def unembedded(self, tenant: str, model: str, space: str, table: Table) -> Select[Any]:
        """Rows of `table` (items or chunks) without a vector from `model` in `space`."""
        embedded = (
            select(vectors.c.ref_id)
            .where(
                vectors.c.tenant_id == tenant,
                vectors.c.space == space,
                vectors.c.model == model,
                vectors.c.ref_id == table.c.id,
            )
            .exists()
        )
        return select(table).where(table.c.tenant_id == tenant, ~embedded)

    def count_unembedded(self, tenant: str, model: str) -> tuple[int, int]:
        """(items, knowledge chunks) without a vector from `model`: what an import stopped
        while embedding left behind."""
        with self.engine.connect() as conn:
            return tuple(  # type: ignore[return-value]
                int(
                    conn.scalar(
                        select(func.count()).select_from(
                            self.unembedded(tenant, model, space, table).subquery()
                        )
                    )
                    or 0
                )
                for space, table in (("item", items), ("chunk", chunks))
            )

    def stats(self, tenant: str, embedding_model: str | None = None) -> TenantStats:
        """Counts of users, items per kind and events of one tenant; with `embedding_model`,
        also what still waits for its vector."""
        with self.engine.connect() as conn:
            kinds: dict[str, int] = dict(
                conn.execute(
                    select(items.c.kind, func.count())
                    .where(items.c.tenant_id == tenant)
                    .group_by(items.c.kind)
                    .order_by(items.c.kind)
                ).all()
            )
            counted = {
                name: conn.scalar(
                    select(func.count()).select_from(table).where(table.c.tenant_id == tenant)
                )
                or 0
                for name, table in (("users", users), ("events", events))
            }
        unembedded = self.count_unembedded(tenant, embedding_model) if embedding_model else (0, 0)
        return TenantStats(
            tenant=tenant,
            users=counted["users"],
            items=sum(kinds.values()),
            items_by_kind=kinds,
            events=counted["events"],
            unindexed_items=unembedded[0],
            unindexed_chunks=unembedded[1],
        )

    def ping(self) -> None:
        """Raises when the database does not answer."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    # -- vectors ---------------------------------------------------------------------------

    def vectors_by_hash(
        self, tenant: str, model: str, hashes: Sequence[str]
    ) -> dict[str, np.ndarray]:
        """Already computed vectors for these content hashes, from any record of the same
        tenant. Never another tenant's: reusing them would tell, by how fast a write is,
        whether some other tenant stores the same text."""
        found: dict[str, np.ndarray] = {}
        with self.engine.connect() as conn:
            for part in _chunks(list(dict.fromkeys(hashes))):
                rows = conn.execute(
                    select(vectors.c.content_hash, vectors.c.vector).where(
                        vectors.c.tenant_id == tenant,
                        vectors.c.model == model,
                        vectors.c.content_hash.in_(part),
                    )
                )
                found.update((row.content_hash, row.vector) for row in rows)
        return found

    def vector_hashes(
        self, tenant: str, space: str, model: str, ref_ids: Sequence[str]
    ) -> dict[str, str]:
        """Content hash of the stored vector of each ref id that has one."""
        found: dict[str, str] = {}
        with self.engine.connect() as conn:
            for part in _chunks(list(ref_ids)):
                rows = conn.execute(
                    select(vectors.c.ref_id, vectors.c.content_hash).where(
                        vectors.c.tenant_id == tenant,
                        vectors.c.space == space,
                        vectors.c.model == model,
                        vectors.c.ref_id.in_(part),
                    )
                )
                found.update((row.ref_id, row.content_hash) for row in rows)
        return found

    def upsert_vectors(
        self, tenant: str, space: str, model: str, rows: Sequence[tuple[str, str, np.ndarray]]
    ) -> None:
        """Store `(ref_id, content_hash, vector)` rows for one space and model."""
        now = utcnow()
        values = [
            {
                "tenant_id": tenant,
                "space": space,
                "ref_id": ref,
                "model": model,
                "content_hash": digest,
                "dim": len(vector),
                "vector": vector,
                "updated_at": now,
            }
            for ref, digest, vector in rows
        ]
        with self.engine.begin() as conn:
            self._upsert(conn, vectors, values, ["tenant_id", "space", "ref_id", "model"])
        self.table_writes["vectors"] += 1

    def load_vectors(
        self,
        tenant: str,
        space: str,
        model: str,
        *,
        ref_ids: Sequence[str] | None = None,
        changed_after: datetime | None = None,
    ) -> list[VectorRow]:
        statement = select(vectors.c.ref_id, vectors.c.content_hash, vectors.c.vector).where(
            vectors.c.tenant_id == tenant, vectors.c.space == space, vectors.c.model == model
        )
        if changed_after is not None:
            statement = statement.where(vectors.c.updated_at > changed_after)
        with self.engine.connect() as conn:
            if ref_ids is None:
                rows = list(conn.execute(statement))
            else:
                rows = [
                    row
                    for part in _chunks(list(ref_ids))
                    for row in conn.execute(statement.where(vectors.c.ref_id.in_(part)))
                ]
        return [VectorRow(r.ref_id, r.content_hash, r.vector) for r in rows]

    def iter_vectors(
        self,
        tenant: str,
        space: str,
        model: str,
        *,
        changed_after: datetime | None = None,
        batch: int = 20_000,
    ) -> Iterator[tuple[list[str], np.ndarray]]:
        """A space's vectors (those written after `changed_after`) as (ref ids, matrix)
        batches, streamed so a million vectors never sit in memory twice."""
        statement = select(vectors.c.ref_id, vectors.c.vector).where(
            vectors.c.tenant_id == tenant, vectors.c.space == space, vectors.c.model == model
        )
        if changed_after is not None:
            statement = statement.where(vectors.c.updated_at > changed_after)
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=batch).execute(statement)
            for part in result.partitions():
                yield [row.ref_id for row in part], np.vstack([row.vector for row in part])

    def vector_ids(self, tenant: str, space: str, model: str) -> list[str]:
        """Ref ids of every vector of a space: what a cache compares with to find deletions."""
        with self.engine.connect() as conn:
            return list(
                conn.scalars(
                    select(vectors.c.ref_id).where(
                        vectors.c.tenant_id == tenant,
                        vectors.c.space == space,
                        vectors.c.model == model,
                    )
                )
            )

    def signal_counts(
        self, tenant: str, since: datetime | None = None
    ) -> list[tuple[str, str, float | None, datetime | None, int]]:
        """Item events counted per (item, type, value) and, with `since`, per day too:
        `(item_id, type, value, day, count)`, day being None without `since`. Popularity is
        computed from these aggregates instead of from every event."""
        day = func.date(events.c.timestamp) if since is not None else None
        keys: list[Any] = [events.c.item_id, events.c.type, events.c.value]
        if day is not None:
            keys.append(day)
        statement = (
            select(*keys, func.count())
            .where(
                events.c.tenant_id == tenant,
                events.c.item_id.is_not(None),
                events.c.type.not_in(NOT_SIGNALS),
            )
            .group_by(*keys)
        )
        if since is not None:
            statement = statement.where(events.c.timestamp >= since)
        found = []
        with self.engine.connect() as conn:
            for row in conn.execute(statement):
                when = _as_day(row[3]) if day is not None else None
                found.append((row[0], row[1], row[2], when, int(row[-1])))
        return found

    def vector_state(self, tenant: str, space: str, model: str) -> tuple[int, datetime | None]:
        """(count, newest update) of a vector space: cheap change detection for indexes."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(func.count(), func.max(vectors.c.updated_at)).where(
                    vectors.c.tenant_id == tenant,
                    vectors.c.space == space,
                    vectors.c.model == model,
                )
            ).one()
        return int(row[0]), row[1]


# -- row mapping -------------------------------------------------------------------------


# Statements of the per-request reads, built once: building the expression cost more
# than running the query.
_USER = select(users).where(
    users.c.tenant_id == bindparam("tenant"), users.c.id == bindparam("user")
)
_USER_SIGNALS = (
    select(events.c.item_id, events.c.type, events.c.value, cast(events.c.timestamp, String))
    .where(
        events.c.tenant_id == bindparam("tenant"),
        events.c.user_id == bindparam("user"),
        events.c.item_id.is_not(None),
        events.c.type.not_in(NOT_SIGNALS),
    )
    .order_by(events.c.timestamp.desc(), events.c.id)
    .limit(bindparam("limit"))
)


def _as_day(value: Any) -> datetime:
    """A `date()` result (a date on PostgreSQL, 'YYYY-MM-DD' on SQLite) as UTC midnight."""
    text_value = value if isinstance(value, str) else value.isoformat()
    return datetime.fromisoformat(text_value[:10]).replace(tzinfo=UTC)


def _within(row: Any, query: ItemFilter) -> bool:
    place = query.location
    if place is None or query.radius_km is None:
        return True
    if row.lat is None or row.lon is None:
        return False
    return haversine_km(place.lat, place.lon, row.lat, row.lon) <= query.radius_km


def _item_row(tenant: str, item: Item, now: datetime) -> dict[str, Any]:
    return {
        "tenant_id": tenant,
        "id": item.id,
        "kind": item.kind,
        "title": item.title,
        "text": item.text,
        "tags": item.tags,
        "categories": item.categories,
        "attributes": item.attributes,
        "lat": item.location.lat if item.location else None,
        "lon": item.location.lon if item.location else None,
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
        "price": item.price,
        "original_price": item.original_price,
        "active": item.active,
        "created_at": item.created_at or now,
        "updated_at": now,
    }


def _row_item(row: Any) -> Item:
    location = Location(lat=row.lat, lon=row.lon) if row.lat is not None else None
    return Item.model_construct(
        id=row.id,
        kind=row.kind,
        title=row.title,
        text=row.text,
        tags=row.tags,
        categories=row.categories,
        attributes=row.attributes,
        location=location,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        price=row.price,
        original_price=row.original_price,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _user_row(tenant: str, user: User, now: datetime) -> dict[str, Any]:
    return {
        "tenant_id": tenant,
        "id": user.id,
        "profile": user.profile.model_dump(mode="json", exclude_none=True),
        "timezone": user.timezone,
        "lat": user.location.lat if user.location else None,
        "lon": user.location.lon if user.location else None,
        "consent": user.consent,
        "ai_opt_out": user.ai_opt_out,
        "created_at": user.created_at or now,
        "updated_at": now,
    }


def _row_user(row: Any) -> User:
    location = Location(lat=row.lat, lon=row.lon) if row.lat is not None else None
    return User.model_construct(
        id=row.id,
        profile=Profile.model_validate(row.profile),
        timezone=row.timezone,
        location=location,
        consent=row.consent,
        ai_opt_out=row.ai_opt_out,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _event_row(tenant: str, event: Event, now: datetime) -> dict[str, Any]:
    return {
        "tenant_id": tenant,
        "id": event.id,
        "user_id": event.user_id,
        "item_id": event.item_id,
        "type": event.type,
        "value": event.value,
        "timestamp": event.timestamp,
        "context": event.context,
        "received_at": now,
    }


def _row_event(row: Any) -> Event:
    return Event.model_construct(
        id=row.id,
        user_id=row.user_id,
        item_id=row.item_id,
        type=row.type,
        value=row.value,
        timestamp=row.timestamp,
        context=row.context,
    )
