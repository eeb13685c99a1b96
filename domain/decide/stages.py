"""The one choke point of who may decide: a besluit command drafts its besluit, the further stages pass or send it
back, the signing stage takes it under a mandate; claims on the open work. The rules themselves are in
domain/authority/rules.py; this module routes every command that takes or holds a besluit through them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from domain import commands as c
from domain import events as e
from domain.authority import rules
from domain.decide.core import Context, Decision, allowed_from, refuse
from domain.regulation.procedures import Procedure, Stage
from domain.state import GrantState
from domain.values import GrantStatus

Handler = Callable[[GrantState, Any, Context], Decision]

# The besluiten operators take, by command, and the kind a mandate names (domain/authority/register.py)
BESLUIT_KIND = {
    "ApproveGrant": "approval", "RejectApplication": "rejection", "GrantExtension": "extension",
    "DetermineGrant": "determination", "WithdrawGrant": "withdrawal", "DecideObjection": "objection_decision",
    "LowerGrant": "lowering",
}
ENVELOPE = {"command_id", "actor", "reason", "effective_at", "expected_version", "region_code", "scheme", "type"}


def takes_stages(state: GrantState, command: c.Command) -> bool:
    """Whether a command is a besluit DUS-I takes (through its stages). A region's withdrawal of its application
    before any grant is not: it records what the region did."""
    if command.name not in BESLUIT_KIND:
        return False
    return not (isinstance(command, c.WithdrawGrant) and not state.granted_per_year)


def besluit_amount(state: GrantState, command: c.Command) -> int:
    """What a besluit is about, in cents, for the mandate's limit: the grant it gives, or what is at stake."""
    if isinstance(command, c.DecideObjection) and command.revised_amount_cents is not None:
        return command.revised_amount_cents
    if isinstance(command, c.LowerGrant):
        return state.granted_total_cents  # what the besluit takes a decision about: the grant as it stands
    if isinstance(command, (c.ApproveGrant, c.DecideObjection)) and command.granted_per_year:
        return sum(a.amount_cents for a in command.granted_per_year)
    if isinstance(command, c.RejectApplication):
        return state.application.requested_cents if state.application else 0
    if isinstance(command, c.GrantExtension):
        return command.amount_cents
    return state.granted_total_cents


def _view(state: GrantState, ctx: Context):
    return rules.register_on(ctx.register.on(ctx.day), state, ctx.day.isoformat())


def _scheme(ctx: Context) -> str:
    return ctx.regulation.data.scheme_id


def draft(state: GrantState, command: c.Command, ctx: Context, handler: Handler) -> Decision:
    procedure = ctx.regulation.data.procedure_for(command.name)
    first = procedure.stages[0]
    case = state.case
    if case is not None and case.next_stage != 0:
        waiting = ctx.regulation.data.procedure(case.procedure, case.command_type).stages[case.next_stage]
        raise refuse("stages.besluit_in_stages",
                     f"the {case.besluit_kind} besluit of {state.region_code} waits in the stage {waiting.id} "
                     f"({waiting.title_nl}); a second one cannot be drafted beside it",
                     procedure.source.label(), f"pass the stage {waiting.id} or send the besluit back first", state)
    if case is not None and case.procedure != procedure.id:
        raise refuse("stages.other_procedure", f"the case sent back is a {case.procedure} case, not {procedure.id}",
                     procedure.source.label(), f"draft a besluit of the procedure {case.procedure} again", state)
    view = _view(state, ctx)
    rules.check_role(view, command.actor.name, first.role, _scheme(ctx), state, f"drafting a {command.name}")
    rules.check_claim(state, command.actor.name)
    rules.check_four_eyes(case, command.actor.name, first, state)
    # would the besluit be allowed now? (its own refusal, if not; nothing recorded) and would the budget take it?
    would = handler(state, command, ctx)
    return Decision(
        reservations=[replace(r, check_only=True) for r in would.reservations if not r.release],
        events=[(e.BesluitDrafted, {
            "procedure": procedure.id, "stage": first.id, "stage_role": first.role,
            "round": case.round if case is not None else 1, "command_type": command.name,
            "draft": command.model_dump(mode="json", exclude=ENVELOPE),
            "besluit_kind": BESLUIT_KIND[command.name], "amount_cents": besluit_amount(state, command),
        })],
        rule=f"stages.{procedure.id}.{first.id}",
        legal_basis=procedure.source.label(),
    )


