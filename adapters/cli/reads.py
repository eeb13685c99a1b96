"""Operator reads from the read models (`sto regions`, `sto deadlines`, `sto budget`, `sto projections`).

Every read catches the views up with the event log first, so what it prints is fresh. A record the read models
could not project is quarantined and the reads go on; each read says so, and `sto projections status` names it.
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from typing import Annotated, Any, Optional

import psycopg
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from adapters.cli.context import STATE
from adapters.cli.output import console, err_console, fail, print_json
from adapters.read_side import sharded_rebuild as sharded
from adapters.read_side.paging import (DEADLINE_KEY_SHAPE, DEFAULT_PAGE_SIZE, GRANT_KEY_SHAPE, MAX_PAGE_SIZE,
                                       MAX_SEARCH_LENGTH, STAGES, GrantFilter, deadline_key, decode_cursor,
                                       encode_cursor, page_of)
from adapters.read_side.read_models import ReadModels, Refresh
from adapters.read_side.presenters import money
from domain.errors import DomainError, InvalidInput
from domain.values import GrantStatus

projections_app = typer.Typer(help="Read models: status, rebuild or catch up.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]
# What a read may meet: a rule or an unknown grant, a log the views cannot follow, a store that is unreachable.
READ_ERRORS = (DomainError, RuntimeError, ValueError, OSError, sqlite3.Error, psycopg.Error)

AsOf = Annotated[
    Optional[dt.datetime], typer.Option("--as-of", formats=["%Y-%m-%d"], help="read as of this day (default: today)")
]


def open_read_models() -> ReadModels:
    """The read models of the store this process was started on (one per process)."""
    models = STATE.extra.get("read_models")
    if models is None or models.url != STATE.url or models.service is not STATE.service:
        models = STATE.extra["read_models"] = ReadModels(STATE.service, STATE.url)
    return models


def _day(as_of: dt.datetime | None) -> dt.date:
    return as_of.date() if as_of else STATE.today()


def _quarantine_note(records: int) -> None:
    if records:
        err_console.print(
            f"[bold yellow]{records} record(s) quarantined[/]: the grants they belong to show their last good "
            "state; see `sto projections status`"
        )


SchemeFilter = Annotated[Optional[str], typer.Option("--scheme", help="only grants of this scheme (regeling), e.g. sto-2025-2028 (`sto schemes`)")]


Limit = Annotated[int, typer.Option("--limit", min=1, max=MAX_PAGE_SIZE, help=f"rows per page (at most {MAX_PAGE_SIZE})")]
After = Annotated[Optional[str], typer.Option("--after", help="the page after this cursor (printed by the page before; "
                                                                "`next_cursor` with --json)")]
Stage = Annotated[Optional[str], typer.Option("--stage", help=f"only grants in this stage: {', '.join(STAGES)}")]


def _next_page(command: str, cursor: str | None, shown: int) -> None:
    if cursor is not None:
        console.print(f"[dim]{shown} shown; more follow:[/] {command} --after {cursor}")


def regions(
    status: Annotated[Optional[GrantStatus], typer.Option("--status", help="only grants in this status")] = None,
    scheme: SchemeFilter = None,
    kind: Annotated[Optional[str], typer.Option("--kind", help="only grants of regions of this kind")] = None,
    stage: Stage = None,
    search: Annotated[Optional[str], typer.Option("--search", help="only grants whose region code, name or penvoerder holds this text")] = None,
    within: Annotated[Optional[int], typer.Option("--within", min=0, max=3650, help="only grants with a pending deadline within DAYS")] = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    after: After = None,
    as_json: JsonFlag = False,
) -> None:
    """The grants, a page at a time (--limit, --after): status, kind, penvoerder and amounts, with the number of
    grants per status."""
    try:
        if stage is not None and stage not in STAGES:
            raise InvalidInput(f"no stage {stage!r}; the stages are {', '.join(STAGES)}", field="--stage",
                               hint="give one of the stages named")
        if search is not None and len(search) > MAX_SEARCH_LENGTH:
            raise InvalidInput(f"the search text is over {MAX_SEARCH_LENGTH} characters", field="--search",
                               hint="search for a shorter piece of the code, name or penvoerder")
        wanted = GrantFilter(status=status.value if status else None, scheme=scheme, kind=kind, stage=stage,
                             q=search.strip() if search and search.strip() else None, within_days=within)
        key = decode_cursor(after, GRANT_KEY_SHAPE, field="--after")
        view = open_read_models().regions(wanted=wanted, day=STATE.today(), size=limit, after=key)
    except READ_ERRORS as error:
        fail(error, as_json)
    next_key = view.pop("next_key")
    view["next_cursor"] = encode_cursor(next_key) if next_key is not None else None
    if as_json:
        print_json(view)
        return
    table = Table(title=f"regions ({len(view['regions'])} of {view['total']})")
    for col in ("region", "scheme", "name", "kind", "status", "penvoerder", "requested", "granted", "extension", "v"):
        table.add_column(col, overflow="fold", no_wrap=col in ("region", "status"))
    for r in view["regions"]:
        m = r["money"]
        table.add_row(
            r["region_code"], r.get("scheme") or "", r["region_name"], r["kind"], r["status"], r["penvoerder"]["name"],
            money(m["requested_cents"]), money(m["granted_cents"]),
            money(m["extension_cents"]) if m["extension_cents"] else "", str(r["version"]),
        )
    console.print(table)
    counts = ", ".join(f"{status}: {n}" for status, n in view["counts"].items() if n)
    console.print(f"per status: {counts or 'no grants yet'}")
    _next_page("sto regions (the same filters)", view["next_cursor"], len(view["regions"]))
    _quarantine_note(view["quarantined_records"])


def deadlines(
    within: Annotated[Optional[int], typer.Option("--within", min=0, help="only deadlines due within DAYS (overdue ones always)")] = None,
    as_of: AsOf = None,
    scheme: SchemeFilter = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    after: After = None,
    as_json: JsonFlag = False,
) -> None:
    """Every pending deadline per region, earliest first, with its source; passed ones still unhandled first; a page
    at a time (--limit, --after)."""
    day = _day(as_of)
    try:
        key = decode_cursor(after, DEADLINE_KEY_SHAPE, field="--after")
        view = open_read_models().deadlines(day, within, scheme)
    except READ_ERRORS as error:
        fail(error, as_json)
    page = page_of(view["deadlines"], deadline_key, limit, key)
    view["deadlines"] = page.items
    view["next_cursor"] = page.next_cursor
    if as_json:
        print_json(view)
        return
    until = f" until {view['until']}" if view["until"] else ""
    table = Table(title=f"pending deadlines as of {day.isoformat()}{until}")
    for col in ("due", "days", "region", "what", "who acts", "source"):
        table.add_column(col, overflow="fold", no_wrap=col in ("due", "region"))
    for d in view["deadlines"]:
        days = f"[red]{d['days_left']} (passed)[/]" if d["overdue"] else str(d["days_left"])
        table.add_row(d["due"], days, d["region_code"], d["title"], d["addressee"] or "", d["source"])
    console.print(table)
    _next_page("sto deadlines (the same options)", view["next_cursor"], len(view["deadlines"]))
    _quarantine_note(view["quarantined_records"])


def budget(as_of: AsOf = None, scheme: SchemeFilter = None, as_json: JsonFlag = False) -> None:
    """The budget ledger of one scheme: per region and in total, against the ceilings in force (default scheme:
    that of the grants, or the one in force on the day)."""
    day = _day(as_of)
    try:
        view = open_read_models().budget(day, scheme)
    except READ_ERRORS as error:
        fail(error, as_json)
    if as_json:
        print_json(view)
        return
    years = sorted({y for r in view["regions"] for y in r["granted_per_year_cents"]})
    table = Table(title=f"budget ledger as of {day.isoformat()}", show_footer=True)
    t = view["totals"]
    columns: list[tuple[str, str]] = [("region", f"total ({t['regions']})"), ("requested", money(t["requested_cents"]))]
    columns += [(y, money(t["granted_per_year_cents"].get(y, 0))) for y in years]
    columns += [
        ("2024 extension", money(t["extension_cents"])),
        ("cofin. pledged", money(t["cofinancing_pledged_cents"])),
        ("cofin. realised", money(t["cofinancing_realised_cents"])),
    ]
    for header, footer in columns:
        table.add_column(header, footer=footer, justify="left" if header == "region" else "right", no_wrap=header == "region")
    for r in view["regions"]:
        table.add_row(
            r["region_code"], money(r["requested_cents"]),
            *(money(r["granted_per_year_cents"].get(y, 0)) for y in years),
            money(r["extension_cents"]), money(r["cofinancing_pledged_cents"]), money(r["cofinancing_realised_cents"]),
        )
    console.print(table)
    ceilings = Table(title="against the ceilings")
    for col in ("pool", "year", "ceiling", "granted", "left"):
        ceilings.add_column(col, justify="left" if col in ("pool", "year") else "right")
    for pool in view["ceilings"]:
        for y in pool["years"]:
            ceiling = money(y["ceiling_cents"]) if y["ceiling_cents"] is not None else "not in force"
            left = money(y["remaining_cents"]) if y["remaining_cents"] is not None else ""
            ceilings.add_row(pool["pool"], str(y["year"]), ceiling, money(y["granted_cents"]), left)
    console.print(ceilings)
    for pool in view["ceilings"]:
        console.print(f"[dim]{pool['pool']}: {pool['param']}, {pool['source'] or 'not in force on ' + view['as_of']}[/]")
    _quarantine_note(view["quarantined_records"])


def _refresh_view(refresh: Refresh, what: str) -> dict[str, Any]:
    views = refresh.views
    return {
        "action": what,
        "started_at": views.started_at,
        "position": views.position,
        "notifications": views.notifications,
        "seconds": round(views.seconds, 3),
        "events_per_second": round(views.rate),
        "processes": views.processes,
        "newly_chained": refresh.newly_chained,
        "newly_quarantined": views.quarantined,
        "quarantined_records": open_read_models().store.quarantined_count(),
        "views": open_read_models().db.where,
    }


def _run(what: str, as_json: bool, processes: int | None = None) -> None:
    models = open_read_models()
    run = functools.partial(models.rebuild, processes=processes) if what == "rebuild" else models.refresh
    try:
        if as_json:
            refresh = run()
        else:
            columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TaskProgressColumn(), TimeRemainingColumn())
            with Progress(*columns, console=console, transient=False) as progress:
                task = progress.add_task(what, total=None)

                def advance(position: int, last: int) -> None:
                    progress.update(task, completed=position, total=last)

                refresh = run(advance)
                progress.update(task, completed=refresh.views.position, total=max(refresh.views.position, 1))
    except READ_ERRORS as error:
        fail(error, as_json)
    view = _refresh_view(refresh, what)
    if as_json:
        print_json(view)
        return
    chained = "" if view["newly_chained"] is None else f"; {view['newly_chained']} new record(s) chained"
    console.print(
        f"{what}: {view['notifications']} notification(s) to position {view['position']} in {view['seconds']} s "
        f"({view['events_per_second']:,} events/s{', %d processes' % view['processes'] if view['processes'] > 1 else ''})"
        f"{chained}; views in {view['views']}"
    )
    _quarantine_note(view["quarantined_records"])


STATUS_HELP = """Where the read models stand: their position, the store's last position, the lag, and every
quarantined record (a record the read models could not project: its grant shows its last good state and its
later records are quarantined with it, while every other grant goes on).

