"""An upheld objection ends in what the Awb asks: the contested besluit revoked and, where needed, a new one in its
place (Awb 7:11 lid 2), taken through the objection's own stages (a jurist drafts) and never signed by whoever
signed the contested besluit (Awb 10:3 lid 3)."""

from __future__ import annotations

import pytest

from adapters.event_store.store import open_service
from adapters.replay.staff import take_besluit
from domain import commands as c
from domain.errors import TransitionRefused
from domain.letters import compose
from domain.values import GrantStatus as S, ObjectionOutcome, Role
from tests.support.scripted import PER_YEAR, GrantScript, at

TOTAL = sum(PER_YEAR.values())


def _person(name: str) -> c.Actor:
    return c.Actor(name=name, role=Role.OPERATOR)


@pytest.fixture()
def svc():
    return open_service("memory:")


def _determined(svc) -> GrantScript:
    grant = GrantScript(svc)
    grant.to_approved()
    grant.progress_report(1, at(2021, 10, 1))
    grant.progress_report(2, at(2023, 9, 1))
    grant.final_report(at(2025, 1, 15), PER_YEAR, cofinancing_cents=TOTAL * 5 // 100)
    grant.send(c.DetermineGrant, at(2025, 3, 1))
    return grant


def test_an_upheld_objection_against_the_vaststelling_revokes_it_and_determines_the_subsidy_anew(svc):
    grant = _determined(svc)
    before = svc.state(grant.code).determination
    assert before is not None and before.determined_cents < TOTAL
    grant.send(c.FileObjection, at(2025, 3, 20), grounds="de cofinanciering is verkeerd geteld")
    result = grant.send(c.DecideObjection, at(2025, 5, 1), outcome=ObjectionOutcome.UPHELD, revised_amount_cents=TOTAL)
    assert result.events[-1] == "ObjectionDecided"
    state = svc.state(grant.code)
    assert state.status is S.DETERMINED
    assert state.determination.determined_cents == TOTAL and state.determination.reclaim_cents == 0
    besluit = state.besluiten[-1]
    assert besluit.kind == "objection_decision" and besluit.outcome == "upheld"
    assert any("7:11 lid 2" in r for r in besluit.reasons)
    assert [s.role for s in besluit.stages] == ["jurist", "coordinator"]
    letter = compose(state, besluit.number, svc.regulation(state.scheme))
    assert "stellen de subsidie opnieuw vast op € 3.800.000,00" in letter.text()


def test_a_revised_vaststelling_cannot_exceed_the_grant(svc):
    grant = _determined(svc)
    grant.send(c.FileObjection, at(2025, 3, 20), grounds="te laag")
    with pytest.raises(TransitionRefused) as refused:
        grant.send(c.DecideObjection, at(2025, 5, 1), outcome=ObjectionOutcome.UPHELD, revised_amount_cents=TOTAL + 1)
    assert refused.value.rule == "objection.revised_determination" and "4:46" in refused.value.source


def test_an_upheld_objection_against_the_vaststelling_needs_the_new_amount(svc):
    grant = _determined(svc)
    grant.send(c.FileObjection, at(2025, 3, 20), grounds="te laag")
    version = svc.state(grant.code).version
    with pytest.raises(TransitionRefused) as refused:
        grant.send(c.DecideObjection, at(2025, 5, 1), outcome=ObjectionOutcome.UPHELD)
    assert refused.value.rule == "objection.revised_amount"
    assert svc.state(grant.code).version == version  # nothing written


def test_an_upheld_objection_against_an_intrekking_restores_the_grant_and_its_claim_on_the_budget(svc):
    grant = GrantScript(svc)
    grant.to_approved()
    grant.send(c.WithdrawGrant, at(2020, 2, 1), reason="regio stopt")
    assert svc.state(grant.code).status is S.WITHDRAWN
    grant.send(c.FileObjection, at(2020, 2, 20), grounds="de regio stopt niet")
    grant.send(c.DecideObjection, at(2020, 4, 1), outcome=ObjectionOutcome.UPHELD)
    state = svc.state(grant.code)
    assert state.status is S.APPROVED and state.end_reason is None
    assert state.granted_per_year == PER_YEAR


def test_the_beslissing_op_bezwaar_is_never_signed_by_who_signed_the_contested_besluit(svc):
    grant = GrantScript(svc)
    grant.to_approved()
    signer = svc.state(grant.code).besluiten[-1].taken_by
    grant.send(c.WithdrawGrant, at(2020, 2, 1), reason="regio stopt")
    grant.send(c.FileObjection, at(2020, 2, 20), grounds="ten onrechte ingetrokken")
    contested = svc.state(grant.code).besluiten[-1].taken_by
    draft = c.DecideObjection(region_code=grant.code, actor=_person("ju.bos"), reason="heroverwogen",
                              effective_at=at(2020, 4, 1), outcome=ObjectionOutcome.UPHELD)
    svc.execute(draft)
    version = svc.state(grant.code).version
    with pytest.raises(TransitionRefused) as refused:
        svc.execute(c.PassStage(region_code=grant.code, actor=_person(contested), reason="akkoord", effective_at=at(2020, 4, 1),
                                stage="ondertekening", answers={"heroverwogen": True}))
    assert refused.value.rule == "mandate.objection_by_contested_signer"
    assert refused.value.source == "Algemene wet bestuursrecht art. 10:3 lid 3"
    assert svc.state(grant.code).version == version
    other = "di.hendriks" if contested != "di.hendriks" else "co.de-vries"
    svc.execute(c.PassStage(region_code=grant.code, actor=_person(other), reason="akkoord", effective_at=at(2020, 4, 1),
                            stage="ondertekening", answers={"heroverwogen": True}))
    assert svc.state(grant.code).status is S.APPROVED
    assert signer  # the verlening had a signer of its own, recorded


def test_take_besluit_passes_over_the_contested_signer_by_itself(svc):
    grant = GrantScript(svc)
    grant.to_approved()
    grant.send(c.WithdrawGrant, at(2020, 2, 1), reason="regio stopt")
    grant.send(c.FileObjection, at(2020, 2, 20), grounds="ten onrechte ingetrokken")
    command = c.DecideObjection(region_code=grant.code, actor=_person("op.jansen"), reason="heroverwogen",
                                effective_at=at(2020, 4, 1), outcome=ObjectionOutcome.DISMISSED)
    take_besluit(svc.execute, command, svc.regulation(None), when=at(2020, 4, 1))
    state = svc.state(grant.code)
    assert state.besluiten[-1].taken_by != state.besluiten[-2].taken_by
    assert state.besluiten[-1].stages[0].person.startswith("ju.")  # a jurist drafted it, not the beoordelaar
