"""One error schema for every failure: `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import Field, ValidationError
from starlette.exceptions import HTTPException

from rapport.core.errors import Busy, FieldError, InvalidInput, RapportError, clean_message
from rapport.core.models import Schema

log = structlog.get_logger(__name__)


class ErrorBody(Schema):
    code: str
    """Stable machine-readable code: invalid_input, not_found, conflict, unavailable..."""
    message: str
    """For people: what went wrong, naming the record and field."""
    details: list[FieldError] = Field(default_factory=list)
    """For invalid input: each bad record and field."""


class ErrorResponse(Schema):
    error: ErrorBody
    """What went wrong."""


def _respond(
    status: int,
    code: str,
    message: str,
    details: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=details or []))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The error schema, for middleware that answers before any route runs."""
    return _respond(status, code, message, headers=headers)


def _request_details(errors: list[Any]) -> list[FieldError]:
    details = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        where, rest = (loc[0], loc[1:]) if loc else ("request", [])
        if rest and rest[0].isdigit():  # a record inside a list body
            where, rest = f"record {rest[0]}", rest[1:]
        details.append(
            FieldError(
                record=where,
                field=".".join(rest) or "(value)",
                message=clean_message(error.get("msg", "")),
            )
        )
    return details


_HTTP_CODES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_input",
    413: "payload_too_large",
    429: "rate_limited",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RapportError)
    async def _rapport(_: Request, exc: RapportError) -> JSONResponse:
        details = exc.errors if isinstance(exc, InvalidInput) else None
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Busy) else None
        return _respond(exc.status, exc.code, str(exc), details, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = _request_details(list(exc.errors()))
        return _respond(422, "invalid_input", "request validation failed", details)

    @app.exception_handler(ValidationError)
    async def _model_validation(_: Request, exc: ValidationError) -> JSONResponse:
        details = _request_details(list(exc.errors()))
        return _respond(422, "invalid_input", "validation failed", details)

    @app.exception_handler(ValueError)
    async def _bad_value(_: Request, exc: ValueError) -> JSONResponse:
        # The engine raises ValueError for requests it cannot serve as asked (unknown peer...).
        return _respond(400, "bad_request", str(exc))

    @app.exception_handler(FileNotFoundError)
    async def _missing_file(_: Request, exc: FileNotFoundError) -> JSONResponse:
        # A file the server needs (model weights, artifacts) is gone: the server's fault.
        return _respond(503, "unavailable", str(exc))

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return _respond(
            exc.status_code,
            _HTTP_CODES.get(exc.status_code, "http_error"),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error", path=request.url.path, error=repr(exc), exc_info=exc)
        return _respond(500, "internal_error", "internal server error")
