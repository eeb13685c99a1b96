"""`sto grant ...`: one grant as it stands, and its history."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.panel import Panel
from rich.table import Table

from adapters.cli.context import STATE
from adapters.cli.output import console, fail, print_json
from adapters.views import event_row, grant_view, money
from domain.errors import DomainError

app = typer.Typer(help="One region's grant: show it, read its history, and send it commands.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]


@app.command("show")
def show(region: Annotated[str, typer.Argument(help="region code, e.g. STO-R001")], as_json: JsonFlag = False) -> None:
    """The grant as it stands: status, money, next deadlines and the commands possible now."""
    try:
        service = STATE.service
        state = service.state(region.upper())
        view = grant_view(state, service.regulation(), STATE.today())
    except DomainError as error:
        fail(error, as_json)
    if as_json:
        print_json(view)
        return
    m = view["money"]
    lines = [
        f"[bold]{view['region_name']}[/] ({view['region_code']}), {view['kind']}",
        f"penvoerder: {view['penvoerder']['name']} <{view['penvoerder']['email']}>",
        f"status: [bold]{view['status']}[/]   version {view['version']}",
        f"requested {money(m['requested_cents'])} of a regional maximum of {money(m['regional_maximum_cents'])}",
        f"granted {money(m['granted_cents'])}"
        + (f" + 2024 extension {money(m['extension_cents'])}" if m["extension_cents"] else ""),
    ]
    if view["end_reason"]:
        lines.append(f"ended: {view['end_reason']}")
    console.print(Panel("\n".join(lines), title="grant"))
    table = Table(title="next deadlines")
    for col in ("due", "what", "source", "explanation"):
        table.add_column(col, overflow="fold")
    for d in view["next_deadlines"]:
        table.add_row(d["due"], d["title"], d["source"], " ".join(d["explanation"]))
    console.print(table)
    console.print(f"possible now: {', '.join(view['allowed_commands']) or 'nothing (the grant has ended)'}")


@app.command("history")
def history(region: Annotated[str, typer.Argument(help="region code")], as_json: JsonFlag = False) -> None:
    """Every event of the grant: version, business and recorded time, who, why, rule and legal basis."""
    try:
        rows = [event_row(e) for e in STATE.service.history(region.upper())]
    except DomainError as error:
        fail(error, as_json)
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"history of {region.upper()}")
    for col in ("v", "effective", "recorded", "event", "actor (role)", "reason", "rule", "legal basis"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["version"]), r["effective_on"], r["recorded_at"][:19], r["event"], f"{r['actor']} ({r['role']})",
            r["reason"], r["rule"], r["legal_basis"],
        )
    console.print(table)