def _open_stage(state: GrantState, command: c.PassStage | c.SendBackStage, ctx: Context) -> tuple[Procedure, Stage]:
    case = state.case
    if case is None:
        raise refuse("stages.no_besluit_in_stages", f"no besluit of {state.region_code} waits in a stage",
                     "procedures van de regeling", "draft the besluit first (e.g. `sto grant approve`)", state)
    procedure = ctx.regulation.data.procedure(case.procedure, case.command_type)
    if case.next_stage == 0:
        raise refuse("stages.sent_back_to_draft",
                     f"the {case.besluit_kind} besluit was sent back to its first stage ({procedure.stages[0].id})",
                     procedure.source.label(), "the besluit is drafted again first, by sending its command anew", state)
    stage = procedure.stages[case.next_stage]
    if command.stage != stage.id:
        raise refuse("stages.not_the_open_stage",
                     f"the {case.besluit_kind} besluit waits in the stage {stage.id}, not {command.stage}",
                     procedure.source.label(), f"take the stage {stage.id} (`sto work show {state.region_code}`)", state)
    view = _view(state, ctx)
    rules.check_role(view, command.actor.name, stage.role, _scheme(ctx), state, f"the stage {stage.id}")
    rules.check_claim(state, command.actor.name)
    rules.check_four_eyes(case, command.actor.name, stage, state)
    rules.check_answers(stage, dict(command.answers), state, case.command_type, passing=isinstance(command, c.PassStage))
    return procedure, stage


def _stage_fields(state: GrantState, procedure: Procedure, stage: Stage, command: Any) -> dict[str, Any]:
    assert state.case is not None
    return {"procedure": procedure.id, "stage": stage.id, "stage_role": stage.role, "round": state.case.round,
            "answers": dict(command.answers)}


def pass_stage(state: GrantState, command: c.PassStage, ctx: Context, handler_of: Callable[[str], Handler],
               admissible: Callable[[GrantState, c.Command, Context], None]) -> Decision:
    procedure, stage = _open_stage(state, command, ctx)
    case = state.case
    assert case is not None
    if not stage.signs:
        return Decision(events=[(e.StagePassed, _stage_fields(state, procedure, stage, command))],
                        rule=f"stages.{procedure.id}.{stage.id}", legal_basis=procedure.source.label())
    view = _view(state, ctx)
    signer = rules.person_in(view, command.actor.name, state)
    mandate = rules.signing_mandate(view, signer, case.besluit_kind, _scheme(ctx), case.amount_cents, state)
    if case.besluit_kind == "objection_decision":
        rules.check_objection_signer(state, signer.name)
    besluit = c.parse_command({**case.draft, "type": case.command_type, "region_code": state.region_code,
                               "actor": command.actor.model_dump(mode="json"), "reason": case.draft_reason,
                               "effective_at": ctx.effective_at})
    admissible(state, besluit, ctx)
    decision = handler_of(case.command_type)(state, besluit, ctx)
    signature = view.signature(mandate, signer)
    signed = {**_stage_fields(state, procedure, stage, command), "signature": signature.model_dump(mode="json"),
              "rule": f"mandate.{mandate.id}", "legal_basis": signature.source}
    return Decision(
        events=[(e.BesluitSigned, signed)] + [(cls, {**fields, "reason": case.draft_reason}) for cls, fields in decision.events],
        rule=decision.rule, legal_basis=decision.legal_basis, reservations=decision.reservations,
    )


def send_back(state: GrantState, command: c.SendBackStage, ctx: Context) -> Decision:
    procedure, stage = _open_stage(state, command, ctx)
    assert state.case is not None
    return Decision(
        events=[(e.BesluitSentBack, {**_stage_fields(state, procedure, stage, command), "to_stage": procedure.stages[0].id,
                                     "returned_to": rules.drafter_of(state.case, procedure)})],
        rule=f"stages.{procedure.id}.sent_back", legal_basis=procedure.source.label(),
    )


# --- the open work: claim, release, assign -------------------------------------------------------------------


