"""Ingestion: reading records from files and request bodies, validating a whole batch before
anything is written, and writing items, users and events."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import orjson
from pydantic import BaseModel, Field, ValidationError

from rapport.core.errors import FieldError, InvalidInput, field_errors
from rapport.core.models import Event, Item, Schema, User
from rapport.core.store.repository import Store
from rapport.services.catalog import Catalog
from rapport.services.safety.moderation.queue import Screening

M = TypeVar("M", bound=BaseModel)

# Record label, raw fields (or None with a parse problem).
RawRecord = tuple[str, dict[str, Any] | FieldError]


_SURROGATE = re.compile("[\udc80-\udcff]")

RecordKind = Literal["items", "users", "events"]
Progress = Callable[[int], None]
# Moderation's hook: the items to store, flagged ones made inactive, and their queueing.
Screen = Callable[[str, Sequence[Item]], Screening]

FILE_BATCH = 5_000  # records per write transaction when importing a file
MAX_ERRORS = 1_000  # errors named one by one; the rest are counted
MODELS: dict[RecordKind, type[Item] | type[User] | type[Event]] = {
    "items": Item,
    "users": User,
    "events": Event,
}


class ImportReport(Schema):
    """What one ingestion call did."""

    received: int = 0
    """Records read."""
    written: int = 0
    """Records stored: new or changed items and users, new events."""
    duplicates: int = 0
    """Records whose id repeats. Events: id already stored or earlier in the batch; the first
    one is kept, later ones are left out (re-sending an event is harmless). Items and users:
    id earlier in the batch; the last one is stored, as a later upsert replaces an earlier
    one."""
    invalid: list[FieldError] = Field(default_factory=list)
    """Records rejected under `skip_invalid`."""


class Ingestor:
    """Writes validated batches; items are embedded right after they are stored."""

    def __init__(self, store: Store, catalog: Catalog, screen: Screen | None = None) -> None:
        self.store = store
        self.catalog = catalog
        self.screen = screen

    def ingest(
        self,
        tenant: str,
        kind: RecordKind,
        records: Iterable[RawRecord],
        *,
        skip_invalid: bool = False,
        index: bool = True,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Validate every record, then write them in one transaction per kind. Without
        `skip_invalid`, one bad record raises `InvalidInput` and nothing is written."""
        raw = list(records)
        report = ImportReport(received=len(raw))
        if kind == "items":
            items, report.invalid = validate(Item, raw, skip_invalid=skip_invalid)
            items = last_per_id(items)
            report.duplicates = len(raw) - len(report.invalid) - len(items)
            report.written, items = self._write_items(tenant, items, progress)
            if index and items:
                self.catalog.index_items(tenant, items, progress=progress)
        elif kind == "users":
            users, report.invalid = validate(User, raw, skip_invalid=skip_invalid)
            users = last_per_id(users)
            report.duplicates = len(raw) - len(report.invalid) - len(users)
            report.written = self.store.upsert_users(tenant, users, progress)
        else:
            events, report.invalid = validate(Event, raw, skip_invalid=skip_invalid)
            report.written = self.store.add_events(tenant, events, progress)
            report.duplicates = len(events) - report.written
        return report

    def ingest_file(
        self,
        tenant: str,
        kind: RecordKind,
        read: Callable[[], Iterable[RawRecord]],
        *,
        skip_invalid: bool = False,
        index: bool = True,
        progress: Progress | None = None,
        batch: int | None = None,
    ) -> ImportReport:
        """Import a file of any size with flat memory and short write locks.

        `read` opens the file anew on each call. A first pass validates every record and
        keeps only the errors: without `skip_invalid`, one bad record raises `InvalidInput`
        and nothing is written. A second pass writes `batch` (default `FILE_BATCH`) records
        per transaction, so other writers wait for one batch, never the whole file. Batches
        are idempotent
        (events by id, items and users by upsert): if the import is stopped midway, running
        it again completes it.
        """
        model: type[Item] | type[User] | type[Event] = MODELS[kind]
        batch = batch or FILE_BATCH
        report = ImportReport()
        errors: list[FieldError] = []
        unnamed = 0  # invalid records beyond the first MAX_ERRORS errors, only counted
        for label, raw in read():
            report.received += 1
            problems = _problems(model, label, raw)
            if len(errors) < MAX_ERRORS:
                errors.extend(problems)
            else:
                unnamed += bool(problems)
        if unnamed:
            message = f"and {unnamed} more invalid records"
            errors.append(FieldError(record="(file)", field="(records)", message=message))
        if errors and not skip_invalid:
            raise InvalidInput(errors)
        report.invalid = errors
        valid = 0
        seen: set[str] = set()  # ids of items and users given so far (events: the store knows)
        pending: list[Any] = []
        for _, raw in read():
            record = _valid(model, raw)
            if record is None:
                continue
            valid += 1
            if isinstance(record, Item | User):
                report.duplicates += record.id in seen
                seen.add(record.id)
            pending.append(record)
            if len(pending) >= batch:
                report.written += self._write(tenant, kind, pending, index, progress)
                pending = []
        if pending:
            report.written += self._write(tenant, kind, pending, index, progress)
        if kind == "events":
            report.duplicates = valid - report.written
        return report

    def _write(
        self,
        tenant: str,
        kind: RecordKind,
        records: list[Any],
        index: bool,
        progress: Progress | None,
    ) -> int:
        """One batch of valid records, in one transaction per kind."""
        if kind == "events":
            return self.store.add_events(tenant, records, progress)
        if kind == "users":
            return self.store.upsert_users(tenant, last_per_id(records), progress)
        items = last_per_id(records)
        written, items = self._write_items(tenant, items, progress)
        if index and items:
            self.catalog.index_items(tenant, items, progress=progress)
        return written

    def _write_items(
        self, tenant: str, items: list[Item], progress: Progress | None
    ) -> tuple[int, list[Item]]:
        """Items as stored (flagged ones inactive), with moderation's queue entries in the
        same transaction; returns the count written and the stored items."""
        if self.screen is None:
            return self.store.upsert_items(tenant, items, progress), items
        screened = self.screen(tenant, items)
        written = self.store.upsert_items(tenant, screened.items, progress, also=screened.queue)
        return written, screened.items


