"""One error schema for every failure: `{"error": {"code", "message", "details"}}`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException

from rapport.core.errors import InvalidInput, RapportError


class ErrorDetail(BaseModel):
    record: str
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    error: ErrorBody


def _respond(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(
        error=ErrorBody(
            code=code, message=message, details=[ErrorDetail(**d) for d in details or []]
        )
    )
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _request_details(errors: list[Any]) -> list[dict[str, Any]]:
    details = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        where, rest = (loc[0], loc[1:]) if loc else ("request", [])
        if rest and rest[0].isdigit():  # a record inside a list body
            where, rest = f"record {rest[0]}", rest[1:]
        details.append(
            {
                "record": where,
                "field": ".".join(rest) or "(value)",
                "message": error.get("msg", "invalid"),
            }
        )
    return details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RapportError)
    async def _rapport(_: Request, exc: RapportError) -> JSONResponse:
        details = [vars(e) for e in exc.errors] if isinstance(exc, InvalidInput) else None
        return _respond(exc.status, exc.code, str(exc), details)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = _request_details(list(exc.errors()))
        return _respond(422, "invalid_input", "request validation failed", details)

    @app.exception_handler(ValidationError)
    async def _model_validation(_: Request, exc: ValidationError) -> JSONResponse:
        details = _request_details(list(exc.errors()))
        return _respond(422, "invalid_input", "validation failed", details)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        codes = {
            401: "unauthorized",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            422: "invalid_input",
        }
        return _respond(
            exc.status_code,
            codes.get(exc.status_code, "http_error"),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(FileNotFoundError)
    async def _missing(_: Request, exc: FileNotFoundError) -> JSONResponse:
        return _respond(404, "not_found", str(exc))
