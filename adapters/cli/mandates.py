"""`sto mandates`: the organisation register (adapters/read_side/mandates.py): its versions, and as in force on a
day the people with their roles per scheme and the mandates with their limits, on whose behalf, the sub-mandate
chain and the signature wording. A change of the register is a new version of its data file, never an edit."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer
from rich.table import Table

from adapters.cli.context import STATE
from adapters.cli.output import console, print_json, shown
from adapters.read_side.mandates import mandates_view

JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def mandates(
    as_of: Annotated[Optional[dt.datetime], typer.Option("--as-of", formats=["%Y-%m-%d"], help="the register as in force on this day (default: today)")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The mandate and roles register: versions (valid from, source), people and their roles per scheme, and the
    mandates (what, up to which amount, on whose behalf, sub-mandate chain, the signature a letter prints)."""
    view = mandates_view(as_of.date() if as_of else STATE.today())
    if as_json:
        print_json(view)
        return
    console.print(f"[bold]{shown(view['name'])}[/] as of {view['as_of']}: version {view['in_force'] or 'none (before the first)'}")
    versions = Table(title="versions")
    for col in ("v", "valid from", "changes", "summary", "source"):
        versions.add_column(col, overflow="fold")
    for v in view["versions"]:
        versions.add_row(f"{v['number']}{' *' if v['in_force'] else ''}", v["valid_from"], ", ".join(v["changes"]) or "",
                         shown(v["summary"]), shown(v["source"]))
    console.print(versions)
    people = Table(title="people and their roles per scheme (*: every scheme)")
    for col in ("name", "display name", "roles"):
        people.add_column(col, overflow="fold")
    for p in view["people"]:
        people.add_row(p["name"], shown(p["display_name"]), "; ".join(f"{s}: {', '.join(r)}" for s, r in p["roles"].items()))
    console.print(people)
    mandates_table = Table(title="mandates")
    for col in ("mandate", "besluiten", "limit", "holders", "chain", "signature", "source"):
        mandates_table.add_column(col, overflow="fold")
    for m in view["mandates"]:
        mandates_table.add_row(m["id"], ", ".join(m["besluiten"]), m["limit"], ", ".join(m["holders"]) or "",
                               " > ".join(m["chain"]), shown("\n".join(m["signature"])), shown(m["source"]))
    console.print(mandates_table)
