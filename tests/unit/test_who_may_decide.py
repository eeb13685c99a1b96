"""Who may decide (issue 23): a besluit command only drafts the besluit; people of the organisation register
holding each stage's role for the scheme pass the further stages; the signing stage takes the besluit under a
mandate, whose signature the besluit keeps. One person takes one stage of a case, nobody is above the rules, a
signatory stays within their mandate, and the beslissing op bezwaar is never signed by whoever signed the
contested besluit (Awb 10:3 lid 3).

The real service on the in-memory store, people of the shipped register
(domain/regulation/data/organisation/register.toml). Every refusal is checked to write nothing. Where a rule
cannot be reached with the shipped register (every role in it is granted for every scheme), the domain's choke
point `decide()` is asked with a register that grants one for one scheme only: the Context a decision is taken in
carries the register for exactly that.
"""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.event_store.service import GrantService
from adapters.event_store.store import open_service
from domain import commands as c
from domain.authority.register import DATA, SHIPPED, Register, load_register
from domain.authority.rules import FOUR_EYES
from domain.decide import Context, decide
from domain.errors import TransitionRefused
from domain.letters import compose
from domain.values import GrantStatus as S, ObjectionOutcome, Role
from tests.support.scripted import PER_YEAR, GrantScript, at, years
from tests.support.stages import passing_answers, person, stage_command, take_stages

TOTAL = sum(PER_YEAR.values())  # EUR 3.800.000: above the teamleider's EUR 2.500.000, within the afdelingshoofd's

# Each version of the register as it was released, hashed (Register.digest): a change is a new version, never an
# edit of one in force. A new version appended leaves these alone; an edit of one of them fails here.
REGISTER_DIGESTS = {
    1: "57b06307970eb49ed2bca8ee51123bcb81390818aa618eeea8d233df35e766be",
    2: "ba7137d10761110a0f6320fcb3495adef284bb32686b44eb9399f53444e8041b",
}


@pytest.fixture
def svc(memory_service) -> GrantService:
    return memory_service


def advised(svc: GrantService, index: int = 1, per_year: dict[int, int] | None = None) -> GrantScript:
    """A grant advised positively, its approval due; besluiten sent through it only draft (stages by hand)."""
    grant = GrantScript(svc, index=index, per_year=dict(per_year or PER_YEAR), stages=False)
    grant.pre_register()
    grant.apply()
    grant.accept()
    grant.advise()
    return grant


def refused(svc: GrantService, grant: GrantScript, command: c.Command, rule: str) -> TransitionRefused:
    """Send `command`; it must be refused by `rule`, name a source and a next step, and write nothing."""
    version = svc.state(grant.code).version
    with pytest.raises(TransitionRefused) as info:
        svc.execute(command)
    assert info.value.rule == rule, str(info.value)
    assert info.value.source and info.value.hint, str(info.value)
    assert svc.state(grant.code).version == version, "a refused command writes nothing"
    return info.value


def approval(grant: GrantScript, when: dt.datetime = at(2019, 6, 20), by: str = "op.jansen",
             amounts: dict[int, int] | None = None) -> c.ApproveGrant:
    return grant.command(c.ApproveGrant, when, actor=person(by), granted_per_year=years(amounts or grant.per_year))


def stage(svc: GrantService, command: c.Command, stage_id: str, name: str, when: dt.datetime | None = None,
          **kw) -> c.PassStage | c.SendBackStage:
    return stage_command(command, svc.regulation(), stage_id, name, when=when, **kw)


def work(grant: GrantScript, kind: type[c.Command], name: str, when: dt.datetime, **fields) -> c.Command:
    return grant.command(kind, when, actor=person(name), **fields)


def register_where(**roles: dict[str, list[str]]) -> Register:
    """The shipped register, with the people named given these roles per scheme in all its versions."""
    data = SHIPPED.model_dump(mode="json")
    for version in data["versions"]:
        for entry in version["people"] or []:
            if entry["name"] in roles:
                entry["roles"] = roles[entry["name"]]
    return Register.model_validate(data)


def asked(svc: GrantService, grant: GrantScript, command: c.Command, register: Register):
    """What the domain's choke point decides for `command` on the grant as stored, under `register`."""
    return decide(svc.state(grant.code), command, Context(svc.regulation(), command.effective_at, register=register))


# --- four eyes ---------------------------------------------------------------------------------------------

