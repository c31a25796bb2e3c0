"""`engine.items`: the catalogue."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from rapport.core.models import Item, Page
from rapport.core.requests import ItemListRequest, SimilarRequest
from rapport.engine.records import IdentifiedArea
from rapport.engine.services import options
from rapport.services.catalog import SimilarItem
from rapport.services.ingest import ImportReport, body_records, file_records

Progress = Callable[[int], None]


class Items(IdentifiedArea[Item]):
    kind = "items"
    model = Item

    def add(
        self,
        records: Iterable[dict[str, Any] | BaseModel],
        *,
        tenant: str | None = None,
        skip_invalid: bool = False,
        index: bool = True,
    ) -> ImportReport:
        """Create or replace items. With `index`, their vectors are refreshed right away."""
        return self._ingest(tenant, body_records(records), skip_invalid, index=index)

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
        return self._ingest(
            tenant, file_records(Path(path)), skip_invalid, index=index, progress=progress
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
