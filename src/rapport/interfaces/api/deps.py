"""Request dependencies: the engine, authentication and the tenant."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends, Header, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from rapport.core.errors import FieldError, InvalidInput
from rapport.engine import Engine
from rapport.engine.schemas import Principal


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]

_API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="The API key.")
_BEARER = HTTPBearer(auto_error=False, description="`Bearer KEY`, instead of `X-API-Key`.")


def principal(request: Request) -> Principal:
    """Who the request acts as, identified by `AccessMiddleware` before the body was read."""
    found: Principal | None = getattr(request.state, "principal", None)
    if found is None:  # the middleware did not run: refuse rather than serve unchecked
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or invalid API key")
    return found


def require_api_key(
    request: Request,
    _key: Annotated[str | None, Security(_API_KEY)] = None,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)] = None,
) -> None:
    """Documents the key headers; the check itself is `AccessMiddleware` (keys, tenants,
    scopes, limits), this only makes sure it ran."""
    principal(request)


PrincipalDep = Annotated[Principal, Depends(principal)]


def get_tenant(
    engine: EngineDep,
    request: Request,
    x_tenant: Annotated[
        str | None, Header(description="The tenant to act on (default: the configured one).")
    ] = None,
) -> str:
    """The tenant named by the `X-Tenant` header, or the configured default. A per-tenant
    key always acts on its own tenant (the middleware refused any other `X-Tenant`)."""
    bound: Principal | None = getattr(request.state, "principal", None)
    if bound is not None and bound.tenant is not None:
        return bound.tenant
    return engine.tenant(x_tenant)


def _batch(
    engine: EngineDep, records: Annotated[list[dict[str, Any]], Body()]
) -> list[dict[str, Any]]:
    check_batch_size(engine, records)
    return records


def check_batch_size(engine: Engine, records: list[Any]) -> None:
    """413 for a batch over `max_batch_records` (checked before anything is validated)."""
    limit = engine.settings.max_batch_records
    if len(records) > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"a batch holds at most {limit} records (max_batch_records), this one has "
            f"{len(records)}: send it in several batches",
        )


JsonRecords = Annotated[list[dict[str, Any]], Depends(_batch)]
"""A batch body of at most `max_batch_records` records: records are validated one by one
so errors can name them."""

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