SMALL = {2020: 500_000_00, 2021: 500_000_00, 2022: 400_000_00, 2023: 400_000_00}  # EUR 1.800.000: the teamleider's


def test_the_drafter_of_a_besluit_does_not_take_its_next_stage(svc):
    grant = advised(svc)
    command = approval(grant)
    assert svc.execute(command).events == ["BesluitDrafted"]
    # a beoordelaar holds no interne controle's role either
    error = refused(svc, grant, stage(svc, command, "interne_controle", "op.jansen"), "authority.role")
    assert "interne_controle" in error.message and "op.jansen holds beoordelaar" in error.message


def test_one_person_cannot_take_two_stages_of_one_case_even_holding_the_roles_of_both(svc):
    grant = advised(svc, per_year=SMALL)
    command = approval(grant, by="co.meijer")  # the teamleider assesses too (beoordelaar and coordinator)
    assert svc.execute(command).events == ["BesluitDrafted"]
    svc.execute(stage(svc, command, "interne_controle", "ic.smit"))
    error = refused(svc, grant, stage(svc, command, "ondertekening", "co.meijer"), "four_eyes.one_stage_per_person")
    assert error.source == FOUR_EYES and "co.meijer took the stage eerste_beoordeling" in error.message
    # nor is the stage claimed by them, or given to them by a coordinator
    refused(svc, grant, work(grant, c.ClaimCase, "co.meijer", at(2019, 6, 21)), "four_eyes.one_stage_per_person")
    refused(svc, grant, work(grant, c.AssignCase, "co.de-vries", at(2019, 6, 21), to="co.meijer"),
            "four_eyes.one_stage_per_person")
    signed = svc.execute(stage(svc, command, "ondertekening", "co.de-vries"))  # another holder of the role signs
    assert signed.events[:2] == ["BesluitSigned", "GrantApproved"]
    assert [s.person for s in svc.state(grant.code).besluiten[-1].stages] == ["co.meijer", "ic.smit", "co.de-vries"]


def test_one_person_cannot_take_two_stages_of_one_case_across_a_send_back(svc):
    grant = advised(svc, per_year=SMALL)
    command = approval(grant)
    svc.execute(command)
    svc.execute(stage(svc, command, "interne_controle", "ic.smit"))
    svc.execute(stage(svc, command, "ondertekening", "co.meijer", send_back=True, answers={},
                      reason="de motivering van de rangschikking ontbreekt"))
    assert svc.state(grant.code).case.round == 2
    svc.execute(work(grant, c.ReleaseCase, "op.jansen", at(2019, 6, 21)))  # the drafter leaves the redraft to others
    # co.meijer took the signing stage in round 1: not the draft of round 2, though a beoordelaar
    error = refused(svc, grant, approval(grant, at(2019, 6, 24), by="co.meijer"), "four_eyes.one_stage_per_person")
    assert "co.meijer took the stage ondertekening" in error.message and error.source == FOUR_EYES
    again = approval(grant, at(2019, 6, 24), by="op.bakker")
    assert svc.execute(again).events == ["BesluitDrafted"]
    # the one who sent it back from the signing stage may sign round 2: the same stage
    svc.execute(stage(svc, again, "interne_controle", "ic.mulder"))
    assert svc.execute(stage(svc, again, "ondertekening", "co.meijer")).status is S.APPROVED


def test_a_stage_sent_back_may_be_taken_again_by_the_one_who_sent_it_back(svc):
    grant = advised(svc)
    command = approval(grant)
    svc.execute(command)
    svc.execute(stage(svc, command, "interne_controle", "ic.smit", send_back=True, answers={}, reason="onvolledig"))
    again = approval(grant, at(2019, 6, 24))
    svc.execute(again)
    assert svc.execute(stage(svc, again, "interne_controle", "ic.smit")).events == ["StagePassed"]  # the same stage


