"""Reading and validating records from files and request bodies."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from rapport.core.errors import FieldError, InvalidInput

M = TypeVar("M", bound=BaseModel)

# Record label, raw fields (or None with a parse problem).
RawRecord = tuple[str, dict[str, Any] | FieldError]


@dataclass
class ImportReport:
    """What one ingestion call did."""

    received: int = 0
    written: int = 0
    """Records stored: new or changed items and users, new events."""
    duplicates: int = 0
    """Events whose id was already stored (or repeated in the batch): left untouched."""
    invalid: list[FieldError] = field(default_factory=list)
    """Records rejected under `skip_invalid`."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "written": self.written,
            "duplicates": self.duplicates,
            "invalid": [vars(error) for error in self.invalid],
        }


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
            errors.extend(_field_errors(label, exc))
    if errors and not skip_invalid:
        raise InvalidInput(errors)
    return valid, errors


def _field_errors(label: str, exc: ValidationError) -> list[FieldError]:
    result = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(record)"
        result.append(FieldError(record=label, field=where, message=error["msg"]))
    return result


def body_records(rows: list[Any]) -> Iterator[RawRecord]:
    """Records of a JSON request body, labelled by their position."""
    for position, row in enumerate(rows):
        label = f"record {position}"
        if isinstance(row, dict):
            yield label, row
        else:
            yield label, FieldError(label, "(record)", "expected a JSON object")


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
                yield label, FieldError(label, "(line)", f"invalid JSON: {exc}")
                continue
            if not isinstance(value, dict):
                yield label, FieldError(label, "(line)", "expected a JSON object")
                continue
            yield label, value


def _csv_records(path: Path, delimiter: str) -> Iterator[RawRecord]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        for row in reader:
            label = f"{path.name}:line {reader.line_num}"
            if None in row:
                yield label, FieldError(label, "(line)", "more values than header columns")
                continue
            yield label, unflatten(row)


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
