"""Which deadlines apply to a grant now: the "when" the workflow plans its timers from.

Pure: from the grant's state and the regulation in force on a day. A deadline is pending until the
required step is done or its consequence has been applied; a deadline already passed but not yet
handled stays pending, so that the engine applies its consequence as soon as it looks.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from domain.regulation import Addressee, DeadlineInfo, Regulation, TermKind
from domain.state import GrantState
from domain.timekeeping import end_of_day
from domain.values import GrantStatus

UNDER_DECISION = frozenset({GrantStatus.APPLICATION_SUBMITTED, GrantStatus.UNDER_ASSESSMENT, GrantStatus.ADVISED})
# where the last besluit's objection term is watched: after a rejection, a grant (or its 2024 extension), a
# vaststelling or an intrekking (a new application after a rejection waits for its own decision instead)
OPEN_TO_OBJECTION = frozenset({GrantStatus.REJECTED, GrantStatus.APPROVED, GrantStatus.DETERMINED, GrantStatus.WITHDRAWN})


def repair_key(state: GrantState) -> str:
    return f"repair_period:{len(state.applications)}"


def objection_key(state: GrantState) -> str:
    return f"objection_period:{len(state.decisions)}"


def next_application_period(state: GrantState, regulation: Regulation) -> int | None:
    """The application round a region may still apply in: the first for a pre-registered region, and for a
    rejected one the round the scheme opens to those rejected in its last decision's round."""
    data = regulation.data
    if state.status is GrantStatus.PRE_REGISTERED:
        first = data.first_round()
        return first.number if first else None
    if state.status is GrantStatus.REJECTED and state.decision is not None:
        after = data.round_after_rejection_in(state.decision.period)
        return after.number if after else None
    return None


# What "the step was done" means for a dated term of the scheme (`until` in its [[deadlines]]): a small
# library of named conditions, each reading the grant's state; the data chooses one and its argument.
DONE_WHEN: dict[str, Callable[[GrantState, str | None], bool]] = {
    "progress_report": lambda state, number: state.progress_report(int(number or 0)) is not None,
    "extension_plan": lambda state, _: state.extension.plan is not None or state.extension.forfeited,
    "final_report": lambda state, _: state.final_report is not None,
    "detailed_plan": lambda state, key: (key or "") in state.detailed_plans,
}


def done(state: GrantState, condition: str | None) -> bool:
    if condition is None:
        return False
    name, _, argument = condition.partition(":")
    return DONE_WHEN[name](state, argument or None)


def pending_deadlines(state: GrantState, regulation: Regulation, day: dt.date) -> list[DeadlineInfo]:
    """Deadlines that apply to the grant on `day` and are not yet handled, earliest first."""
    applied = set(state.consequences_applied)
    found: list[DeadlineInfo] = []

    def term(key: str) -> DeadlineInfo | None:
        if key in applied or not regulation.has_term(key, day):
            return None
        return regulation.term(key, day)

    def add(info: DeadlineInfo | None) -> None:
        if info is not None:
            found.append(info)

    status = state.status
    if status in OPEN_TO_OBJECTION:
        add(objection_deadline(state, regulation, day))  # of the last besluit, while it is open to objection
    if status in (GrantStatus.PRE_REGISTERED, GrantStatus.REJECTED):
        period = next_application_period(state, regulation)
        if period is not None:
            add(term(regulation.data.application_round(period).window))
    elif status in UNDER_DECISION:
        add(decision_deadline(state, regulation, day))
    elif status is GrantStatus.REPAIR_REQUESTED:
        add(repair_deadline(state, regulation, day))
    for rule in regulation.data.deadlines:
        if status in rule.applies_in and not done(state, rule.until):
            add(term(rule.term))
    found.sort(key=lambda d: (d.due_at, d.key))
    return found


def find_pending(state: GrantState, regulation: Regulation, day: dt.date, key: str) -> DeadlineInfo | None:
    return next((d for d in pending_deadlines(state, regulation, day) if d.key == key), None)