For each one: position, region, event, the error, and what to do: fix the code (projections/) or the record,
then `sto projections rebuild`, which evaluates every record again and so clears what is fixed.

Exit code 0 whenever the status could be read, quarantine or not: with --json, "ok" is false and
"quarantined" lists the records when something is quarantined. A status that cannot be read (the views or the
store unreachable, a log the read models cannot follow) exits with the code of that error (1 in general)."""


@projections_app.command("status", help=STATUS_HELP)
def status(as_json: JsonFlag = False) -> None:
    try:
        view = open_read_models().status()
    except READ_ERRORS as error:
        fail(error, as_json)
    if as_json:
        print_json(view)
        return
    console.print(
        f"position {view['position']} of {view['store_position']} in the store (lag {view['lag']}); "
        f"views in {view['views']}"
    )
    if view["ok"]:
        console.print("[green]nothing quarantined[/]: every record is projected")
        return
    failed = view["failed_records"]
    console.print(
        f"[bold yellow]{view['quarantined_records']} record(s) quarantined[/] in {view['quarantined_grants']} "
        f"grant(s): {failed} could not be projected, {view['quarantined_records'] - failed} came after "
        "one of those in the same grant"
    )
    table = Table(title="quarantined records")
    for col in ("position", "region", "version", "event", "error", "since"):
        table.add_column(col, overflow="fold", no_wrap=col in ("position", "region", "version"))
    for q in view["quarantined"]:
        cause = q["position"] == q["first_position"]
        error = f"{q['error_type']}: {q['error']}" if cause else f"after record {q['first_position']}"
        table.add_row(str(q["position"]), q["region_code"] or q["grant_id"], str(q["version"]), q["event"], error,
                      q["quarantined_at"])
    console.print(table)
    console.print(f"[cyan]what to do:[/] {view['hint']}")


@projections_app.command("rebuild")
def rebuild(
    as_json: JsonFlag = False,
    processes: Annotated[Optional[int], typer.Option(
        "--processes", min=1, max=sharded.MAX_SHARDS,
        help=f"worker processes that share a long rebuild (from {sharded.SHARD_FROM:,} records in a SQLite store; "
             f"default {sharded.SHARDS}, one per core up to two; 1 = all in this process, as on a machine short of "
             "memory: each worker holds its share of the grants)")] = None,
) -> None:
    """Forget the views and rebuild them from the first event (with a progress bar)."""
    _run("rebuild", as_json, processes)


@projections_app.command("catch-up")
def catch_up(as_json: JsonFlag = False) -> None:
    """Project the events stored since the views' position (reads do this by themselves)."""
    _run("catch-up", as_json)


def register(app: typer.Typer) -> None:
    """Attach the read commands to the root app."""
    app.command("regions")(regions)
    app.command("deadlines")(deadlines)
    app.command("budget")(budget)
    app.add_typer(projections_app, name="projections")