# --- nobody above the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["admin", "administrator", "beheerder", "root", "superuser", "sto-admin"])
def test_an_administrator_sounding_name_gets_no_bypass_a_person_not_in_the_register_is_refused(svc, name):
    grant = advised(svc)
    error = refused(svc, grant, approval(grant, by=name), "authority.unknown_person")
    assert name in error.message and "Mandaat- en rollenregister" in error.source
    refused(svc, grant, work(grant, c.ClaimCase, name, at(2019, 6, 20)), "authority.unknown_person")
    command = approval(grant)
    svc.execute(command)
    refused(svc, grant, stage(svc, command, "interne_controle", name), "authority.unknown_person")
    refused(svc, grant, stage(svc, command, "interne_controle", name, send_back=True, answers={}), "authority.unknown_person")
    refused(svc, grant, work(grant, c.AssignCase, name, at(2019, 6, 21), to="ic.smit"), "authority.unknown_person")
    svc.execute(stage(svc, command, "interne_controle", "ic.smit"))
    refused(svc, grant, stage(svc, command, "ondertekening", name), "authority.unknown_person")
    assert svc.state(grant.code).status is S.ADVISED


def test_the_engine_itself_takes_no_stage(svc):
    grant = advised(svc)
    command = approval(grant)
    svc.execute(command)
    engine = stage(svc, command, "interne_controle", "ic.smit").model_copy(update={"actor": c.SYSTEM_ACTOR})
    refused(svc, grant, engine, "access.role")


# --- roles --------------------------------------------------------------------------------------------------


def test_a_role_not_held_is_refused_naming_the_role_the_scheme_and_who_holds_it(svc):
    grant = advised(svc)
    error = refused(svc, grant, approval(grant, by="ju.bos"), "authority.role")
    assert "beoordelaar" in error.message and "sto-2020-2024" in error.message and "ju.bos holds jurist" in error.message
    assert "op.jansen" in error.hint  # who may
    command = approval(grant)
    svc.execute(command)
    refused(svc, grant, stage(svc, command, "interne_controle", "co.de-vries"), "authority.role")
    svc.execute(stage(svc, command, "interne_controle", "ic.smit"))
    refused(svc, grant, stage(svc, command, "ondertekening", "ic.mulder"), "authority.role")
    refused(svc, grant, stage(svc, command, "ondertekening", "ju.dekker"), "authority.role")


def test_a_role_granted_for_another_scheme_only_is_refused_in_this_one(svc):
    grant = advised(svc)  # a grant of STO 2020-2024
    elsewhere = register_where(**{"op.visser": {"sto-2025-2028": ["beoordelaar"]}})
    with pytest.raises(TransitionRefused) as info:
        asked(svc, grant, approval(grant, by="op.visser"), elsewhere)
    assert info.value.rule == "authority.role" and "sto-2020-2024" in info.value.message
    assert "op.visser holds none" in info.value.message
    drafted = asked(svc, grant, approval(grant, by="op.jansen"), elsewhere)  # a beoordelaar of every scheme may
    assert [cls.__name__ for cls, _ in drafted.events] == ["BesluitDrafted"]


# --- checklists ---------------------------------------------------------------------------------------------


def test_the_checklist_must_be_complete_and_its_must_be_true_answers_true(svc):
    grant = advised(svc)
    command = approval(grant)
    svc.execute(command)
    full = passing_answers(svc.regulation(), "ApproveGrant", "interne_controle")
    assert set(full) == {"advies_gevolgd", "bedrag_juist", "iban_juist", "beschikking_mag_verzonden"}

    def ic(answers):
        return stage(svc, command, "interne_controle", "ic.smit", answers=answers)

    error = refused(svc, grant, ic({}), "stages.checklist_incomplete")
    assert all(q in error.message for q in full)
    missing_one = {k: v for k, v in full.items() if k != "iban_juist"}
    assert "iban_juist" in refused(svc, grant, ic(missing_one), "stages.checklist_incomplete").message
    error = refused(svc, grant, ic({**full, "beschikking_mag_verzonden": False}), "stages.checklist_not_met")
    assert "De beschikking mag verzonden worden" in error.message and "sends the besluit back" in error.hint
    refused(svc, grant, ic({**full, "bedrag_juist": "ja"}), "stages.answer_type")
    refused(svc, grant, ic({**full, "iets_anders": True}), "stages.unknown_question")
    # a false answer does not stop a stage that sends the besluit back: that is what it is for
    assert svc.execute(stage(svc, command, "interne_controle", "ic.smit", send_back=True,
                             answers={"iban_juist": False}, reason="IBAN wijkt af")).events == ["BesluitSentBack"]
    again = approval(grant, at(2019, 6, 24))
    svc.execute(again)
    # the optional note may be left out or given; the questions asked of an approval only are not asked of others
    assert svc.execute(ic({**full, "notitie": "gecontroleerd tegen de verplichting"}).model_copy(
        update={"effective_at": again.effective_at})).events == ["StagePassed"]


