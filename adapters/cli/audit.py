"""`sto audit ...`: auditor tools (history, as-of, verify, anchor)."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.panel import Panel
from rich.table import Table

from adapters.audit import anchor as audit_anchor
from adapters.audit import chain as audit_chain
from adapters.read_side.as_of import as_of_view
from adapters.cli.context import STATE
from adapters.cli.output import EXIT_UNAVAILABLE, console, err_console, fail, print_json, printable, shown
from adapters.cli.reads import READ_ERRORS, open_read_models
from adapters.read_side.presenters import money
from projections.timeline import HISTORY_FIELDS

app = typer.Typer(help="Auditor tools: replay what happened, the grant as of a date, and verify the log.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]
Region = Annotated[str, typer.Argument(help="region code, e.g. STO-R001")]
SchemeOption = Annotated[Optional[str], typer.Option("--scheme", help="the grant's scheme (regeling), e.g. sto-2025-2028; default: the region's grant, or its newest")]


@app.command("history")
def history(
    region: Region,
    scheme: SchemeOption = None,
    as_json: JsonFlag = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout, one line per event")] = False,
) -> None:
    """Every event of the grant: version, business and recorded time, event, actor, role, reason, legal basis, rule."""
    if as_json and as_csv:
        fail(ValueError("choose one of --json and --csv"), as_json)
    try:
        entries = open_read_models().history(region.upper(), facts=not as_csv, scheme=scheme)  # the table names stage roles
    except READ_ERRORS as error:
        fail(error, as_json)
    if as_json:
        print_json({"region_code": region.upper(), "events": entries})
        return
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(HISTORY_FIELDS)
        for e in entries:
            writer.writerow([printable(e[f]) for f in HISTORY_FIELDS])
        return
    table = Table(title=f"audit history of {region.upper()}")
    for col in ("v", "effective", "recorded", "event", "actor (role)", "reason", "legal basis", "rule"):
        table.add_column(col, overflow="fold", no_wrap=col in ("v", "effective"))
    for e in entries:
        table.add_row(*(shown(value) for value in (
            e["version"], e["effective_on"], e["recorded_at"][:19], e["event"],
            f"{e['actor']} ({(e.get('facts') or {}).get('stage_role') or e['role']})",  # a stage's own role, where it has one
            e["reason"], e["legal_basis"], e["rule"],
        )))
    console.print(table)


@app.command("as-of")
def as_of(
    region: Region,
    day: Annotated[dt.datetime, typer.Argument(formats=["%Y-%m-%d"], help="the day (YYYY-MM-DD): the grant at its end")],
    scheme: SchemeOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The grant as it stood at the end of DAY (Europe/Amsterdam, business time), with the regulation then in force."""
    try:
        view = as_of_view(STATE.service, region.upper(), day.date(), scheme)
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
    lines += _waiting(g, scheme)
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
    anchors: Annotated[
        Optional[Path],
        typer.Option("--anchors", help="a file of heads published by `sto audit anchor`: check the store against every one"),
    ] = None,
) -> None:
    """Check the hash chain over every stored event; chain the new ones. Exits 1 naming the first bad record
    (with --anchors: and the first published head that no longer matches the store)."""
    try:
        heads, unreadable = audit_chain.read_anchors(anchors) if anchors is not None else (None, [])
    except OSError as error:
        fail(ValueError(str(error) if isinstance(error, FileNotFoundError) else f"--anchors {anchors}: {error}"), as_json)
    try:
        db = open_read_models().chain()
        if db is None:
            raise ValueError("the in-memory store keeps no hash chain; verify a SQLite or PostgreSQL store")
        try:
            report = audit_chain.verify(db, extend_chain=not no_extend, anchor=anchor, anchors=heads)
        finally:
            db.close()
    except READ_ERRORS as error:
        fail(error, as_json)
    if report.anchors is not None:
        report.anchors.update(file=str(anchors), unreadable_lines=unreadable)
    if as_json:
        print_json(report.to_dict())
    else:
        _print_verified(report)
    if not report.ok:
        raise typer.Exit(1)


