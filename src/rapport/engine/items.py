"""`engine.items`: the catalogue."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rapport.core.errors import FieldError, InvalidInput
from rapport.core.models import Item, Page
from rapport.core.requests import ItemListRequest, SimilarRequest
from rapport.engine.services import Services, options
from rapport.services.catalog import SimilarItem
from rapport.services.ingest import ImportReport, body_records, file_records

Progress = Callable[[int], None]


def check_same_id(path_id: str, body_id: str) -> None:
    """A replace names its record twice (path and body); they must agree."""
    if path_id != body_id:
        raise InvalidInput(
            [
                FieldError(
                    record="request",
                    field="id",
                    message=f"body id '{body_id}' does not match path id '{path_id}'",
                )
            ]
        )


class Items:
    def __init__(self, services: Services) -> None:
        self._s = services

    def add(
        self,
        records: Iterable[dict[str, Any] | Item],
        *,
        tenant: str | None = None,
        skip_invalid: bool = False,
        index: bool = True,
    ) -> ImportReport:
        """Create or replace items. With `index`, their vectors are refreshed right away."""
        return self._s.ingestor.ingest(
            self._s.tenant(tenant),
            "items",
            body_records(records),
            skip_invalid=skip_invalid,
            index=index,
        )

    def import_file(
        self,
        path: Path | str,
        *,
        tenant: str | None = None,
        skip_invalid: bool = False,
        index: bool = True,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import a JSONL or CSV file of items."""
        return self._s.ingestor.ingest(
            self._s.tenant(tenant),
            "items",
            file_records(Path(path)),
            skip_invalid=skip_invalid,
            index=index,
            progress=progress,
        )

    def get(self, item_id: str, *, tenant: str | None = None) -> Item:
        return self._s.store.get_item(self._s.tenant(tenant), item_id)

    def list(
        self,
        request: ItemListRequest | None = None,
        *,
        tenant: str | None = None,
        **request_options: Any,
    ) -> Page[Item]:
        """A page of the items matching the filters (`ItemListRequest` fields: the
        `ItemFilter` ones, `limit`, `offset`), ordered by id."""
        request = options(ItemListRequest, request, request_options)
        return self._s.store.list_items(
            self._s.tenant(tenant), request.only(), limit=request.limit, offset=request.offset
        )

    def replace(
        self, item_id: str, item: Item | dict[str, Any], *, tenant: str | None = None
    ) -> Item:
        """Replace an existing item (NotFound when there is none)."""
        tenant = self._s.tenant(tenant)
        record = item if isinstance(item, Item) else Item.model_validate(item)
        check_same_id(item_id, record.id)
        self._s.store.get_item(tenant, item_id)
        self.add([record], tenant=tenant)
        return self._s.store.get_item(tenant, item_id)

    def delete(self, item_id: str, *, tenant: str | None = None) -> None:
        self._s.store.delete_item(self._s.tenant(tenant), item_id)

    def similar(
        self,
        item_id: str,
        request: SimilarRequest | None = None,
        *,
        tenant: str | None = None,
        **request_options: Any,
    ) -> builtins.list[SimilarItem]:
        """Items nearest to this one by text embedding; `SimilarRequest` fields filter."""
        request = options(SimilarRequest, request, request_options)
        return self._s.catalog.similar_items(self._s.tenant(tenant), item_id, request)

    def index(self, *, tenant: str | None = None, progress: Progress | None = None) -> int:
        """Embed every item whose text changed since it was last embedded."""
        return self._s.catalog.index_items(self._s.tenant(tenant), progress=progress)
