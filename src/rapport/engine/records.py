"""What the record areas share: batch ingestion from calls and files, and replacing a record
by id (items and users)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from rapport.core.errors import FieldError, InvalidInput
from rapport.core.models import Item, User
from rapport.engine.services import Services
from rapport.services.ingest import (
    ImportReport,
    RawRecord,
    RecordKind,
    body_records,
    file_records,
)

Progress = Callable[[int], None]
R = TypeVar("R", Item, User)


class RecordArea:
    """Adds records of one kind; a bad record rejects the batch unless `skip_invalid`."""

    kind: ClassVar[RecordKind]

    def __init__(self, services: Services) -> None:
        self._s = services

    def _ingest(
        self, tenant: str | None, records: Iterable[RawRecord], skip_invalid: bool, **options: Any
    ) -> ImportReport:
        return self._s.ingestor.ingest(
            self._s.tenant(tenant), self.kind, records, skip_invalid=skip_invalid, **options
        )

    def add(
        self,
        records: Iterable[dict[str, Any] | BaseModel],
        *,
        tenant: str | None = None,
        skip_invalid: bool = False,
    ) -> ImportReport:
        """Create or replace records given as dicts or models (events: new ids only)."""
        return self._ingest(tenant, body_records(records), skip_invalid)

    def import_file(
        self,
        path: Path | str,
        *,
        tenant: str | None = None,
        skip_invalid: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import a JSONL file, or a CSV/TSV file with a header row, of any size: every
        record is checked before anything is written, then records are written in batches
        (memory stays flat; other writers wait for one batch at most)."""
        file = Path(path)
        if not file.is_file():
            raise FileNotFoundError(f"no such file: {file}")
        return self._s.ingestor.ingest_file(
            self._s.tenant(tenant),
            self.kind,
            lambda: file_records(file),
            skip_invalid=skip_invalid,
            progress=progress,
        )


class IdentifiedArea(RecordArea, Generic[R]):
    """Records addressed by id: got and replaced one at a time."""

    model: ClassVar[type[Item] | type[User]]

    def get(self, record_id: str, *, tenant: str | None = None) -> R:
        raise NotImplementedError

    def replace(
        self, record_id: str, record: R | dict[str, Any], *, tenant: str | None = None
    ) -> R:
        """Replace an existing record (NotFound when there is none); the id given and the
        record's own must agree."""
        tenant = self._s.tenant(tenant)
        value = record if isinstance(record, self.model) else self.model.model_validate(record)
        if value.id != record_id:
            message = f"body id '{value.id}' does not match path id '{record_id}'"
            raise InvalidInput([FieldError(record="request", field="id", message=message)])
        self.get(record_id, tenant=tenant)
        self.add([value], tenant=tenant)
        return self.get(record_id, tenant=tenant)