def test_a_question_asked_of_an_approval_only_is_not_asked_of_a_rejection(svc):
    grant = GrantScript(svc, stages=False)
    grant.pre_register()
    grant.apply()
    grant.accept()
    grant.advise(positive=False)
    rejection = grant.command(c.RejectApplication, at(2019, 6, 20), actor=person("op.jansen"),
                              reasons=["regiovisie onvoldoende uitgewerkt"])
    svc.execute(rejection)
    answers = passing_answers(svc.regulation(), "RejectApplication", "interne_controle")
    assert set(answers) == {"advies_gevolgd", "beschikking_mag_verzonden"}
    assert svc.execute(stage(svc, rejection, "interne_controle", "ic.smit", answers=answers)).events == ["StagePassed"]


# --- mandates -----------------------------------------------------------------------------------------------


def test_a_signatory_above_their_mandate_limit_is_refused_naming_awb_10_3_and_10_9_and_nothing_is_written(svc):
    grant = advised(svc)
    command = approval(grant)  # EUR 3.800.000
    svc.execute(command)
    svc.execute(stage(svc, command, "interne_controle", "ic.smit"))
    version = svc.state(grant.code).version
    error = refused(svc, grant, stage(svc, command, "ondertekening", "co.meijer"), "mandate.limit")
    assert "10:3" in error.source and "10:9" in error.source and "Algemene wet bestuursrecht" in error.source
    assert "EUR 2.500.000" in error.message and "EUR 3.800.000" in error.message
    assert "co.de-vries" in error.hint  # whose mandate covers it
    state = svc.state(grant.code)
    assert state.version == version and state.status is S.ADVISED and state.besluiten == []
    assert state.case is not None and state.case.stages[-1].stage == "interne_controle"  # still waiting to be signed
    signed = svc.execute(stage(svc, command, "ondertekening", "co.de-vries"))
    assert signed.events[:2] == ["BesluitSigned", "GrantApproved"] and signed.status is S.APPROVED


def test_a_coordinator_without_a_mandate_for_the_kind_of_besluit_is_refused(svc):
    grant = GrantScript(svc, stages=False)
    grant.pre_register()
    grant.apply()
    grant.accept()
    grant.advise(positive=False)
    rejection = grant.command(c.RejectApplication, at(2019, 6, 20), actor=person("op.jansen"), reasons=["onvoldoende"])
    take_stages(svc.execute, rejection, svc.regulation(), ["ic.smit", "co.de-vries"])
    grant.send(c.FileObjection, at(2019, 7, 30), grounds="ten onrechte afgewezen")
    decision = grant.command(c.DecideObjection, at(2019, 9, 10), actor=person("ju.bos"), outcome=ObjectionOutcome.DISMISSED)
    svc.execute(decision)
    # the teamleider's sub-mandate covers no beslissingen op bezwaar
    error = refused(svc, grant, stage(svc, decision, "ondertekening", "co.meijer"), "mandate.none")
    assert "10:9" in error.source


def test_the_beslissing_op_bezwaar_is_refused_for_whoever_signed_the_contested_besluit_and_taken_by_another(svc):
    grant = GrantScript(svc, stages=False)
    grant.pre_register()
    grant.apply()
    grant.accept()
    grant.advise(positive=False)
    rejection = grant.command(c.RejectApplication, at(2019, 6, 20), actor=person("op.jansen"),
                              reasons=["regiovisie onvoldoende uitgewerkt"])
    take_stages(svc.execute, rejection, svc.regulation(), ["ic.smit", "co.de-vries"])
    contested = svc.state(grant.code).besluiten[-1]
    assert contested.kind == "rejection" and contested.taken_by == "co.de-vries"
    grant.send(c.FileObjection, at(2019, 7, 30), grounds="ten onrechte afgewezen")
    decision = grant.command(c.DecideObjection, at(2019, 9, 10), actor=person("ju.bos"),
                             outcome=ObjectionOutcome.DISMISSED)
    assert svc.execute(decision).events == ["BesluitDrafted"]  # the jurist drafts
    error = refused(svc, grant, stage(svc, decision, "ondertekening", "co.de-vries"),
                    "mandate.objection_by_contested_signer")
    assert "10:3 lid 3" in error.source and "co.de-vries" in error.message
    assert svc.state(grant.code).objection.decided_on is None
    signed = svc.execute(stage(svc, decision, "ondertekening", "di.hendriks"))
    assert signed.events[:2] == ["BesluitSigned", "ObjectionDecided"]
    besluit = svc.state(grant.code).besluiten[-1]
    assert besluit.kind == "objection_decision" and besluit.taken_by == "di.hendriks"
    assert besluit.signature["signer"] == "di.hendriks" and besluit.signature["mandate"] == "directeur"


