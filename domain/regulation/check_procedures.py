"""The scheme check of who decides: each procedure's commands are besluiten the scheme takes, each stage's role is a
role of the organisation register, and a command belongs to one procedure. A besluit the scheme gives no procedure
takes the engine's own (domain/regulation/procedures.py default_procedure: a draft and a signature by two people)."""

from __future__ import annotations

from domain.authority.register import ROLES
from domain.regulation.check_findings import Findings, Parsed, listed

# The steps whose command takes a besluit of DUS-I (domain/decide/stages.py BESLUIT_KIND)
BESLUIT_STEPS = frozenset({"ApproveGrant", "RejectApplication", "GrantExtension", "DetermineGrant", "WithdrawGrant",
                           "DecideObjection", "LowerGrant"})


def check_procedures(parsed: Parsed, findings: Findings) -> None:
    # the steps as written (a step with an error of its own is reported there, not again here)
    raw = parsed.raw.get("steps", [])
    steps = {s.get("command") for s in (raw if isinstance(raw, list) else []) if isinstance(s, dict) and isinstance(s.get("command"), str)}
    covered: dict[str, str] = {}
    for i, procedure in parsed.section("procedures"):
        place = f"procedures[{i}]"
        for j, command in enumerate(procedure.commands):
            if command not in BESLUIT_STEPS:
                findings.error(f"{place}.commands[{j}]", f"{command!r} takes no besluit; a procedure is for besluiten",
                               f"name one of {listed(BESLUIT_STEPS)}", "procedure.command")
            elif command not in steps:
                findings.warning(f"{place}.commands[{j}]", f"{command} is not a step of this scheme",
                                 "declare the step, or leave the command out of the procedure", "procedure.command")
            if command in covered:
                findings.error(f"{place}.commands[{j}]", f"{command} is in the procedure {covered[command]!r} already",
                               "a besluit command belongs to one procedure", "procedure.twice")
            covered[command] = procedure.id
        for j, stage in enumerate(procedure.stages):
            if stage.role not in ROLES:
                findings.error(f"{place}.stages[{j}].role", f"{stage.role!r} is not a role of the organisation register",
                               f"use one of {listed(set(ROLES))}", "procedure.role")
