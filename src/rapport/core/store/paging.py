"""The stores' shared reads: `page_of`, one page of a table's rows with the total that
match, for every listing; `one_of`, the one row a key names, or NotFound."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Engine, Table, func, select

from rapport.core.errors import NotFound
from rapport.core.models import Page

T = TypeVar("T")


def page_of(
    engine: Engine,
    table: Table,
    where: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    limit: int,
    offset: int,
    convert: Callable[[Mapping[str, Any]], T],
) -> Page[T]:
    """Rows of `table` matching `where`, in `order_by`, as `convert` makes them."""
    with engine.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(table).where(*where)) or 0
        rows = conn.execute(
            select(table).where(*where).order_by(*order_by).limit(limit).offset(offset)
        ).mappings()
        items = [convert(dict(row)) for row in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def one_of(
    engine: Engine,
    table: Table,
    where: Sequence[ColumnElement[bool]],
    convert: Callable[[Mapping[str, Any]], T],
    kind: str,
    key: str,
) -> T:
    """The row of `table` matching `where`, as `convert` makes it; NotFound naming the
    `kind` and `key` when there is none."""
    with engine.connect() as conn:
        row = conn.execute(select(table).where(*where)).mappings().first()
    if row is None:
        raise NotFound(kind, key)
    return convert(dict(row))
