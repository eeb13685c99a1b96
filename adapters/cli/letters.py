"""`sto grant letters REGION [--scheme S] [--json] [--out DIR]`: the decision letters of one grant.

Lists every besluit's letter (kind, date, objection deadline, sha256); `--out DIR` writes the PDFs there,
each checked against the hash its DecisionLetterIssued event recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from adapters.cli.context import STATE
from adapters.cli.output import console, fail, print_json
from adapters.letters.blobs import blobs_for
from domain.errors import DomainError
from domain.regulation.schemes import legacy_scheme_id


def letters(
    region: Annotated[str, typer.Argument(help="region code, e.g. STO-R001")],
    scheme: Annotated[Optional[str], typer.Option("--scheme", help="the grant's scheme (regeling), e.g. sto-2025-2028")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="write the PDFs into this directory")] = None,
) -> None:
    """The grant's decision letters (beschikkingen), one per besluit; with --out, the PDFs themselves."""
    try:
        service = STATE.service
        state = service.state(region.upper(), scheme=scheme)
    except (DomainError, ValueError) as error:
        fail(error, as_json)
    rows = []
    blobs = blobs_for(service) if out is not None else None
    for letter in state.letters:
        row = {
            "besluit": letter.besluit, "kind": letter.kind, "issued_on": letter.issued_on.isoformat(),
            "objection_deadline": letter.objection_deadline.isoformat() if letter.objection_deadline else None,
            "filename": letter.filename, "sha256": letter.sha256, "size": letter.size, "sent_to": letter.sent_to,
            "template": f"{letter.template} v{letter.template_version}",
        }
        if blobs is not None:
            data = blobs.get(letter.sha256)
            if data is not None:
                out.mkdir(parents=True, exist_ok=True)
                (out / letter.filename).write_bytes(data)
                row["written_to"] = str(out / letter.filename)
        rows.append(row)
    view = {"region_code": state.region_code, "scheme": state.scheme or legacy_scheme_id(), "letters": rows,
            "without_letter": [b.number for b in state.besluiten_without_letter()]}
    if as_json:
        print_json(view)
        return
    table = Table(title=f"decision letters of {state.region_code} ({view['scheme']})")
    for col in ("besluit", "kind", "issued", "objection deadline", "sha256", "file"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r["besluit"]), r["kind"], r["issued_on"], r["objection_deadline"] or "",
                      r["sha256"][:16] + "…", r.get("written_to", r["filename"]))
    console.print(table)
    if view["without_letter"]:
        console.print(f"besluiten without a letter yet: {', '.join(map(str, view['without_letter']))} "
                      "(the grant's workflow makes them after its next step)")


def register(grant_app: typer.Typer) -> None:
    grant_app.command("letters")(letters)