def _print_verified(report: audit_chain.ChainReport) -> None:
    published = report.anchors
    problem = report.problem
    if problem is not None and problem.kind != "anchor_mismatch":
        err_console.print(f"[bold red]Tampered[/]: {problem.kind} at record {problem.notification_id}: {problem.message}")
    if published is not None:
        if published["unreadable_lines"]:
            lines = ", ".join(map(str, published["unreadable_lines"]))
            err_console.print(f"[yellow]{published['file']}: line(s) {lines} hold no published head (torn or altered); skipped[/]")
        mismatch = published["first_mismatch"]
        if mismatch is not None:
            err_console.print(
                f"[bold red]Tampered[/]: published head at record {mismatch['notification_id']} (seq {mismatch['seq']}, "
                f"line {mismatch['line']} of {published['file']}) no longer matches the store"
            )
            err_console.print(f"  published: {mismatch['published_hash']} (at {mismatch['anchored_at']})")
            err_console.print(f"  store now: {mismatch['store_hash'] or 'no record at this seq: records were deleted'}")
            last = published["last_match"]
            if last is not None:
                err_console.print(
                    f"  the head at record {last['notification_id']} (seq {last['seq']}) still matches: the change lies "
                    f"after record {last['notification_id']}, up to record {mismatch['notification_id']}"
                )
        else:
            console.print(f"[green]{published['matched']} published head(s)[/] in {published['file']} match the store")
    if report.ok:
        head = report.head
        console.print(
            f"[green]intact[/]: {report.checked} chained record(s) match the store; {report.newly_chained} newly chained"
            + (f"; {report.unchained} not yet chained" if report.unchained else "")
        )
        if head:
            console.print(f"chain head: record {head['notification_id']} (seq {head['seq']}) {head['hash']}")
            if published is None:
                console.print("[dim]publish this head with `sto audit anchor`; check later with --anchors FILE[/]")
    else:
        err_console.print("  [cyan]what to do:[/] stop writers, keep a copy of the database, and compare with a backup")


@app.command("anchor")
def anchor(
    to: Annotated[
        Optional[Path],
        typer.Option(
            "--to", envvar=audit_anchor.ANCHORS_SETTING,
            help="append-only file to publish the head to, outside the store's directory "
                 "(default: ~/.local/state/sto/audit-anchors/<store>.jsonl)",
        ),
    ] = None,
    auditors: Annotated[
        Optional[str],
        typer.Option("--auditors", envvar=audit_anchor.AUDITORS_SETTING, help=f"the auditors' address (default {audit_anchor.DEFAULT_AUDITORS})"),
    ] = None,
    notifier_url: Annotated[
        Optional[str],
        typer.Option("--notifier-url", envvar="STO_NOTIFIER_URL", help="smtp://HOST:PORT or file:///DIR (default: file outbox var/outbox)"),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Publish the chain's head where the store's writer cannot rewrite it: a line in an append-only file outside
    the store and a mail to the auditors (once per head). Chains what was stored first. Check later with
    `sto audit verify --anchors FILE`."""
    from adapters.engine.business_clock import clock_from_env
    from adapters.notify.notifiers import notifier_from_url

    try:
        notifier = notifier_from_url(notifier_url, Path("var") / "outbox")
        result = audit_anchor.anchor(STATE.service, notifier, to=to, auditors=auditors, business_time=clock_from_env().now())
    except READ_ERRORS as error:
        fail(error, as_json)
    if as_json:
        print_json(result.to_dict())
    elif result.head is None:
        console.print("the store holds no record yet: nothing to anchor")
    else:
        head = result.head
        console.print(f"chain head: record {head['notification_id']} (seq {head['seq']}) {head['hash']}")
        console.print(
            f"published to {result.file}" if result.written else f"already published to {result.file} (the same head)"
        )
        if result.mail_error is None:
            console.print(f"mailed to {result.to}" if result.mailed else f"mail to {result.to} sent before (the same head)")
    if result.mail_error is not None:
        err_console.print(f"[bold red]Error[/]: the mail to {result.to} could not be sent: {result.mail_error}")
        err_console.print("  [cyan]what to do:[/] check STO_NOTIFIER_URL and run `sto audit anchor` again: the head is "
                          "published once, and the mail is sent once")
        raise typer.Exit(EXIT_UNAVAILABLE)


def _waiting(grant: dict, scheme: str | None) -> list[str]:
    """In words: the besluit that waited in a stage that day, who drafted it and took which stage, and where it waited."""
    case = grant.get("case")
    if not case:
        return []
    procedure = STATE.service.regulation(grant.get("scheme") or scheme).data.procedure(case["procedure"], case["command_type"])
    stage = procedure.stages[case["next_stage"]]
    taken = ", ".join(f"{s['stage']} {s['person']} ({s['outcome']})" for s in case["stages"])
    return [f"[bold]besluit in its stages:[/] {case['besluit_kind']} of {money(case['amount_cents'])}, drafted "
            f"{case['opened_on']}; taken: {taken}; waits in {stage.id} ({stage.title_nl}, role {stage.role})"]
