"""`sto regulation ...`: the versions of the regulation, and any of them as a publishable amendment."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from adapters.cli.context import STATE
from adapters.cli.output import console, fail, print_json
from domain.regulation import UnknownRule

app = typer.Typer(help="The regulation's versions (regeling, amendments, letters) and their values.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]


@app.command("versions")
def versions(as_json: JsonFlag = False) -> None:
    """Every version: the shipped ones and those published in this store."""
    data = STATE.service.regulation().data
    rows = [v.model_dump(mode="json") for v in sorted(data.versions, key=lambda v: v.effective)]
    if as_json:
        print_json(rows)
        return
    table = Table(title=data.name)
    for col in ("id", "kind", "signed", "in force from", "title"):
        table.add_column(col, overflow="fold")
    for v in rows:
        table.add_row(v["id"], v["kind"], v["signed"], v["effective"], v["title"])
    console.print(table)


@app.command("amendment")
def amendment(version_id: Annotated[str, typer.Argument(help="a version id, e.g. brief-2021-05-20")]) -> None:
    """A version with every value it sets, as the JSON that `sto programme publish-amendment` takes (a template)."""
    try:
        print_json(STATE.service.regulation().amendment_of(version_id).model_dump(mode="json"))
    except UnknownRule as error:
        fail(ValueError(f"{error}; `sto regulation versions` lists them"), True)
