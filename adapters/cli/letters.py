"""`sto grant letters REGION [--scheme S] [--json] [--out DIR]`: the decision letters of one grant.

Lists every besluit's letter (kind, date, objection deadline, sha256); `--out DIR` writes the PDFs there,
each checked against the hash its DecisionLetterIssued event recorded. A PDF missing from the store, or no longer
matching its hash, is made again from its template (a reprint gives the same bytes) and written when it matches
the recorded hash; one that cannot be made again is named, with what to do, and the command fails (exit 1)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from adapters.cli.context import STATE
from adapters.cli.output import EXIT_FAILED, console, err_console, fail, print_json
from adapters.letters.blobs import LetterCorrupted, blobs_for
from adapters.letters.issue import reprint
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
        if blobs is not None and out is not None:
            row.update(_write(service, state, letter, blobs, out))
        rows.append(row)
    view = {"region_code": state.region_code, "scheme": state.scheme or legacy_scheme_id(), "letters": rows,
            "without_letter": [b.number for b in state.besluiten_without_letter(service.installation.letters_owed_from)]}
    problems = [r for r in rows if r.get("problem")]
    if as_json:
        print_json(view)
        if problems:
            raise typer.Exit(EXIT_FAILED)
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
    for r in rows:
        if r.get("reprinted"):
            console.print(f"letter of besluit {r['besluit']}: {r['reprinted']}")
    for r in problems:
        err_console.print(f"[bold red]Error[/]: letter of besluit {r['besluit']} not written: {r['problem']}")
    if problems:
        err_console.print("  [cyan]what to do:[/] restore the table letter_pdfs of the store from a backup, or run "
                          "this with the release whose templates made those letters")
        raise typer.Exit(EXIT_FAILED)


def _write(service: Any, state: Any, letter: Any, blobs: Any, out: Path) -> dict[str, Any]:
    """The letter's PDF written into `out`, as stored, or made again when the stored copy is missing or damaged
    and the reprint has the hash its event recorded; otherwise the problem, and nothing written."""
    note = None
    try:
        data = blobs.get(letter.sha256)
    except LetterCorrupted:
        data, note = None, "the stored copy no longer has its hash"
    if data is None:
        note = note or "no stored copy"
        data = reprint(service, state, letter.besluit)
        if hashlib.sha256(data).hexdigest() != letter.sha256:
            return {"problem": f"{note}, and a reprint with today's templates does not give the recorded sha256 "
                               f"{letter.sha256[:16]}… (the letter was made with {letter.template} v{letter.template_version})"}
        note = f"{note}: made again from its template, with the recorded sha256"
    out.mkdir(parents=True, exist_ok=True)
    (out / letter.filename).write_bytes(data)
    return {"written_to": str(out / letter.filename), **({"reprinted": note} if note else {})}


def register(grant_app: typer.Typer) -> None:
    grant_app.command("letters")(letters)
