"""`sto schemes ...`: the schemes (regelingen) the engine ships, one of them in full, and the check of a scheme file.

`sto schemes` lists them and says which is in force on the business day; `sto schemes show ID` gives a scheme's
steps, rounds, deadlines, region kinds and besluiten; `sto schemes check FILE...` checks scheme files before
they are shipped (exit 0 without errors, 2 with: the file is invalid input).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from adapters.cli.context import STATE
from adapters.cli.output import EXIT_INVALID, console, fail, print_json, shown
from domain.regulation.check import check_scheme
from domain.regulation.check_findings import Finding, Level
from domain.regulation.model import RegulationData
from domain.regulation.schemes import UnknownScheme, infos, scheme, scheme_in_force

app = typer.Typer(help="The schemes (regelingen) the engine runs: without a command, the list and the one in force on the business day; `show` one; `check` a scheme file.", invoke_without_command=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]
AsOf = Annotated[Optional[dt.datetime], typer.Option("--as-of", formats=["%Y-%m-%d"], help="the business day (default: today's)")]
LEVELS = [Level.ERROR, Level.WARNING, Level.NOTE]
LEVEL_STYLE = {Level.ERROR: "bold red", Level.WARNING: "yellow", Level.NOTE: "dim"}


@app.callback()
def schemes(ctx: typer.Context, as_json: JsonFlag = False, as_of: AsOf = None) -> None:
    """Every shipped scheme: its dates, its number of steps, deadlines and region kinds, and which is in force."""
    if ctx.invoked_subcommand is not None:
        return
    day = as_of.date() if as_of else STATE.today()
    current = scheme_in_force(day)
    rows = [_summary(info.id, current) for info in infos()]
    if as_json:
        print_json({"business_day": day.isoformat(), "in_force": current, "schemes": rows})
        return
    table = Table(title=f"Schemes (in force on {day.isoformat()}: {current})")
    table.add_column("id", no_wrap=True)  # an id is copied whole
    table.add_column("title", overflow="fold", ratio=1)
    for col in ("in force", "lapses"):
        table.add_column(col, no_wrap=True)
    for col in ("steps", "deadlines", "region kinds"):
        table.add_column(col, justify="right")
    for row in rows:
        title = shown(row["title_nl"]) + (" [bold green](in force)[/]" if row["in_force_now"] else "")
        table.add_row(row["id"], title, row["in_force"], row["lapses"] or "-", str(row["steps"]), str(row["deadlines"]),
                      str(row["region_kinds"]))
    console.print(table)


def _summary(scheme_id: str, current: str) -> dict[str, Any]:
    data = scheme(scheme_id).data
    info = data.scheme
    assert info is not None
    return {
        "id": info.id, "title": info.title, "title_nl": info.title_nl, "regeling": info.regeling,
        "in_force": info.in_force.isoformat(), "lapses": info.lapses.isoformat() if info.lapses else None,
        "steps": len(data.steps), "application_rounds": len(data.application_rounds), "deadlines": len(data.deadlines),
        "region_kinds": len(data.region_kinds), "besluiten": len(data.besluiten), "in_force_now": info.id == current,
    }


@app.command("show")
def show(scheme_id: Annotated[str, typer.Argument(help="a scheme id, e.g. sto-2020-2024 (`sto schemes` lists them)")],
         as_json: JsonFlag = False) -> None:
    """One scheme: its steps (from which states), rounds, deadlines with their consequence, region kinds, besluiten."""
    try:
        data = scheme(scheme_id).data
    except UnknownScheme as error:
        fail(ValueError(f"{error}; `sto schemes` lists them"), as_json)
    view = scheme_view(data)
    if as_json:
        print_json(view)
        return
    info = view["scheme"]
    console.print(f"[bold]{shown(info['title_nl'])}[/] ({info['id']}): in force {info['in_force']}"
                  + (f", lapses {info['lapses']}" if info["lapses"] else ""))
    console.print(f"[dim]{shown(view['source'])}[/]")
    _table("Steps", ("step", "title", "allowed from", "source"),
           [(s["command"], s["title_nl"], ", ".join(s["allowed_from"]) or "(starts a grant)", s["source"] or "[dim](the scheme's)[/]")
            for s in view["steps"]])
    _table("Application rounds", ("round", "window", "decision by", "open to"),
           [(str(r["number"]), f"{r['window']['title_nl']} ({_span(r['window'])})",
             f"{r['decision']['title_nl']} ({r['decision']['due']})",
             "pre-registered regions" if r["after_rejection_in"] is None else f"rejected in round {r['after_rejection_in']}"
             + (" (with addendum)" if r["needs_addendum"] else "")) for r in view["application_rounds"]])
    _table("Deadlines", ("term", "due", "applies in", "done when", "when it passes"),
           [(f"{d['title_nl']} ({d['term']})", d["due"], ", ".join(d["applies_in"]), d["until"] or "-", d["consequence"])
            for d in view["deadlines"]])
    _table("Region kinds", ("kind", "title", "ceiling", "ranked"),
           [(k["kind"], k["title_nl"], k["ceiling"], "yes" if k["ranked"] else "no") for k in view["region_kinds"]])
    _table("Besluiten", ("kind", "title", "objection term", "remedy"),
           [(b["kind"], b["title_nl"], b["objection_term"], b["remedy"]) for b in view["besluiten"]])


def _span(term: dict[str, Any]) -> str:
    return f"{term['start']} – {term['due']}" if term["start"] else f"until {term['due']}"


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    table = Table(title=title, title_justify="left")
    for index, col in enumerate(columns):
        table.add_column(col, overflow="fold", no_wrap=index == 0)  # the first column names what a row is
    for row in rows:
        table.add_row(*(cell if cell.startswith("[dim]") else shown(cell) for cell in row))
    console.print(table)


def scheme_view(data: RegulationData) -> dict[str, Any]:
    """A scheme as the CLI shows it: every declared part, with the Dutch titles and the dates of its terms."""
    info = data.scheme
    assert info is not None
    effective = {v.id: v.effective for v in data.versions}
    terms = {t.key: t for t in data.terms}

    def term(key: str) -> dict[str, Any]:
        t = terms[key]
        latest = max(t.values, key=lambda v: (effective[v.version], t.values.index(v)))
        return {"key": key, "title_nl": t.title_nl, "start": latest.start.isoformat() if latest.start else None,
                "due": latest.date.isoformat(), "version": latest.version, "source": latest.source.label()}

    return {
        "scheme": info.model_dump(mode="json", exclude={"source"}) | {"lapses": info.lapses.isoformat() if info.lapses else None},
        "name": data.name,
        "source": info.source.label(),
        "steps": [{"command": s.command, "title_nl": s.title_nl, "allowed_from": [a.value for a in s.allowed_from],
                   "options": s.options, "source": s.source.label() if s.source else None} for s in data.steps],
        "application_rounds": [{"number": r.number, "window": term(r.window), "decision": term(r.decision),
                                "after_rejection_in": r.after_rejection_in, "needs_addendum": r.needs_addendum}
                               for r in data.application_rounds],
        "deadlines": [{"term": d.term, "title_nl": terms[d.term].title_nl, "due": term(d.term)["due"],
                       "applies_in": [a.value for a in d.applies_in], "until": d.until, "consequence": d.consequence.value}
                      for d in data.deadlines],
        "region_kinds": [{"kind": k.kind, "title_nl": k.title_nl, "ceiling": k.ceiling, "ranked": k.ranked,
                          "source": k.source.label() if k.source else None} for k in data.region_kinds],
        "besluiten": [{"kind": b.kind, "title_nl": b.title_nl, "objection_term": b.objection_term, "remedy": b.remedy,
                       "source": b.source.label()} for b in data.besluiten],
    }


@app.command("check")
def check(files: Annotated[list[Path], typer.Argument(help="scheme files (TOML) to check", show_default=False, metavar="FILE...")],
          as_json: JsonFlag = False,
          level: Annotated[Level, typer.Option("--level", help="show findings of this level and worse (the table; --json has all)")] = Level.NOTE) -> None:
    """Check scheme files: every reference, date order, rule parameter and source. Exit 0 without errors, 2 with."""
    results = [(path, check_scheme(path)) for path in files]
    errors = sum(1 for _, found in results for f in found if f.level is Level.ERROR)
    if as_json:
        print_json({"files": [_file_result(path, found) for path, found in results], "errors": errors, "valid": errors == 0})
    else:
        for path, found in results:
            _print_findings(path, found, LEVELS[: LEVELS.index(level) + 1])
    if errors:
        raise typer.Exit(EXIT_INVALID)


def _file_result(path: Path, found: list[Finding]) -> dict[str, Any]:
    counts = {level.value: sum(1 for f in found if f.level is level) for level in Level}
    return {"file": str(path), **{f"{k}s": v for k, v in counts.items()}, "valid": counts["error"] == 0,
            "findings": [f.to_dict() for f in found]}


def _print_findings(path: Path, found: list[Finding], levels: list[Level]) -> None:
    summary = _file_result(path, found)
    verdict = "[bold green]valid[/]" if summary["valid"] else "[bold red]invalid[/]"
    console.print(f"{shown(path)}: {verdict}, {summary['errors']} error(s), {summary['warnings']} warning(s), {summary['notes']} note(s)")
    found = [f for f in found if f.level in levels]
    if not found:
        return
    table = Table(show_lines=False)
    for col in ("level", "place", "problem", "what to do"):
        table.add_column(col, overflow="fold", no_wrap=col == "place")  # a place is copied whole
    for f in found:
        table.add_row(f"[{LEVEL_STYLE[f.level]}]{f.level.value}[/]", shown(f.place or "(file)"), shown(f.problem), shown(f.hint))
    console.print(table)