def _problems(
    model: type[BaseModel], label: str, raw: dict[str, Any] | FieldError
) -> list[FieldError]:
    if isinstance(raw, FieldError):
        return [raw]
    try:
        model.model_validate(raw)
    except ValidationError as exc:
        return field_errors(label, exc)
    return []


def _valid(model: type[M], raw: dict[str, Any] | FieldError) -> M | None:
    if isinstance(raw, FieldError):
        return None
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


R = TypeVar("R", Item, User)


def last_per_id(records: list[R]) -> list[R]:
    """One record per id, the last one given, in first-seen order."""
    return list({record.id: record for record in records}.values())


def validate(
    model: type[M], records: Iterable[RawRecord], *, skip_invalid: bool = False
) -> tuple[list[M], list[FieldError]]:
    """Validate every record. Without `skip_invalid`, any error raises `InvalidInput`
    before anything is written."""
    valid: list[M] = []
    errors: list[FieldError] = []
    for label, raw in records:
        if isinstance(raw, FieldError):
            errors.append(raw)
            continue
        try:
            valid.append(model.model_validate(raw))
        except ValidationError as exc:
            errors.extend(field_errors(label, exc))
    if errors and not skip_invalid:
        raise InvalidInput(errors)
    return valid, errors


def body_records(rows: Iterable[Any]) -> Iterator[RawRecord]:
    """Records of a request body or a library call (dicts or models), labelled by position."""
    for position, row in enumerate(rows):
        label = f"record {position}"
        if isinstance(row, BaseModel):
            yield label, row.model_dump()
        elif isinstance(row, dict):
            yield label, row
        else:
            yield (
                label,
                FieldError(record=label, field="(record)", message="expected a JSON object"),
            )


def file_records(path: Path) -> Iterator[RawRecord]:
    """Records of a JSONL or CSV file (by extension), labelled `file:line N`."""
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if path.suffix.lower() in {".csv", ".tsv"}:
        yield from _csv_records(path, "\t" if path.suffix.lower() == ".tsv" else ",")
    else:
        yield from _jsonl_records(path)


def _jsonl_records(path: Path) -> Iterator[RawRecord]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            label = f"{path.name}:line {number}"
            if not line.strip():
                continue
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield (
                    label,
                    FieldError(record=label, field="(line)", message=f"invalid JSON: {exc}"),
                )
                continue
            if not isinstance(value, dict):
                yield (
                    label,
                    FieldError(record=label, field="(line)", message="expected a JSON object"),
                )
                continue
            yield label, value


def _csv_records(path: Path, delimiter: str) -> Iterator[RawRecord]:
    # Bytes that are not UTF-8 become lone surrogates, so the row holding them can be named.
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # a cell over csv.field_size_limit(), a stray quote...
                # The reader counts only the lines it finished: the bad one is the next.
                label = f"{path.name}:line {reader.line_num + 1}"
                message = f"unreadable CSV: {exc}; the rest of the file was not read"
                yield label, FieldError(record=label, field="(line)", message=message)
                return
            label = f"{path.name}:line {reader.line_num}"
            problem = _row_problem(label, row)
            yield label, problem or unflatten(row)


def _row_problem(label: str, row: dict[str | None, Any]) -> FieldError | None:
    if None in row:
        return FieldError(record=label, field="(line)", message="more values than header columns")
    for key, cell in row.items():
        for part, text in (("header", key), ("value", cell)):
            bad = _SURROGATE.search(text) if isinstance(text, str) else None
            if bad:
                byte = bad.group().encode("utf-8", "surrogateescape").hex()
                message = f"{part} is not valid UTF-8 (byte 0x{byte}): save the file as UTF-8"
                return FieldError(record=label, field=str(key), message=message)
    return None


def unflatten(row: dict[str, str]) -> dict[str, Any]:
    """Turn a CSV row into a record: empty cells are absent, `a.b` columns nest, `lat`/`lon`
    become `location`, and cells holding JSON objects or lists are parsed."""
    record: dict[str, Any] = {}
    for key, cell in row.items():
        if cell is None or cell == "":
            continue
        value: Any = cell
        if cell[:1] in "{[":
            try:
                value = json.loads(cell)
            except json.JSONDecodeError:
                value = cell
        if key in ("lat", "lon"):
            record.setdefault("location", {})[key] = value
            continue
        target = record
        *parents, leaf = key.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return record
