"""`sto token calendar REGION`: the secret address of a region's calendar feed (or the back office's).

Issuing gives the feed's URL once (only the secret's SHA-256 is stored) and revokes the scope's earlier secret;
`--revoke` leaves the scope without a feed (its URL answers 404); `--list` shows the active secrets' ids.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from adapters.cli.context import STATE
from adapters.cli.output import console, err_console, fail, print_json
from adapters.engine.sender import default_actor_name
from adapters.operators.calendar_secrets import BACK_OFFICE, CalendarSecrets
from domain.errors import DomainError

PUBLIC_URL_SETTING = "STO_PUBLIC_URL"


def feed_url(base: str, secret: str) -> str:
    return f"{base.rstrip('/')}/v1/calendar-feeds/{secret}"


def calendar(
    region: Annotated[Optional[str], typer.Argument(help=f"the region (e.g. STO-R001), or `{BACK_OFFICE}` for DUS-I's own decision terms")] = None,
    revoke: Annotated[bool, typer.Option("--revoke", help="revoke the active secret: the feed's URL answers 404 from now on")] = False,
    list_them: Annotated[bool, typer.Option("--list", help="the calendar secrets (never the secrets themselves)")] = False,
    include_revoked: Annotated[bool, typer.Option("--all", help="with --list: revoked ones too")] = False,
    base_url: Annotated[str, typer.Option("--base-url", envvar=PUBLIC_URL_SETTING, help="where the API is reached from outside")] = "http://127.0.0.1:8000",
    actor: Annotated[Optional[str], typer.Option("--actor", help="who does this (default: STO_ACTOR, else the OS user)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Issue (or revoke) the secret address of a region's calendar feed; a new one replaces the one before."""
    store = CalendarSecrets(STATE.url)
    try:
        if list_them:
            _list(store, include_revoked, as_json)
            return
        if not region:
            raise ValueError(f"name the region (e.g. STO-R001) or `{BACK_OFFICE}`; or use --list")
        who = actor or default_actor_name()
        if revoke:
            info = store.revoke(region, revoked_by=who)
            if as_json:
                print_json(info.to_dict())
            else:
                console.print(f"calendar secret {info.secret_id} of {info.scope} revoked: its feed answers 404 from now on")
            return
        info, secret = store.issue(region, created_by=who)
    except (DomainError, ValueError) as error:
        fail(error, as_json)
    finally:
        store.close()
    url = feed_url(base_url, secret)
    if as_json:
        print_json({**info.to_dict(), "secret": secret, "url": url})
        return
    err_console.print(f"calendar feed of {info.scope} (secret {info.secret_id}); any earlier address of it no longer works. "
                      "The address is shown only now: hand it over as you would a password.")
    console.print(url, soft_wrap=True)


def _list(store: CalendarSecrets, include_revoked: bool, as_json: bool) -> None:
    found = store.list(include_revoked=include_revoked)
    if as_json:
        print_json([s.to_dict() for s in found])
        return
    table = Table(title="Calendar feed secrets" + (" (revoked ones too)" if include_revoked else ""))
    for col in ("id", "feed", "created", "by", "revoked"):
        table.add_column(col, overflow="fold")
    for s in found:
        revoked = f"{s.revoked_at[:19]} by {s.revoked_by}" if s.revoked_at else ""
        table.add_row(s.secret_id, s.scope, s.created_at[:19], s.created_by, revoked)
    console.print(table)