# --- sent back, claimed, released, assigned ----------------------------------------------------------------


def test_a_case_sent_back_goes_to_its_drafter_and_is_drafted_again(svc):
    grant = advised(svc)
    command = approval(grant)
    svc.execute(command)
    back = svc.execute(stage(svc, command, "interne_controle", "ic.smit", send_back=True,
                             answers={"bedrag_juist": False}, reason="het bedrag voor 2022 wijkt af"))
    assert back.events == ["BesluitSentBack"]
    state = svc.state(grant.code)
    assert state.case.next_stage == 0 and state.case.round == 2
    assert state.claim is not None and state.claim.person == "op.jansen" and state.claim.stage == "eerste_beoordeling"
    sent_back = state.case.stages[-1]
    assert (sent_back.person, sent_back.outcome, sent_back.reason) == ("ic.smit", "sent_back", "het bedrag voor 2022 wijkt af")
    # no stage is passed before it is drafted again, and only by its drafter while they hold it
    refused(svc, grant, stage(svc, command, "interne_controle", "ic.mulder", when=at(2019, 6, 24)),
            "stages.sent_back_to_draft")
    refused(svc, grant, approval(grant, at(2019, 6, 24), by="op.bakker"), "work.claimed_by_other")
    corrected = {**PER_YEAR, 2022: PER_YEAR[2022] - 50_000_00}
    again = approval(grant, at(2019, 6, 24), amounts=corrected)
    assert svc.execute(again).events == ["BesluitDrafted"]
    state = svc.state(grant.code)
    assert state.claim is None and state.case.round == 2 and state.case.next_stage == 1
    assert state.case.amount_cents == sum(corrected.values())
    svc.execute(stage(svc, again, "interne_controle", "ic.mulder"))
    svc.execute(stage(svc, again, "ondertekening", "co.de-vries"))
    state = svc.state(grant.code)
    assert state.status is S.APPROVED and state.granted_per_year == corrected
    assert [(s.stage, s.person, s.outcome, s.round) for s in state.besluiten[-1].stages] == [
        ("eerste_beoordeling", "op.jansen", "drafted", 1),
        ("interne_controle", "ic.smit", "sent_back", 1),
        ("eerste_beoordeling", "op.jansen", "drafted", 2),
        ("interne_controle", "ic.mulder", "passed", 2),
        ("ondertekening", "co.de-vries", "signed", 2),
    ]


def test_claim_release_and_assign_a_coordinator_may_release_and_assign_a_beoordelaar_may_not(svc):
    grant = advised(svc)
    when = at(2019, 6, 19)
    assert svc.execute(work(grant, c.ClaimCase, "op.bakker", when)).events == ["CaseClaimed"]
    claim = svc.state(grant.code).claim
    assert (claim.person, claim.stage, claim.assigned_by) == ("op.bakker", "eerste_beoordeling", None)
    refused(svc, grant, work(grant, c.ClaimCase, "op.bakker", when), "work.already_yours")
    refused(svc, grant, work(grant, c.ClaimCase, "op.jansen", when), "work.claimed_by_other")
    refused(svc, grant, approval(grant, by="op.jansen"), "work.claimed_by_other")  # a claimed case: not drafted by another
    error = refused(svc, grant, work(grant, c.ReleaseCase, "op.jansen", when), "authority.role")
    assert "coordinator" in error.message  # a beoordelaar may not release another's claim
    refused(svc, grant, work(grant, c.AssignCase, "op.jansen", when, to="op.jansen"), "authority.role")
    assert svc.execute(work(grant, c.ReleaseCase, "co.meijer", when)).events == ["CaseReleased"]
    assert svc.state(grant.code).claim is None
    refused(svc, grant, work(grant, c.ReleaseCase, "co.meijer", when), "work.not_claimed")
    refused(svc, grant, work(grant, c.AssignCase, "co.meijer", when, to="ic.smit"), "authority.role")  # not their stage
    refused(svc, grant, work(grant, c.AssignCase, "co.meijer", when, to="nobody.here"), "authority.unknown_person")
    assert svc.execute(work(grant, c.AssignCase, "co.meijer", when, to="op.jansen")).events == ["CaseClaimed"]
    claim = svc.state(grant.code).claim
    assert (claim.person, claim.assigned_by) == ("op.jansen", "co.meijer")
    refused(svc, grant, work(grant, c.AssignCase, "co.meijer", when, to="op.jansen"), "work.already_theirs")
    refused(svc, grant, approval(grant, by="op.bakker"), "work.claimed_by_other")
    command = approval(grant)
    svc.execute(command)  # the one who holds it drafts; the claim ends with the stage taken
    assert svc.state(grant.code).claim is None
    # the next stage: claimed by one, refused to another; released by its holder, then open to all who may
    svc.execute(work(grant, c.ClaimCase, "ic.smit", at(2019, 6, 21)))
    refused(svc, grant, stage(svc, command, "interne_controle", "ic.mulder", when=at(2019, 6, 21)), "work.claimed_by_other")
    refused(svc, grant, stage(svc, command, "interne_controle", "ic.mulder", when=at(2019, 6, 21), send_back=True,
                              answers={}), "work.claimed_by_other")
    assert svc.execute(work(grant, c.ReleaseCase, "ic.smit", at(2019, 6, 21))).events == ["CaseReleased"]
    assert svc.execute(stage(svc, command, "interne_controle", "ic.mulder", when=at(2019, 6, 21))).events == ["StagePassed"]


