"""Whether a command is allowed, and which events it causes: pure functions of state and regulation.

`decide(state, command, ctx)` either raises `TransitionRefused` (rule + legal source + what to do) or
returns the events to record. The aggregate calls it before it records anything; the Temporal
update validator calls the very same function on the workflow's copy of the state, so "whether" is
written once.

The rules, by stage of a grant's life: `core` (context, decision, refusal, the lifecycle table),
`application` (vooraanmelding to advice), `decisions` (verlening, afwijzing, objections), `execution`
(reports, the 2024 extension, hourly rates, final report), `ending` (vaststelling, intrekking, deadlines).
"""

from __future__ import annotations

from typing import Any, Callable

from domain import commands as c
from domain.decide.application import _accept, _advice, _application, _request_repair, _submit_repair, _vooraanmelding
from domain.decide.core import (
    AWB,
    Context,
    Decision,
    Reservation,
    _check_role,
    _lifecycle_source,
    _open_besluit,
    allowed_from,
    refuse,
)
from domain.decide.decisions import _approve, _decide_objection, _objection, _reject
from domain.decide.ending import _consequence, _determine, _withdraw, consequence_event
from domain.decide.letters import _letter
from domain.decide.plans import _detailed_plan
from domain.decide.lowering import _lower, _melding
from domain.decide import stages
from domain.decide.execution import _extension_plan, _final_report, _grant_extension, _hourly_rate, _progress_report
from domain.regulation import Regulation, UnknownRule
from domain.state import GrantState
from domain.values import GrantStatus

__all__ = ["AWB", "Context", "Decision", "Reservation", "allowed_commands", "allowed_from", "consequence_event",
           "decide", "refuse"]

S = GrantStatus


def decide(state: GrantState | None, command: c.Command, ctx: Context) -> Decision:
    """Check every rule for `command` on `state`; return what to record, or raise TransitionRefused.

    A rule the regulation does not hold on the command's business date (before the regulation, or before
    the amendment that brought the rule) is a refusal too, never a crash: nothing can be decided by it."""
    try:
        return _decide(state, command, ctx)
    except UnknownRule as missing:
        raise refuse(
            "regulation.not_in_force",
            f"{command.name} on {ctx.day.isoformat()}: {missing}",
            ctx.regeling("inwerkingtreding en looptijd"),
            "give an effective date on which the rule is in force (`sto calendar --as-of DATE` lists them)",
            state,
        ) from None


def _decide(state: GrantState | None, command: c.Command, ctx: Context) -> Decision:
    _check_role(command)
    if isinstance(command, c.SubmitVooraanmelding):
        if state is not None:
            raise refuse(
                "lifecycle.one_grant_per_region",
                f"region {state.region_code} already has a grant (status {state.status.value})",
                ctx.regeling("vooraanmelding"),
                "look the grant up with `sto grant show`; a region pre-registers once",
                state,
            )
        return _vooraanmelding(command, ctx)
    if state is None:
        raise refuse(
            "lifecycle.needs_vooraanmelding",
            f"region {command.region_code} has no grant: {command.name} needs a vooraanmelding first",
            ctx.regeling("vooraanmelding"),
            "record the region's vooraanmelding first",
        )
    if ctx.effective_at < state.last_effective_at:
        raise refuse(
            "time.business_order",
            f"{command.name} takes effect on {ctx.effective_at.isoformat()}, before the grant's last event "
            f"({state.last_effective_at.isoformat()})",
            "audit integrity: a grant's history runs forward in business time",
            "give an effective time at or after the last event",
            state,
        )
    if isinstance(command, c.CASE_COMMANDS):
        return _case_command(state, command, ctx)
    _admissible(state, command, ctx)
    if stages.takes_stages(state, command):
        return stages.draft(state, command, ctx, _HANDLERS[type(command)])
    return _HANDLERS[type(command)](state, command, ctx)


def _admissible(state: GrantState, command: c.Command, ctx: Context) -> None:
    """The scheme has the step, and the grant's state allows it."""
    declared = allowed_from(type(command), ctx.regulation)
    if declared is None:
        raise refuse(
            "scheme.no_such_step",
            f"{command.name} is not a step of the scheme {ctx.regulation.data.scheme_id} "
            f"({ctx.regulation.data.name})",
            ctx.regeling("procedure van aanvraag tot vaststelling"),
            "`sto schemes show` lists the steps of each scheme; send a step this scheme has",
            state,
        )
    allowed = declared | _open_besluit(state, type(command))
    if state.status not in allowed:
        raise refuse(
            "lifecycle.transition",
            f"{command.name} is not possible while the grant of {state.region_code} is {state.status.value}",
            _lifecycle_source(command, ctx),
            f"{command.name} is possible when the grant is "
            + ", ".join(sorted(s.value for s in allowed)),
            state,
        )


def _case_command(state: GrantState, command: c.Command, ctx: Context) -> Decision:
    if isinstance(command, c.PassStage):
        return stages.pass_stage(state, command, ctx, lambda name: _HANDLERS[c.COMMAND_TYPES[name]], _admissible)
    if isinstance(command, c.SendBackStage):
        return stages.send_back(state, command, ctx)
    if isinstance(command, c.ClaimCase):
        return stages.claim(state, command, ctx)
    if isinstance(command, c.ReleaseCase):
        return stages.release(state, command, ctx)
    assert isinstance(command, c.AssignCase)
    return stages.assign(state, command, ctx)


def _case_commands_open(state: GrantState, regulation: Regulation) -> list[str]:
    """The work-queue commands that can apply now: a stage to pass or send back, work to claim or release."""
    case = state.case
    found = ["PassStage", "SendBackStage"] if case is not None and case.next_stage > 0 else []
    if state.claim is not None:
        found.append("ReleaseCase")
    if stages.open_work(state, Context(regulation, state.last_effective_at)) is not None:
        found += ["ClaimCase", "AssignCase"]
    return found


def allowed_commands(state: GrantState, regulation: Regulation) -> list[str]:
    """The command types whose lifecycle state allows them now (rules with data may still refuse)."""
    found = _case_commands_open(state, regulation)
    for cls in _HANDLERS:
        declared = allowed_from(cls, regulation)
        if declared is not None and state.status in declared | _open_besluit(state, cls):
            found.append(cls.__name__)
    return found




_HANDLERS: dict[type[c.Command], Callable[[GrantState, Any, Context], Decision]] = {
    c.SubmitApplication: _application,
    c.RequestRepair: _request_repair,
    c.SubmitRepair: _submit_repair,
    c.AcceptApplication: _accept,
    c.RecordAdvice: _advice,
    c.ApproveGrant: _approve,
    c.RejectApplication: _reject,
    c.FileObjection: _objection,
    c.DecideObjection: _decide_objection,
    c.SubmitProgressReport: _progress_report,
    c.SubmitExtensionPlan: _extension_plan,
    c.SubmitDetailedPlan: _detailed_plan,
    c.GrantExtension: _grant_extension,
    c.RecordHourlyRateChange: _hourly_rate,
    c.SubmitFinalReport: _final_report,
    c.DetermineGrant: _determine,
    c.WithdrawGrant: _withdraw,
    c.RecordMelding: _melding,
    c.LowerGrant: _lower,
    c.ApplyDeadlineConsequence: _consequence,
    c.IssueDecisionLetter: _letter,
}
