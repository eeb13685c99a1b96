"""`sto token ...`: issue, list and revoke the bearer tokens of the HTTP API and the back-office page."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from adapters.cli.context import STATE
from adapters.cli.output import console, err_console, fail, print_json
from adapters.engine.sender import default_actor_name
from adapters.operators.tokens import TokenStore
from domain.errors import DomainError
from domain.values import Role

app = typer.Typer(help="Bearer tokens for the HTTP API and the back-office page (stored only as hashes).", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]
ActorOption = Annotated[
    Optional[str], typer.Option("--actor", help="who does this (default: STO_ACTOR, else the OS user)")
]


def _store() -> TokenStore:
    return TokenStore(STATE.url)


@app.command("create")
def create(
    role: Annotated[Role, typer.Option("--role", help="operator (writes and reads), auditor (reads everything), region (its own grant)")],
    name: Annotated[str, typer.Option("--name", help="who uses the token: it is the actor of every event it causes")],
    region: Annotated[Optional[str], typer.Option("--region", help="the region a region token may read, e.g. STO-R001")] = None,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Issue a token. It is printed once and stored only as its SHA-256 hash: hand it over now."""
    try:
        issued = _store().issue(name, role, region, created_by=actor or default_actor_name())
    except (DomainError, ValueError) as error:
        fail(error, as_json)
    if as_json:
        print_json({**issued.info.to_dict(), "token": issued.token})
        return
    info = issued.info
    scope = f" for region {info.region_code}" if info.region_code else ""
    err_console.print(f"token {info.token_id}: {info.role.value} '{info.name}'{scope}. It is shown only now; keep it secret.")
    console.print(issued.token, soft_wrap=True)


@app.command("list")
def list_tokens(
    include_revoked: Annotated[bool, typer.Option("--all", help="include revoked tokens")] = False,
    as_json: JsonFlag = False,
) -> None:
    """The tokens (never their secrets): id, name, role, region, who issued and who revoked them."""
    try:
        tokens = _store().list(include_revoked=include_revoked)
    except (DomainError, ValueError) as error:
        fail(error, as_json)
    if as_json:
        print_json([t.to_dict() for t in tokens])
        return
    table = Table(title="API tokens" + (" (revoked ones too)" if include_revoked else ""))
    for col in ("id", "name", "role", "region", "created", "by", "revoked"):
        table.add_column(col, overflow="fold", no_wrap=col in ("id", "region"))
    for t in tokens:
        revoked = f"{t.revoked_at[:19]} by {t.revoked_by}" if t.revoked_at else ""
        table.add_row(t.token_id, t.name, t.role.value, t.region_code or "", t.created_at[:19], t.created_by, revoked)
    console.print(table)


@app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="the token's id (the 8 characters after 'sto_'; see `sto token list`)")],
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Revoke a token: from now on every request with it gets 401."""
    try:
        info = _store().revoke(token_id.strip(), revoked_by=actor or default_actor_name())
    except (DomainError, ValueError) as error:
        fail(error, as_json)
    if as_json:
        print_json(info.to_dict())
        return
    console.print(f"token {info.token_id} ({info.role.value} '{info.name}') revoked at {info.revoked_at[:19]} by {info.revoked_by}")


from adapters.cli import calendar_tokens  # noqa: E402 - `sto token calendar`, in a module of its own

app.command("calendar")(calendar_tokens.calendar)