def open_work(state: GrantState, ctx: Context) -> tuple[Procedure, Stage] | None:
    """What waits for someone: the stage of the besluit in its stages, or the draft of a besluit due now."""
    data = ctx.regulation.data
    case = state.case
    if case is not None:
        procedure = data.procedure(case.procedure, case.command_type)
        return procedure, procedure.stages[case.next_stage]
    for command, due in DUE.items():
        declared = allowed_from(c.COMMAND_TYPES[command], ctx.regulation)
        if declared is not None and state.status in declared and due(state):
            procedure = data.procedure_for(command)
            return procedure, procedure.stages[0]
    return None


# When a besluit is due, not merely possible: the application advised, an objection filed, the extension plan in and
# not yet decided, the final report in. An intrekking or a lowering is possible while a grant runs, never due.
DUE: dict[str, Callable[[GrantState], bool]] = {
    "DecideObjection": lambda s: s.status is GrantStatus.IN_OBJECTION,
    "ApproveGrant": lambda s: s.status is GrantStatus.ADVISED,
    "GrantExtension": lambda s: (s.status is GrantStatus.APPROVED and s.extension.plan is not None
                                 and s.extension.granted_cents is None and not s.extension.forfeited),
    "DetermineGrant": lambda s: s.status is GrantStatus.FINAL_REPORT_SUBMITTED,
}


def _work(state: GrantState, ctx: Context) -> tuple[Procedure, Stage]:
    found = open_work(state, ctx)
    if found is None:
        raise refuse("work.nothing_open", f"the grant of {state.region_code} has no besluit due nor in its stages",
                     "werkverdeling DUS-I", "`sto work` lists the open work", state)
    return found


def claim(state: GrantState, command: c.ClaimCase, ctx: Context) -> Decision:
    procedure, stage = _work(state, ctx)
    name = command.actor.name
    if state.claim is not None and state.claim.person == name:
        raise refuse("work.already_yours", f"you hold this case since {state.claim.since.isoformat()}",
                     "werkverdeling DUS-I", "take its stage, or release it", state)
    rules.check_claim(state, name)
    rules.check_role(_view(state, ctx), name, stage.role, _scheme(ctx), state, f"the stage {stage.id}")
    rules.check_four_eyes(state.case, name, stage, state)
    return Decision(events=[(e.CaseClaimed, {"procedure": procedure.id, "stage": stage.id, "person": name,
                                             "assigned_by": None})],
                    rule="work.claim", legal_basis="werkverdeling DUS-I (claim per fase)")


def release(state: GrantState, command: c.ReleaseCase, ctx: Context) -> Decision:
    held = state.claim
    if held is None:
        raise refuse("work.not_claimed", "nobody holds this case", "werkverdeling DUS-I", "nothing to release", state)
    name = command.actor.name
    if held.person != name:
        rules.check_role(_view(state, ctx), name, rules.COORDINATOR, _scheme(ctx), state,
                         f"releasing {held.person}'s claim")
    return Decision(events=[(e.CaseReleased, {"procedure": held.procedure, "stage": held.stage, "person": held.person})],
                    rule="work.release", legal_basis="werkverdeling DUS-I (alleen de uitvoeringscoördinator geeft "
                    "andermans zaak vrij)")


def assign(state: GrantState, command: c.AssignCase, ctx: Context) -> Decision:
    procedure, stage = _work(state, ctx)
    view = _view(state, ctx)
    rules.check_role(view, command.actor.name, rules.COORDINATOR, _scheme(ctx), state, "assigning work")
    rules.check_role(view, command.to, stage.role, _scheme(ctx), state, f"the stage {stage.id}")
    rules.check_four_eyes(state.case, command.to, stage, state)
    if state.claim is not None and state.claim.person == command.to:
        raise refuse("work.already_theirs", f"{command.to} holds this case already", "werkverdeling DUS-I",
                     "nothing to assign", state)
    return Decision(events=[(e.CaseClaimed, {"procedure": procedure.id, "stage": stage.id, "person": command.to,
                                             "assigned_by": command.actor.name})],
                    rule="work.assign", legal_basis="werkverdeling DUS-I (de uitvoeringscoördinator wijst toe)")
