"""Request dependencies: the engine, authentication and the tenant."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request, status

from rapport.core.errors import FieldError, InvalidInput
from rapport.engine import Engine


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]

JsonRecords = list[dict[str, Any]]
"""A batch body: records are validated one by one so errors can name them."""


def require_api_key(
    engine: EngineDep,
    x_api_key: Annotated[str | None, Header(description="The API key.")] = None,
    authorization: Annotated[
        str | None, Header(description="`Bearer KEY`, instead of `X-API-Key`.")
    ] = None,
) -> None:
    """Accept the admin key as `X-API-Key: KEY` or `Authorization: Bearer KEY`."""
    expected = engine.settings.api_key
    if expected is None:
        return  # open mode: `serve` only binds loopback without a key
    sent = x_api_key
    if sent is None and authorization and authorization.lower().startswith("bearer "):
        sent = authorization[7:].strip()
    if sent is None or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or invalid API key",
            headers={"WWW-Authenticate": "Bearer"},
        )


def get_tenant(
    engine: EngineDep,
    x_tenant: Annotated[
        str | None, Header(description="The tenant to act on (default: the configured one).")
    ] = None,
) -> str:
    """The tenant named by the `X-Tenant` header, or the configured default."""
    return engine.tenant(x_tenant)


TenantDep = Annotated[str, Depends(get_tenant)]


_CONTROL = {chr(c) for c in range(32)} | {"\x7f"}


def reject_control_characters(request: Request) -> None:
    """Path parameters are ids and names: no control characters. Query values are text: no
    NUL. Checked once for every route, including routers added later (PostgreSQL cannot
    even compare a NUL, so a lookup would fail instead of finding nothing)."""
    errors = [
        FieldError(record="path", field=name, message="must not contain control characters")
        for name, value in request.path_params.items()
        if isinstance(value, str) and not _CONTROL.isdisjoint(value)
    ] + [
        FieldError(record="query", field=name, message="must not contain NUL characters")
        for name, value in request.query_params.multi_items()
        if "\x00" in value or "\x00" in name
    ]
    if errors:
        raise InvalidInput(errors)