def test_a_claim_is_on_the_open_stage_only_for_who_may_take_it_and_refuses_it_to_others(svc):
    grant = advised(svc)
    command = approval(grant)
    svc.execute(command)
    svc.execute(stage(svc, command, "interne_controle", "ic.smit"))
    refused(svc, grant, work(grant, c.ClaimCase, "ic.mulder", at(2019, 6, 21)), "authority.role")  # the signing stage
    assert svc.execute(work(grant, c.ClaimCase, "co.de-vries", at(2019, 6, 21))).events == ["CaseClaimed"]
    refused(svc, grant, stage(svc, command, "ondertekening", "di.hendriks", when=at(2019, 6, 21)), "work.claimed_by_other")


# --- when a besluit takes effect ------------------------------------------------------------------------------


def test_the_besluit_takes_effect_only_when_the_signing_stage_passes(svc):
    grant = advised(svc)
    owed_from = svc.installation.letters_owed_from
    assert owed_from is not None  # the store makes letters: a besluit owes one from its first event
    command = approval(grant)
    steps = [command, stage(svc, command, "interne_controle", "ic.smit", when=at(2019, 6, 21))]
    for step in steps:
        result = svc.execute(step)
        state = svc.state(grant.code)
        assert result.status is S.ADVISED and state.status is S.ADVISED, step.name
        assert state.granted_per_year == {} and state.decision is None and state.besluiten == []
        assert state.besluiten_without_letter(owed_from) == [], "no letter owed before the besluit is signed"
    signed = svc.execute(stage(svc, command, "ondertekening", "co.de-vries", when=at(2019, 6, 22)))
    assert signed.events[:2] == ["BesluitSigned", "GrantApproved"] and signed.status is S.APPROVED
    state = svc.state(grant.code)
    assert state.granted_per_year == PER_YEAR and state.case is None
    (besluit,) = state.besluiten
    assert besluit.kind == "approval" and besluit.decided_on == dt.date(2019, 6, 22)
    assert besluit.taken_by == "co.de-vries" and [s.outcome for s in besluit.stages] == ["drafted", "passed", "signed"]
    assert [b.number for b in state.besluiten_without_letter(owed_from)] == [1]  # now its letter is owed


# --- the signature --------------------------------------------------------------------------------------------


def _closing(letter_text: str) -> str:
    return letter_text[letter_text.index("Hoogachtend,"):]


