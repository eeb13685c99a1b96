"""Every term as the law counts it: dated cases, each with its source.

- Awb 6:7/6:8: the objection term is six weeks, from the day after the besluit was sent.
- Atw art. 1 and 3: a term set by law that ends on a Saturday, Sunday, holiday or a day equated with a
  holiday (art. 3 lid 3, by decree) runs on to the next day that is none of these.
- Every besluit of the scheme (sto.toml, [[besluiten]]) has its objection term: verlening, afwijzing,
  buiten behandeling stellen, the 2024 extension, vaststelling, intrekking.
- DUS-I's own decision terms (the scheme's dates, Awb 4:13) are watched: a late decision is taken, and
  recorded with the days it is late.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.scenarios import full_life, to_extended
from tests.support.scripted import GrantScript, at
from domain import commands as c
from domain.deadlines import find_pending, overdue_decision, pending_deadlines
from domain.errors import TransitionRefused
from domain.regulation import default_regulation
from domain.values import DecisionKind, GrantStatus, ObjectionOutcome

D = dt.date
REG = default_regulation()


def objection_due(service, code: str, day: D) -> D:
    state = service.state(code)
    pending = [d for d in pending_deadlines(state, REG, day) if d.key.startswith("objection_period:")]
    assert len(pending) == 1, pending
    return pending[0].due


def rejected_on_friday_19_april_2019(service, index: int) -> GrantScript:
    grant = GrantScript(service, index=index)
    grant.pre_register()
    grant.apply()
    grant.accept()
    grant.advise(at(2019, 4, 18), positive=False)
    grant.send(c.RejectApplication, at(2019, 4, 19), reasons=["regiovisie onvoldoende"], sent_on=D(2019, 4, 19))
    return grant


def test_an_objection_on_the_monday_after_an_equated_friday_is_on_time(memory_service):
    # Rejection sent Friday 19 April 2019: six weeks later is Friday 31 May 2019, the Friday after Ascension
    # Day, equated with a holiday by the Besluit van 24 oktober 2016 (BWBR0038666); then the weekend. The
    # objection term ends on Monday 3 June 2019 (Atw art. 1 and 3 lid 3; Awb 6:7, 6:8).
    grant = rejected_on_friday_19_april_2019(memory_service, 501)
    deadline = find_pending(memory_service.state(grant.code), REG, D(2019, 5, 1), "objection_period:1")
    assert deadline.original == D(2019, 5, 31) and deadline.due == D(2019, 6, 3)
    assert any("BWBR0038666" in line for line in deadline.explanation)
    filed = grant.send(c.FileObjection, at(2019, 6, 3, 16), grounds="ten onrechte afgewezen")
    assert filed.status is GrantStatus.IN_OBJECTION


def test_an_objection_a_day_after_the_rolled_term_is_refused(memory_service):
    grant = rejected_on_friday_19_april_2019(memory_service, 502)
    with pytest.raises(TransitionRefused) as refused:
        grant.send(c.FileObjection, at(2019, 6, 4, 9), grounds="te laat")
    assert refused.value.rule == "objection.period" and "2019-06-03" in refused.value.message


def test_the_objection_term_of_a_set_aside_starts_the_day_after_it_was_sent(memory_service):
    # Repair requested Monday 1 April 2019 with 14 days: the repair term ends Monday 15 April 2019. The
    # application is set aside when it has passed, at the start of Tuesday 16 April (Awb 4:5); the term to
    # object starts the next day and ends six weeks after the 16th: Tuesday 28 May 2019 (Awb 6:7, 6:8).
    grant = GrantScript(memory_service, index=503)
    grant.pre_register()
    grant.apply()
    grant.send(c.RequestRepair, at(2019, 4, 1), missing=["begroting"], repair_days=14)
    grant.consequence("repair_period:1", dt.datetime(2019, 4, 16, 0, 0, tzinfo=at(2019, 4, 16).tzinfo))
    state = memory_service.state(grant.code)
    assert state.decision.kind is DecisionKind.SET_ASIDE and state.decision.sent_on == D(2019, 4, 16)
    assert objection_due(memory_service, grant.code, D(2019, 4, 16)) == D(2019, 5, 28)


def test_the_2024_extension_is_a_besluit_with_its_objection_term(memory_service):
    # Extension granted and sent Wednesday 1 November 2023: objection until Wednesday 13 December 2023
    # (Wijzigingsregeling 19-07-2023; Awb 6:7, 6:8). An objection within it is taken; the term then passes.
    grant = GrantScript(memory_service, index=504)
    to_extended(grant)
    assert memory_service.state(grant.code).decision.kind is DecisionKind.EXTENSION
    assert objection_due(memory_service, grant.code, D(2023, 11, 2)) == D(2023, 12, 13)
    grant.send(c.FileObjection, at(2023, 12, 13, 15), grounds="verlenging te laag")
    dismissed = grant.send(c.DecideObjection, at(2024, 1, 20), outcome=ObjectionOutcome.DISMISSED)
    assert dismissed.status is GrantStatus.APPROVED


def test_a_vaststelling_is_open_to_objection_and_an_ended_grant_takes_it(memory_service):
    # Determined and sent Saturday 1 March 2025: six weeks later is Saturday 12 April 2025; the Atw moves
    # the end to Monday 14 April 2025 (Awb 6:7, 6:8; Atw art. 1).
    grant = GrantScript(memory_service, index=505)
    full_life(grant)
    state = memory_service.state(grant.code)
    assert state.status is GrantStatus.DETERMINED and state.decision.kind is DecisionKind.DETERMINATION
    assert objection_due(memory_service, grant.code, D(2025, 3, 2)) == D(2025, 4, 14)
    grant.send(c.FileObjection, at(2025, 4, 14, 11), grounds="terugvordering onterecht")
    back = grant.send(c.DecideObjection, at(2025, 5, 1), outcome=ObjectionOutcome.DISMISSED)
    assert back.status is GrantStatus.DETERMINED


def test_an_intrekking_is_a_besluit_whose_term_rolls_over_the_weekend(memory_service):
    # Withdrawn and sent Saturday 1 February 2020: +42 days is Saturday 14 March 2020, so the term ends on
    # Monday 16 March 2020 (Awb 4:48, 6:7, 6:8; Atw art. 1). 2020 has no known decree of Atw art. 3 lid 3:
    # the explanation warns.
    grant = GrantScript(memory_service, index=506)
    grant.to_approved()
    grant.consequence("objection_period:1", at(2019, 8, 2))
    grant.send(c.WithdrawGrant, at(2020, 2, 1), reason="regio stopt")
    deadline = find_pending(memory_service.state(grant.code), REG, D(2020, 2, 2), "objection_period:2")
    assert deadline.due == D(2020, 3, 16)
    assert any("no decree of Atw art. 3 lid 3 known for 2020" in line for line in deadline.explanation)
    final = grant.consequence("objection_period:2", at(2020, 3, 17, 0))
    assert final.status is GrantStatus.WITHDRAWN
    assert memory_service.state(grant.code).decision.final


def test_every_kind_of_besluit_is_declared_in_the_scheme_data_with_an_objection_term():
    for kind in DecisionKind:
        besluit = REG.besluit(kind.value)
        assert REG.param(besluit.objection_term, D(2020, 1, 1)).value == 42
        assert besluit.source.label()


def test_a_decision_after_dusi_own_term_is_taken_and_recorded_late_with_the_days(memory_service):
    # Period-1 decisions "vóór 1 juli 2019" (Subsidieregeling STO 2020–2023): last day 30 June 2019. A
    # rejection on 10 July 2019 is taken all the same (Awb 4:13: the law does not void a late decision),
    # and recorded as 10 days late; while it waited, `sto deadlines` showed the term as overdue.
    grant = GrantScript(memory_service, index=507)
    grant.pre_register()
    grant.apply()
    grant.accept()
    grant.advise(at(2019, 6, 7), positive=False)
    assert overdue_decision(memory_service.state(grant.code), REG, D(2019, 6, 30)) is None
    overdue = overdue_decision(memory_service.state(grant.code), REG, D(2019, 7, 5))
    assert overdue is not None and overdue.due == D(2019, 6, 30)
    grant.consequence("decision_period_1", at(2019, 7, 1, 0))  # the engine records that the term passed
    assert overdue_decision(memory_service.state(grant.code), REG, D(2019, 7, 5)) is not None
    rejected = grant.send(c.RejectApplication, at(2019, 7, 10), reasons=["onvoldoende"])
    assert rejected.status is GrantStatus.REJECTED
    state = memory_service.state(grant.code)
    assert state.decision.late_days == 10
    event = memory_service.history(grant.code)[-1]
    assert event.late_days == 10 and "10 days after the decision term of 2019-06-30" in event.legal_basis


def test_a_decision_within_dusi_term_suspended_by_a_repair_is_not_late(memory_service):
    # Repair requested 1 April, completed 6 April 2019: the decision term is suspended 5 days (Awb 4:15),
    # from 30 June to 5 July 2019; a rejection on 4 July is on time.
    grant = GrantScript(memory_service, index=508)
    grant.pre_register()
    grant.apply()
    grant.send(c.RequestRepair, at(2019, 4, 1), missing=["begroting"], repair_days=14)
    grant.send(c.SubmitRepair, at(2019, 4, 6))
    grant.accept(at(2019, 4, 7))
    grant.advise(at(2019, 6, 7), positive=False)
    grant.send(c.RejectApplication, at(2019, 7, 4), reasons=["onvoldoende"])
    assert memory_service.state(grant.code).decision.late_days == 0