def decision_deadline(state: GrantState, regulation: Regulation, day: dt.date, *, passed_too: bool = False) -> DeadlineInfo | None:
    """The decision term of the current application, extended by Awb 4:15 suspension. DUS-I's own term:
    `passed_too` gives it also after its passing was recorded (to count how late a decision is)."""
    application = state.application
    if application is None:
        return None
    application_round = regulation.data.application_round(application.period)
    if application_round is None:
        return None
    key = application_round.decision
    if (key in state.consequences_applied and not passed_too) or not regulation.has_term(key, day):
        return None
    info = regulation.term(key, day)
    if not state.suspended_days:
        return info
    due = info.due + dt.timedelta(days=state.suspended_days)
    repair = state.repair
    suspension = (
        f"Awb 4:15: the decision term was suspended {state.suspended_days} days, from the day after the repair "
        f"request of {repair.requested_on.isoformat()} until {repair.completed_on.isoformat() if repair and repair.completed_on else 'the end of the repair period'}"
        if repair
        else f"Awb 4:15: the decision term was suspended {state.suspended_days} days"
    )
    return info.model_copy(
        update={
            "due": due,
            "due_at": end_of_day(due),
            "explanation": [
                *info.explanation,
                f"{suspension}: {info.due.isoformat()} + {state.suspended_days} days = {due.isoformat()}.",
            ],
            "source": f"{info.source}; Algemene wet bestuursrecht art. 4:15",
        }
    )


def repair_deadline(state: GrantState, regulation: Regulation, day: dt.date) -> DeadlineInfo | None:
    repair = state.repair
    if repair is None or repair.completed_on is not None:
        return None
    key = repair_key(state)
    if key in state.consequences_applied:
        return None
    return regulation.relative_deadline(
        key,
        "Repair period (herstel verzuim)",
        "repair_period_days",
        repair.requested_on,
        day,
        days=repair.days,
        addressee=Addressee.REGION,
        required_step="de ontbrekende stukken: " + "; ".join(repair.missing),
        consequence="The application is set aside (buiten behandeling gesteld, Awb 4:5).",
        title_nl="Hersteltermijn (herstel verzuim)",
        counted_from_label="the repair request of",
    )


def objection_deadline(state: GrantState, regulation: Regulation, day: dt.date) -> DeadlineInfo | None:
    decision = state.decision
    if decision is None or decision.final:
        return None
    key = objection_key(state)
    if key in state.consequences_applied:
        return None
    return besluit_objection_deadline(regulation, decision.kind.value, decision.sent_on, day, key)


def besluit_objection_deadline(regulation: Regulation, kind: str, sent_on: dt.date, day: dt.date,
                               key: str) -> DeadlineInfo:
    """The objection (or, after a beslissing op bezwaar, appeal) term of a besluit of `kind` sent on `sent_on`:
    the scheme's term counted from the day after sending (Awb 6:8), rolled forward by the Atw. The one count
    the deadlines and the decision letters share."""
    besluit = regulation.besluit(kind)
    info = regulation.relative_deadline(
        key,
        "Objection period (bezwaartermijn)",
        besluit.objection_term,
        sent_on,
        day,
        addressee=Addressee.REGION,
        required_step="een bezwaarschrift, als de regio het niet eens is met het besluit",
        consequence="The decision becomes final (formele rechtskracht).",
        counted_from_label=f"the day the {besluit.title} was sent,",
        title_nl="Beroepstermijn" if kind == "objection_decision" else "Bezwaartermijn",
    )
    return info.model_copy(update={"source": f"{info.source}; {besluit.source.label()}"})


def overdue_decision(state: GrantState, regulation: Regulation, day: dt.date) -> DeadlineInfo | None:
    """DUS-I's decision term, when it has passed and the application still waits for its decision."""
    if state.status not in UNDER_DECISION:
        return None
    info = decision_deadline(state, regulation, day, passed_too=True)
    return info if info is not None and info.due < day else None


def days_late(state: GrantState, regulation: Regulation, day: dt.date) -> int:
    """How many days after DUS-I's decision term a decision taken on `day` comes (0: on time or no term)."""
    info = decision_deadline(state, regulation, day, passed_too=True)
    return max(0, (day - info.due).days) if info is not None else 0


def finished(state: GrantState, regulation: Regulation, day: dt.date) -> bool:
    """Whether nothing more can happen to the grant: it ended and its last besluit can no longer be objected to."""
    return state.status.is_terminal and not pending_deadlines(state, regulation, day)


def remindable(info: DeadlineInfo) -> bool:
    """Reminders go out for steps someone must take; never for milestones or for the right to object."""
    return info.kind is not TermKind.MILESTONE and info.addressee is not None and not info.key.startswith("objection")