def test_the_signature_comes_from_the_register_version_in_force_on_the_signing_day(svc):
    grant = advised(svc)
    command = approval(grant)
    take_stages(svc.execute, command, svc.regulation(), ["ic.smit", "co.de-vries"])  # signed 2019-06-20
    grant.progress_report(1, at(2021, 10, 1))
    quarter = TOTAL // 4
    grant.progress_report(2, at(2023, 9, 1), quarter)
    extension = grant.command(c.GrantExtension, at(2023, 11, 1), actor=person("op.jansen"), amount_cents=quarter)
    svc.execute(extension)
    svc.execute(stage(svc, extension, "interne_controle", "ic.smit", when=at(2023, 12, 4)))
    svc.execute(stage(svc, extension, "ondertekening", "co.de-vries", when=at(2024, 1, 8)))  # signed in 2024
    grant.final_report(at(2025, 1, 15), PER_YEAR, cofinancing_cents=TOTAL * 5 // 100)
    determination = grant.command(c.DetermineGrant, at(2025, 3, 1), actor=person("op.jansen"))
    take_stages(svc.execute, determination, svc.regulation(), ["ic.smit", "co.de-vries"])  # signed in 2025
    state = svc.state(grant.code)
    by_kind = {b.kind: b for b in state.besluiten}
    approved, extended, determined = by_kind["approval"], by_kind["extension"], by_kind["determination"]
    assert extended.decided_on == dt.date(2024, 1, 8) and determined.decided_on == dt.date(2025, 3, 1)
    assert [b.signature["register_version"] for b in (approved, extended, determined)] == [1, 1, 2]
    version_1 = ("de Minister van Onderwijs, Cultuur en Wetenschap,\nnamens deze,\n"
                 "het afdelingshoofd Dienst Uitvoering Subsidies aan Instellingen,\n\nmr. G. de Vries\n")
    version_2 = ("de minister van Onderwijs, Cultuur en Wetenschap,\nnamens deze,\n"
                 "het hoofd van de afdeling Onderwijs, Dienst Uitvoering Subsidies aan Instellingen,\n\nmr. G. de Vries\n")
    regulation = svc.regulation(state.scheme)
    letters = {b.kind: compose(state, b.number, regulation).text() for b in (approved, extended, determined)}
    assert _closing(letters["approval"]).endswith(version_1)
    assert _closing(letters["extension"]).endswith(version_1)
    assert _closing(letters["determination"]).endswith(version_2)
    assert "de Minister van" not in _closing(letters["determination"])
    assert "de minister van" not in _closing(letters["extension"])
    # a reprint, after a besluit under the later version, still prints what the first was signed with
    assert compose(svc.state(grant.code), approved.number, regulation).text() == letters["approval"]


def test_a_sub_mandate_signs_namens_deze_and_voor_deze(svc):
    small = {2020: 500_000_00, 2021: 500_000_00, 2022: 400_000_00, 2023: 400_000_00}  # EUR 1.800.000
    grant = advised(svc, per_year=small)
    command = approval(grant)
    take_stages(svc.execute, command, svc.regulation(), ["ic.smit", "co.meijer"])
    state = svc.state(grant.code)
    (besluit,) = state.besluiten
    signature = besluit.signature
    assert signature["mandate"] == "teamleider" and signature["signer"] == "co.meijer"
    assert signature["lines"] == [
        "de Minister van Onderwijs, Cultuur en Wetenschap,",
        "namens deze,",
        "het afdelingshoofd Dienst Uitvoering Subsidies aan Instellingen,",
        "voor deze,",
        "de teamleider Onderwijs,",
        "",
        "H. Meijer",
    ]
    assert "10:9" in signature["source"] and "10:10" in signature["source"]
    letter = compose(state, besluit.number, svc.regulation(state.scheme)).text()
    assert "namens deze,\nhet afdelingshoofd Dienst Uitvoering Subsidies aan Instellingen,\nvoor deze,\n" \
           "de teamleider Onderwijs,\n\nH. Meijer\n" in letter


# --- the register -------------------------------------------------------------------------------------------


def test_the_versions_of_the_register_are_never_edited():
    register = load_register(DATA)  # the file as it is now, not the copy loaded at import
    assert len(register.versions) >= len(REGISTER_DIGESTS), "a version is never removed"
    assert {n: register.digest(n) for n in REGISTER_DIGESTS} == REGISTER_DIGESTS, (
        "a register version in force was edited: add a new version instead (see the head of register.toml)")
    assert register.versions[0].valid_from == dt.date(2018, 9, 1)
    assert register.versions[1].valid_from == dt.date(2025, 1, 1)


def test_the_register_in_force_is_chosen_by_the_day():
    assert SHIPPED.on(dt.date(2018, 8, 31)) is None
    assert SHIPPED.on(dt.date(2024, 12, 31)).version.number == 1
    assert SHIPPED.on(dt.date(2025, 1, 1)).version.number == 2
