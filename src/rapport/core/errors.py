"""Errors the engine raises; interfaces map them to HTTP statuses and CLI exits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound=BaseModel)


class FieldError(BaseModel):
    """One problem with one field of one input record."""

    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)

    record: str
    """Where the record came from: `events.jsonl:line 12`, `record 3`, `request`."""
    field: str
    """The field, dotted for nested ones (`location.lat`), or `(line)` / `(record)`."""
    message: str
    """What is wrong with the value."""

    def __str__(self) -> str:
        return f"{self.record}: field '{self.field}': {self.message}"


def clean_message(message: str) -> str:
    """A validation message without pydantic's "Value error, " prefix."""
    return message.removeprefix("Value error, ")


def field_errors(record: str, exc: ValidationError, whole: str = "(record)") -> list[FieldError]:
    """One `FieldError` per problem pydantic found in `record`; `whole` names a problem
    with the record as a whole."""
    return [
        FieldError(
            record=record,
            field=".".join(str(part) for part in error["loc"]) or whole,
            message=clean_message(error["msg"]),
        )
        for error in exc.errors()
    ]


def validated(
    model: type[M],
    records: Iterable[M | Mapping[str, Any]],
    label: str,
    *,
    first: int = 1,
    whole: str = "(record)",
) -> tuple[list[M], list[FieldError]]:
    """Every record as `model` (instances pass as they are), and the problems of those that
    are not, each named `<label> <number>` counting from `first`."""
    checked: list[M] = []
    problems: list[FieldError] = []
    for number, record in enumerate(records, first):
        if isinstance(record, model):
            checked.append(record)
            continue
        try:
            checked.append(model.model_validate(record))
        except ValidationError as exc:
            problems += field_errors(f"{label} {number}", exc, whole)
    return checked, problems


class RapportError(Exception):
    """Base class of the engine's errors."""

    status = 500
    code = "internal_error"


class InvalidInput(RapportError):
    """Input records failed validation; nothing was written."""

    status = 422
    code = "invalid_input"

    def __init__(self, errors: list[FieldError], written: int = 0) -> None:
        self.errors = errors
        self.written = written
        shown = "; ".join(str(e) for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} invalid record(s): {shown}{more}")


class NotFound(RapportError):
    """A referenced record does not exist."""

    status = 404
    code = "not_found"

    def __init__(self, kind: str, record_id: str, hint: str = "") -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(f"{kind} '{record_id}' not found" + (f": {hint}" if hint else ""))


class Conflict(RapportError):
    """The request is valid but the current state does not allow it (e.g. training a
    tenant that has no events yet)."""

    status = 409
    code = "conflict"


class Unavailable(RapportError):
    """A capability is not available in this configuration, or its files are missing."""

    status = 503
    code = "unavailable"


class Busy(Unavailable):
    """Another writer holds the database; the same request will work shortly."""

    code = "busy"
    retry_after = 5
    """Seconds a client should wait before trying again."""
