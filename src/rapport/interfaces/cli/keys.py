"""`rapport keys ...`: per-tenant API keys with scopes (create, list, revoke)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from rapport.engine.schemas import Scope
from rapport.interfaces.cli.common import JsonFlag, emit, run, state
from rapport.interfaces.cli.output import console

keys_app = typer.Typer(help="API keys: one tenant each, with a scope.", no_args_is_help=True)


@keys_app.command("create")
def create(
    tenant: Annotated[
        str | None,
        typer.Option(
            "--tenant",
            help="The only tenant the key can act on (default: --tenant "
            "of rapport, or the configured one).",
        ),
    ] = None,
    scope: Annotated[
        Scope,
        typer.Option(help="read: GET routes; write: also changes data; admin: also keys, train."),
    ] = "read",
    name: Annotated[str, typer.Option(help="What the key is for (shown in listings).")] = "",
    json_out: JsonFlag = False,
) -> None:
    """Create a key. It is printed once, alone on the last line; only its hash is stored."""
    engine = state.engine()
    created = run(lambda: engine.keys.create(engine.tenant(tenant), scope, name=name))

    def show() -> None:
        record = created.record
        console.print(
            f"created {record.scope} key {record.id} for tenant {record.tenant}"
            f"{f' ({record.name})' if record.name else ''}; store it now, it is not shown again:",
            markup=False,
        )
        console.print(created.key, markup=False, highlight=False, soft_wrap=True)

    emit(created, json_out, show)


@keys_app.command("list")
def list_keys(
    all_tenants: Annotated[
        bool, typer.Option("--all", help="Keys of every tenant, not only --tenant's.")
    ] = False,
    revoked: Annotated[bool, typer.Option(help="Include revoked keys.")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Keys of the tenant (or of all), without their secrets."""
    engine = state.engine()
    found = run(
        lambda: engine.keys.list(tenant=None if all_tenants else engine.tenant(), revoked=revoked)
    )

    def show() -> None:
        table = Table("id", "tenant", "scope", "name", "created", "revoked")
        for key in found:
            revoked_at = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else ""
            table.add_row(
                key.id,
                key.tenant,
                key.scope,
                key.name,
                key.created_at.isoformat(timespec="seconds"),
                revoked_at,
            )
        console.print(table)

    emit(found, json_out, show)


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (as listed, or the part after rk_).")],
    json_out: JsonFlag = False,
) -> None:
    """Revoke a key: the API refuses it from the next request on."""
    engine = state.engine()
    record = run(lambda: engine.keys.revoke(_key_id(key_id)))
    emit(record, json_out, lambda: console.print(f"revoked key {record.id}", markup=False))


def _key_id(text: str) -> str:
    # Accept the full key too: its id is the part between `rk_` and the next `_`.
    return text.split("_")[1] if text.startswith("rk_") else text


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
