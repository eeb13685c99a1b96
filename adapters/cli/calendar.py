"""`sto calendar`: every deadline, window and milestone with its source and rule."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Optional

import typer
from rich.table import Table

from adapters.cli.context import STATE
from adapters.cli.output import console, fail, print_json
from domain.errors import InvalidInput
from domain.regulation.schemes import UnknownScheme, scheme_in_force
from adapters.read_side.presenters import calendar_view


def calendar(
    as_of: Annotated[Optional[dt.datetime], typer.Option("--as-of", formats=["%Y-%m-%d"], help="the rules in force on this date (default: today)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="print every explanation line")] = False,
    scheme: Annotated[Optional[str], typer.Option("--scheme", help="the scheme (regeling), e.g. sto-2020-2024 (`sto schemes`); default: the one in force on the date")] = None,
) -> None:
    """List every deadline and window of a scheme in force on a date, with source and roll-forward rule;
    facts the sources could not confirm are marked unconfirmed."""
    day = as_of.date() if as_of else STATE.today()
    try:
        regulation = STATE.service.regulation(scheme or scheme_in_force(day))
    except UnknownScheme as error:
        fail(InvalidInput(str(error), field="scheme", hint="`sto schemes` lists the schemes"), as_json)
    view = calendar_view(regulation, day)
    if as_json:
        print_json(view)
        return
    versions = ", ".join(f"{v['title']} ({v['signed']})" for v in view["versions_in_force"] if v["kind"] != "wet")
    console.print(f"[bold]{view['regulation']}[/] as in force on {day.isoformat()}")
    console.print(f"[dim]versions in force: {versions}[/]")
    table = Table(show_lines=explain)
    for col in ("date", "what", "kind", "source", "moves?"):
        table.add_column(col, overflow="fold")
    for term in view["terms"]:
        when = term["due"] if not term["start"] else f"{term['start']} – {term['due']}"
        if term["amended"]:
            when += " [yellow](amended)[/]"
        moves = "Atw applies" if term["roll_forward"] == "atw" else "no"
        if term["moved_by_atw"]:
            moves = f"moved from {term['original']} (Atw)"
        elif term["atw_alternative"]:
            moves = f"no; the Atw would give {term['atw_alternative']} (not applied: see --explain)"
        what = term["title"] if not explain else term["title"] + "\n[dim]" + "\n".join(term["explanation"]) + "[/]"
        if not term.get("confirmed", True):
            what += " [yellow](unconfirmed)[/]"
        table.add_row(when, what, term["kind"], term["source"], moves)
    console.print(table)
