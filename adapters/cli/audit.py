"""`sto audit ...`: auditor tools (history, as-of, verify)."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from typing import Annotated

import typer
from rich.panel import Panel
from rich.table import Table

from adapters import audit_chain
from adapters.audit_views import as_of_view
from adapters.cli.context import STATE
from adapters.cli.output import console, err_console, fail, print_json
from adapters.cli.reads import READ_ERRORS, open_read_models
from adapters.views import money
from projections.timeline import HISTORY_FIELDS

app = typer.Typer(help="Auditor tools: replay what happened, the grant as of a date, and verify the log.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]
Region = Annotated[str, typer.Argument(help="region code, e.g. STO-R001")]


@app.command("history")
def history(
    region: Region,
    as_json: JsonFlag = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout, one line per event")] = False,
) -> None:
    """Every event of the grant: version, business and recorded time, event, actor, role, reason, legal basis, rule."""
    if as_json and as_csv:
        fail(ValueError("choose one of --json and --csv"), as_json)
    try:
        entries = open_read_models().history(region.upper(), facts=as_json)
    except READ_ERRORS as error:
        fail(error, as_json)
    if as_json:
        print_json({"region_code": region.upper(), "events": entries})
        return
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(HISTORY_FIELDS)
        for e in entries:
            writer.writerow([e[f] for f in HISTORY_FIELDS])
        return
    table = Table(title=f"audit history of {region.upper()}")
    for col in ("v", "effective", "recorded", "event", "actor (role)", "reason", "legal basis", "rule"):
        table.add_column(col, overflow="fold", no_wrap=col in ("v", "effective"))
    for e in entries:
        table.add_row(
            str(e["version"]), e["effective_on"], e["recorded_at"][:19], e["event"], f"{e['actor']} ({e['role']})",
            e["reason"], e["legal_basis"], e["rule"],
        )
    console.print(table)


@app.command("as-of")
def as_of(
    region: Region,
    day: Annotated[dt.datetime, typer.Argument(formats=["%Y-%m-%d"], help="the day (YYYY-MM-DD): the grant at its end")],
    as_json: JsonFlag = False,
) -> None:
    """The grant as it stood at the end of DAY (Europe/Amsterdam, business time), with the regulation then in force."""
    try:
        view = as_of_view(STATE.service, region.upper(), day.date())
    except READ_ERRORS as error:
        fail(error, as_json)
    if as_json:
        print_json(view)
        return
    g, m, last = view["grant"], view["grant"]["money"], view["last_event"]
    lines = [
        f"[bold]{g['region_name']}[/] ({g['region_code']}) at the end of {view['as_of']}",
        f"status: [bold]{g['status']}[/]   version {view['version']} of {view['versions_now']}",
        f"last event: {last['event']} on {last['effective_on']} by {last['actor']} ({last['role']}), rule {last['rule']}",
        f"granted {money(m['granted_cents'])}" + (f" + 2024 extension {money(m['extension_cents'])}" if m["extension_cents"] else ""),
    ]
    if view["next_event"]:
        n = view["next_event"]
        lines.append(f"[dim]next event: {n['event']} on {n['effective_on']}[/]")
    console.print(Panel("\n".join(lines), title="as of"))
    reg = view["regulation"]
    versions = Table(title=f"{reg['name']}: versions in force on {view['as_of']}")
    for col in ("effective", "version", "title", "source"):
        versions.add_column(col, overflow="fold")
    for v in reg["versions_in_force"]:
        versions.add_row(v["effective"], v["id"], v["title"], v["source"])
    console.print(versions)
    deadlines = Table(title="pending deadlines that day")
    for col in ("due", "what", "source"):
        deadlines.add_column(col, overflow="fold")
    for d in g["next_deadlines"]:
        deadlines.add_row(d["due"], d["title"], d["source"])
    console.print(deadlines)


@app.command("verify")
def verify(
    as_json: JsonFlag = False,
    no_extend: Annotated[bool, typer.Option("--no-extend", help="only check; chain no new records")] = False,
    anchor: Annotated[str | None, typer.Option("--anchor", help="a chain head hash recorded earlier that must still be in the chain")] = None,
) -> None:
    """Check the hash chain over every stored event; chain the new ones. Exits 1 naming the first bad record."""
    try:
        db = open_read_models().chain()
        if db is None:
            raise ValueError("the in-memory store keeps no hash chain; verify a SQLite or PostgreSQL store")
        try:
            report = audit_chain.verify(db, extend_chain=not no_extend, anchor=anchor)
        finally:
            db.close()
    except READ_ERRORS as error:
        fail(error, as_json)
    if as_json:
        print_json(report.to_dict())
    elif report.ok:
        head = report.head
        console.print(
            f"[green]intact[/]: {report.checked} chained record(s) match the store; {report.newly_chained} newly chained"
            + (f"; {report.unchained} not yet chained" if report.unchained else "")
        )
        if head:
            console.print(f"chain head: record {head['notification_id']} (seq {head['seq']}) {head['hash']}")
            console.print("[dim]anchor this head elsewhere; check it later with --anchor HASH[/]")
    else:
        problem = report.problem
        err_console.print(f"[bold red]Tampered[/]: {problem.kind} at record {problem.notification_id}: {problem.message}")
        err_console.print("  [cyan]what to do:[/] stop writers, keep a copy of the database, and compare with a backup")
    if not report.ok:
        raise typer.Exit(1)

