"""The decision letter of a besluit: recorded once per besluit, and only for a besluit the grant took."""

from __future__ import annotations

from domain import commands as c
from domain import events as e
from domain.decide.core import AWB, Context, Decision, refuse
from domain.state import GrantState

LETTER_BASIS = f"{AWB} art. 3:41 (bekendmaking door toezending), 3:45 (vermelding van bezwaar of beroep) en 6:7–6:8"


def _letter(state: GrantState, cmd: c.IssueDecisionLetter, ctx: Context) -> Decision:
    besluit = next((b for b in state.besluiten if b.number == cmd.besluit), None)
    if besluit is None:
        raise refuse(
            "letters.no_such_besluit",
            f"the grant of {state.region_code} has no besluit number {cmd.besluit} "
            f"(it has {len(state.besluiten)})",
            LETTER_BASIS,
            "a decision letter is made for a besluit the grant recorded; `sto grant letters REGION` lists them",
            state,
        )
    issued = state.letter(cmd.besluit)
    if issued is not None:
        raise refuse(
            "letters.once_per_besluit",
            f"besluit {cmd.besluit} ({besluit.kind}) of {state.region_code} already has its letter "
            f"(sha256 {issued.sha256[:12]}…, {issued.issued_on.isoformat()})",
            LETTER_BASIS,
            "download the letter that was made (`sto grant letters REGION --out DIR`); a reprint gives the same bytes",
            state,
        )
    return Decision(
        events=[(e.DecisionLetterIssued, {
            "besluit": besluit.number,
            "besluit_kind": besluit.kind,
            "template": cmd.template,
            "template_version": cmd.template_version,
            "sha256": cmd.sha256,
            "size": cmd.size,
            "filename": cmd.filename,
            "objection_deadline": cmd.objection_deadline,
            "sent_to": cmd.sent_to,
        })],
        rule="letters.once_per_besluit",
        legal_basis=LETTER_BASIS,
    )
