"""The `at` every time-dependent operation takes, read one way for every area."""

from __future__ import annotations

from datetime import datetime

from pydantic import TypeAdapter, ValidationError

from rapport.core.errors import FieldError, InvalidInput
from rapport.core.models import Timestamp, utcnow

_TIME: TypeAdapter[datetime] = TypeAdapter(Timestamp)
When = datetime | str | float | None
"""A time: a datetime, ISO 8601 text (naive means UTC), epoch seconds, or None for now."""


def moment(at: When, field: str = "at") -> datetime:
    """`at` as an aware UTC datetime (now when None); InvalidInput naming `field`."""
    if at is None:
        return utcnow()
    try:
        return _TIME.validate_python(at)
    except ValidationError as exc:
        message = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise InvalidInput([FieldError(record="request", field=field, message=message)]) from exc
