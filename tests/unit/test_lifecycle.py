"""Every transition of a grant's life: its allowed path, and refusals that name rule and source.

Pure domain on the in-memory store. A refusal must write nothing: every refusal is checked against
the grant's version before and after.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from domain import commands as c
from domain.errors import GrantNotFound, TransitionRefused
from domain.models import CostLine, YearAmount
from adapters.event_store.service import GrantService
from domain.values import CostKind, DecisionKind, GrantStatus, ObjectionOutcome, RegionKind, Role, Sector
from adapters.replay.staff import take_besluit
from tests.support.scripted import OPERATOR, PER_YEAR, GrantScript, at, years
from tests.support.stages import Recorder

S = GrantStatus


def refused(service: GrantService, script: GrantScript, rule: str, step, *args, **kwargs) -> TransitionRefused:
    """Run a step that must be refused by `rule`; check it names a source and wrote nothing."""
    before = _events(service, script.code)
    with pytest.raises(TransitionRefused) as info:
        step(*args, **kwargs)
    assert info.value.rule == rule, str(info.value)
    assert info.value.source, "a refusal names its legal source"
    assert info.value.hint, "a refusal says what to do next"
    assert _events(service, script.code) == before, "a refused command writes nothing"
    return info.value


def _events(service: GrantService, code: str) -> int:
    try:
        return len(service.history(code))
    except GrantNotFound:
        return 0


@pytest.fixture
def svc(memory_service) -> GrantService:
    return memory_service


@pytest.fixture
def grant(svc) -> GrantScript:
    return GrantScript(svc)


# --- vooraanmelding --------------------------------------------------------------------------


def test_a_region_pre_registers_before_1_november_2018(svc, grant):
    result = grant.pre_register(at(2018, 10, 31, 23))
    assert result.status is S.PRE_REGISTERED and result.version == 1
    state = svc.state(grant.code)
    assert state.penvoerder.name.startswith("Stichting")
    assert state.pre_registered_on == dt.date(2018, 10, 31)


def test_a_vooraanmelding_after_31_october_2018_is_refused(svc, grant):
    error = refused(svc, grant, "vooraanmelding.deadline", grant.pre_register, at(2018, 11, 1, 0))
    assert "2018-10-31" in error.message and "Subsidieregeling" in error.source


def test_a_vooraanmelding_dated_before_the_regulation_is_refused_not_a_crash(svc, grant):
    """Found by the API fuzzer: a date before 12 September 2018 has no vooraanmelding rule at all."""
    error = refused(svc, grant, "regulation.not_in_force", grant.pre_register, at(2000, 1, 1))
    assert "2018-09-12" in error.message and "2000-01-01" in error.message


def test_a_region_needs_two_vmbo_schools(svc, grant):
    fields = grant.region.vooraanmelding_fields() | {"vmbo_schools": [grant.region.vmbo_schools[0]] * 2}
    fields.pop("region_code")
    error = refused(svc, grant, "region.composition", grant.send, c.SubmitVooraanmelding, at(2018, 10, 1), **fields)
    assert "at least 2" in error.message


def test_a_region_pre_registers_once(svc, grant):
    grant.pre_register()
    refused(svc, grant, "lifecycle.one_grant_per_region", grant.pre_register)


def test_a_brin_must_have_six_characters():
    with pytest.raises(ValueError, match="BRIN"):
        c.SubmitVooraanmelding.model_validate(
            {
                "region_code": "STO-X",
                "actor": OPERATOR,
                "reason": "x",
                "region_name": "X",
                "kind": "techniekregio",
                "penvoerder": {"name": "P", "bevoegd_gezag": "41234", "email": "a@b.nl"},
                "vmbo_schools": ["12AB", "12AB01"],
                "mbo_institutions": ["ROC"],
                "partners": [{"name": "ACME", "kind": "company"}],
            }
        )


def test_a_command_for_an_unknown_region_says_so(svc):
    with pytest.raises(GrantNotFound):
        svc.execute(c.AcceptApplication(region_code="STO-NONE", actor=OPERATOR, reason="x", effective_at=at(2019, 4, 1)))


# --- application -----------------------------------------------------------------------------


def test_a_pre_registered_region_applies_in_period_1(svc, grant):
    grant.pre_register()
    result = grant.apply(1)
    state = svc.state(grant.code)
    assert result.status is S.APPLICATION_SUBMITTED
    assert state.application.period == 1
    assert state.application.requested_cents == sum(PER_YEAR.values())
    assert state.application.regional_maximum_cents >= state.application.requested_cents


def test_period_1_opens_on_1_march_2019(svc, grant):
    grant.pre_register()
    error = refused(svc, grant, "application.period_window", grant.apply, 1, at(2019, 2, 28))
    assert "2019-03-01" in error.message


def test_period_1_closes_after_31_march_2019(svc, grant):
    grant.pre_register()
    error = refused(svc, grant, "application.period_window", grant.apply, 1, at(2019, 4, 1, 0))
    assert "2019-03-31" in error.message


def test_period_2_is_only_for_regions_rejected_in_period_1(svc, grant):
    grant.pre_register()
    error = refused(svc, grant, "application.period_eligibility", grant.apply, 2)
    assert "rejected" in error.message


def test_period_3_does_not_exist_before_the_amendment_of_10_march_2020(svc, grant):
    grant.to_rejected_in_period_1()
    grant.apply(2)
    grant.accept(at(2019, 10, 1))
    grant.advise(at(2019, 11, 1), positive=False)
    grant.reject(at(2019, 12, 10))
    error = refused(svc, grant, "application.period_3_exists", grant.apply, 3, at(2020, 3, 9))
    assert "2020-03-10" in error.message


def test_a_rejected_region_applies_again_in_period_2_with_an_addendum(svc, grant):
    grant.to_rejected_in_period_1()
    result = grant.apply(2)
    assert result.status is S.APPLICATION_SUBMITTED
    assert svc.state(grant.code).application.period == 2


def test_a_period_2_application_without_addendum_is_refused(svc, grant):
    grant.to_rejected_in_period_1()
    refused(
        svc, grant, "application.addendum", grant.send, c.SubmitApplication, at(2019, 9, 1),
        period=2, documents=grant.documents(None),
    )


def _with_line(grant: GrantScript, **line_fields) -> c.SubmitApplication:
    docs = grant.documents()
    line = CostLine(
        description=line_fields.pop("description", "extra"),
        sector=line_fields.pop("sector", Sector.VMBO),
        year=line_fields.pop("year", 2020),
        kind=line_fields.pop("kind", CostKind.MATERIAL),
        unit_price_cents=line_fields.pop("unit_price_cents", 100_00),
        quantity=line_fields.pop("quantity", Decimal(1)),
        **line_fields,
    )
    docs = docs.model_copy(update={"begroting": [*docs.begroting, line]})
    return grant.command(c.SubmitApplication, at(2019, 3, 15), period=1, documents=docs)


def test_no_cost_line_for_havo_vwo_alone(svc, grant):
    grant.pre_register()
    error = refused(svc, grant, "money.no_havo_vwo_only", svc.execute, _with_line(grant, sector=Sector.HAVO_VWO))
    assert "havo" in error.message and "Veelgestelde vragen" in error.source


def test_no_asset_paid_from_both_sto_and_the_nieuwe_leerweg_pilot(svc, grant):
    grant.pre_register()
    refused(
        svc, grant, "money.no_double_funding", svc.execute,
        _with_line(grant, asset_id="CNC-1", funded_by_nieuwe_leerweg=True),
    )


def test_no_asset_on_two_cost_lines(svc, grant):
    grant.pre_register()
    duplicate = grant.documents().begroting[-1].asset_id
    refused(svc, grant, "money.no_double_funding", svc.execute, _with_line(grant, asset_id=duplicate))


@pytest.mark.parametrize("rate", [5000, 5500])
def test_the_advised_and_the_allowed_hourly_rate_need_no_motivation(svc, grant, rate):
    grant.pre_register()
    svc.execute(_with_line(grant, kind=CostKind.PERSONNEL, unit_price_cents=rate, quantity=Decimal(10)))


def test_another_hourly_rate_needs_a_motivation(svc, grant):
    grant.pre_register()
    error = refused(
        svc, grant, "money.hourly_rate_motivation", svc.execute,
        _with_line(grant, kind=CostKind.PERSONNEL, unit_price_cents=6000, quantity=Decimal(10)),
    )
    assert "EUR 50,00" in error.message and "EUR 55,00" in error.message
    svc.execute(
        _with_line(grant, kind=CostKind.PERSONNEL, unit_price_cents=6000, quantity=Decimal(10), rate_motivation="specialist")
    )


def test_the_begroting_stays_under_the_regional_maximum_from_pupil_counts(svc, grant):
    grant.pre_register()
    docs = grant.documents()
    few = [p.model_copy(update={"pupils": 1}) for p in docs.pupil_counts]
    command = grant.command(c.SubmitApplication, at(2019, 3, 15), period=1, documents=docs.model_copy(update={"pupil_counts": few}))
    error = refused(svc, grant, "money.regional_maximum", svc.execute, command)
    assert "2018-10-01" in error.message


def test_gl_pupils_count_half(svc):
    from domain.models import PupilCount
    from domain.money import regional_maximum_cents
    from domain.regulation import default_regulation

    reg = default_regulation()
    bb = regional_maximum_cents([PupilCount(brin="12AB00", profile="PIE", track="bb", pupils=10)], reg, dt.date(2019, 3, 1))
    gl = regional_maximum_cents([PupilCount(brin="12AB00", profile="PIE", track="gl", pupils=10)], reg, dt.date(2019, 3, 1))
    assert gl * 2 == bb


def test_business_cofinancing_must_reach_the_threshold(svc, grant):
    grant.pre_register()
    docs = grant.documents(cofinancing_share=Decimal("0.05"))
    command = grant.command(c.SubmitApplication, at(2019, 3, 15), period=1, documents=docs)
    error = refused(svc, grant, "money.cofinancing_threshold", svc.execute, command)
    assert "10%" in error.message


def test_pupils_are_counted_only_for_member_schools(svc, grant):
    grant.pre_register()
    docs = grant.documents()
    stranger = docs.pupil_counts[0].model_copy(update={"brin": "99ZZ00"})
    command = grant.command(
        c.SubmitApplication, at(2019, 3, 15), period=1, documents=docs.model_copy(update={"pupil_counts": [*docs.pupil_counts, stranger]})
    )
    refused(svc, grant, "money.pupils_of_member_schools", svc.execute, command)


# --- completeness: repair and suspension ---------------------------------------------------------


def test_a_repair_request_suspends_the_decision_term_until_the_repair(svc, grant):
    from domain.deadlines import decision_deadline

    grant.pre_register()
    grant.apply()
    grant.send(c.RequestRepair, at(2019, 4, 1), missing=["begroting 2023"])
    assert svc.state(grant.code).status is S.REPAIR_REQUESTED
    grant.send(c.SubmitRepair, at(2019, 4, 13))
    state = svc.state(grant.code)
    assert state.status is S.APPLICATION_SUBMITTED and state.suspended_days == 12
    deadline = decision_deadline(state, svc.regulation(), dt.date(2019, 4, 13))
    assert deadline.due == dt.date(2019, 7, 12)  # 30 June 2019 + 12 days
    assert "Awb 4:15" in deadline.explanation[-1] and "4:15" in deadline.source


def test_a_repair_request_is_only_for_a_submitted_application(svc, grant):
    grant.pre_register()
    error = refused(svc, grant, "lifecycle.transition", grant.send, c.RequestRepair, at(2019, 4, 1), missing=["x"])
    assert "4:5" in error.source


def test_a_repair_after_the_repair_period_is_refused_and_the_application_set_aside(svc, grant):
    grant.pre_register()
    grant.apply()
    grant.send(c.RequestRepair, at(2019, 4, 1), missing=["begroting"], repair_days=14)
    refused(svc, grant, "application.repair_period", grant.send, c.SubmitRepair, at(2019, 4, 16))
    refused(svc, grant, "deadline.not_passed", grant.consequence, "repair_period:1", at(2019, 4, 15))
    result = grant.consequence("repair_period:1", at(2019, 4, 16, 0))
    state = svc.state(grant.code)
    assert result.events == ["ApplicationSetAside"]
    assert state.status is S.REJECTED and state.decision.kind is DecisionKind.SET_ASIDE
    assert grant.apply(2).status is S.APPLICATION_SUBMITTED  # set aside counts as rejected for period 2


# --- assessment and advice --------------------------------------------------------------------


def test_a_complete_application_goes_to_the_committee(svc, grant):
    grant.pre_register()
    grant.apply()
    assert grant.accept().status is S.UNDER_ASSESSMENT


def test_advice_is_recorded_per_criterion(svc, grant):
    grant.pre_register()
    grant.apply()
    grant.accept()
    assert grant.advise().status is S.ADVISED
    assert svc.state(grant.code).advice.criteria[0].criterion == "regiovisie"


def test_only_techniekarme_regios_get_a_ranking_score(svc):
    arm = GrantScript(svc, index=2, kind=RegionKind.TECHNIEKARME_REGIO)
    arm.pre_register()
    arm.apply()
    arm.accept()
    base = dict(positive=True, criteria=[{"criterion": "regiovisie", "judgement": "sufficient"}])
    refused(svc, arm, "advice.ranking_techniekarme", arm.send, c.RecordAdvice, at(2019, 6, 7), **base)
    assert arm.send(c.RecordAdvice, at(2019, 6, 7), ranking_score=81, **base).status is S.ADVISED

    regio = GrantScript(svc, index=3, kind=RegionKind.TECHNIEKREGIO)
    regio.pre_register()
    regio.apply()
    regio.accept()
    refused(svc, regio, "advice.ranking_techniekarme", regio.send, c.RecordAdvice, at(2019, 6, 7), ranking_score=50, **base)


# --- decision -------------------------------------------------------------------------------


def test_an_approval_grants_an_amount_per_year(svc, grant):
    result = grant.to_approved()
    state = svc.state(grant.code)
    assert result.status is S.APPROVED
    assert state.granted_per_year == PER_YEAR
    assert svc.pool_totals("ceiling:techniekregio") == PER_YEAR


def test_an_approval_needs_a_positive_advice(svc, grant):
    grant.pre_register()
    grant.apply()
    grant.accept()
    grant.advise(positive=False)
    refused(svc, grant, "decision.follows_advice", grant.approve)


def test_an_approval_grants_no_more_than_requested(svc, grant):
    grant.pre_register()
    grant.apply()
    grant.accept()
    grant.advise()
    refused(svc, grant, "money.grant_within_request", grant.approve, at(2019, 6, 20), {2020: sum(PER_YEAR.values()) + 1})


def test_an_approval_only_for_2020_to_2023(svc, grant):
    grant.pre_register()
    grant.apply()
    grant.accept()
    grant.advise()
    refused(svc, grant, "money.year_outside_period", grant.approve, at(2019, 6, 20), {2019: 100})


def test_approvals_together_stay_under_the_ceiling_of_the_region_kind(svc):
    from domain.regulation import default_regulation

    ceiling_2020 = default_regulation().param("ceiling_techniekarme_regio", dt.date(2019, 1, 1)).value["2020"]
    big = {2020: ceiling_2020 * 6 // 10}
    first = GrantScript(svc, index=4, kind=RegionKind.TECHNIEKARME_REGIO, per_year=big)
    first.to_approved()
    second = GrantScript(svc, index=5, kind=RegionKind.TECHNIEKARME_REGIO, per_year=big)
    second.pre_register()
    second.apply()
    second.accept()
    second.advise()
    claimed = svc.pool_totals("ceiling:techniekarme_regio")
    # the approval through its stages: already its draft is refused, before anyone spends time on a besluit its
    # signature could not take (the signature claims the budget; the draft checks the claim and makes none)
    command = second.command(c.ApproveGrant, at(2019, 6, 20), granted_per_year=years(big))
    before: list[int] = []
    send = Recorder(lambda cmd: before.append(_events(svc, second.code)) or svc.execute(cmd))
    with pytest.raises(TransitionRefused) as info:
        take_besluit(send, command, svc.regulation(), when=command.effective_at)
    error = info.value
    assert error.rule == "budget.ceiling", str(error)
    assert error.source and error.hint and "left" in error.message
    assert _events(svc, second.code) == before[-1], "the refused step writes nothing"
    assert len(before) == 1, "the draft itself was refused"
    state = svc.state(second.code)
    assert state.status is S.ADVISED and not state.granted_per_year and state.besluiten == [] and state.case is None
    assert svc.pool_totals("ceiling:techniekarme_regio") == claimed  # only the first region's claim


def test_a_rejection_gives_reasons(svc, grant):
    result = grant.to_rejected_in_period_1()
    assert result.status is S.REJECTED
    assert svc.state(grant.code).decision.reasons == ["regiovisie onvoldoende uitgewerkt"]


def test_a_decision_cannot_be_sent_before_it_was_taken(svc, grant):
    grant.pre_register()
    grant.apply()
    grant.accept()
    grant.advise()
    refused(
        svc, grant, "decision.sent_after_decided", grant.send, c.ApproveGrant, at(2019, 6, 20),
        granted_per_year=years(PER_YEAR), sent_on=dt.date(2019, 6, 19),
    )


# --- objection -------------------------------------------------------------------------------


def test_an_objection_within_six_weeks_and_upheld_approves(svc, grant):
    grant.to_rejected_in_period_1()
    assert grant.send(c.FileObjection, at(2019, 7, 30), grounds="ten onrechte afgewezen").status is S.IN_OBJECTION
    result = grant.send(c.DecideObjection, at(2019, 9, 10), outcome=ObjectionOutcome.UPHELD, granted_per_year=years(PER_YEAR))
    assert result.status is S.APPROVED
    assert svc.state(grant.code).granted_cents == sum(PER_YEAR.values())


def test_a_dismissed_objection_leaves_the_rejection(svc, grant):
    grant.to_rejected_in_period_1()
    grant.send(c.FileObjection, at(2019, 7, 30), grounds="x")
    result = grant.send(c.DecideObjection, at(2019, 9, 10), outcome=ObjectionOutcome.DISMISSED)
    assert result.status is S.REJECTED


def test_an_objection_after_six_weeks_is_refused(svc, grant):
    grant.to_rejected_in_period_1()  # sent Thursday 20 June 2019: the period ends Thursday 1 August 2019
    error = refused(svc, grant, "objection.period", grant.send, c.FileObjection, at(2019, 8, 2), grounds="x")
    assert "2019-08-01" in error.message and "6:7" in error.source


def test_when_the_objection_period_passes_the_decision_becomes_final(svc, grant):
    grant.to_approved()
    result = grant.consequence("objection_period:1", at(2019, 8, 2))
    assert result.events == ["DecisionBecameFinal"]
    assert svc.state(grant.code).decision.final
    refused(svc, grant, "objection.final_decision", grant.send, c.FileObjection, at(2019, 8, 3), grounds="x")


# --- execution: reports, 2024 extension, hourly rate --------------------------------------------


def test_progress_reports_are_recorded_once_and_late_ones_flagged(svc, grant):
    grant.to_approved()
    grant.progress_report(1, at(2021, 11, 2))
    state = svc.state(grant.code)
    assert state.progress_report(1).late  # due 1 November 2021 after the letter of 20 May 2021
    refused(svc, grant, "report.once", grant.progress_report, 1, at(2021, 11, 3))


def test_progress_report_1_on_1_november_2021_is_on_time_after_the_letter(svc, grant):
    grant.to_approved()
    grant.progress_report(1, at(2021, 11, 1, 23))
    assert not svc.state(grant.code).progress_report(1).late


def test_the_2024_plan_comes_with_progress_report_2_within_a_quarter(svc, grant):
    grant.to_approved()
    grant.progress_report(1, at(2021, 10, 1))
    quarter = sum(PER_YEAR.values()) // 4
    error = refused(svc, grant, "extension.cap", grant.progress_report, 2, at(2023, 9, 1), quarter + 1)
    assert "0.25" in error.message
    result = grant.progress_report(2, at(2023, 9, 1), quarter)
    assert result.events == ["ProgressReportSubmitted", "ExtensionPlanSubmitted"]


def test_no_2024_plan_before_the_extension_regulation_of_19_july_2023(svc, grant):
    grant.to_approved()
    refused(
        svc, grant, "extension.regulation_in_force", grant.send, c.SubmitExtensionPlan, at(2023, 7, 18),
        plan=__import__("adapters.replay.synthetic", fromlist=["x"]).extension_plan(grant.region, 100_00),
    )


def test_the_extension_is_granted_within_a_quarter_of_the_2020_2023_grant(svc, grant):
    grant.to_approved()
    grant.progress_report(1, at(2021, 10, 1))
    quarter = sum(PER_YEAR.values()) // 4
    grant.progress_report(2, at(2023, 9, 1), quarter)
    refused(svc, grant, "extension.cap", grant.send, c.GrantExtension, at(2023, 11, 1), amount_cents=quarter + 1)
    result = grant.send(c.GrantExtension, at(2023, 11, 1), amount_cents=quarter)
    assert svc.state(grant.code).granted_total_cents == sum(PER_YEAR.values()) + quarter
    assert svc.pool_totals("extension:2024") == {2024: quarter}
    assert result.status is S.APPROVED


def test_an_extension_needs_a_plan(svc, grant):
    grant.to_approved()
    refused(svc, grant, "extension.needs_plan", grant.send, c.GrantExtension, at(2023, 11, 1), amount_cents=100)


def test_a_new_hourly_rate_never_changes_the_grant(svc, grant):
    grant.to_approved()
    before = svc.state(grant.code).granted_total_cents
    grant.send(c.RecordHourlyRateChange, at(2022, 9, 1), rate_cents=5500)
    refused(svc, grant, "money.hourly_rate_motivation", grant.send, c.RecordHourlyRateChange, at(2022, 9, 2), rate_cents=6200)
    grant.send(c.RecordHourlyRateChange, at(2022, 9, 2), rate_cents=6200, motivation="cao-verhoging")
    state = svc.state(grant.code)
    assert state.granted_total_cents == before
    assert [r.rate_cents for r in state.hourly_rates] == [5500, 6200]


# --- vaststelling ---------------------------------------------------------------------------


def test_vaststelling_lowers_the_grant_when_cofinancing_stays_under_7_5_percent(svc, grant):
    grant.to_approved()
    grant.pay_advances(dt.date(2023, 12, 31))  # the vaststelling sets off what was paid (Awb 4:95 lid 4)
    total = sum(PER_YEAR.values())
    grant.final_report(at(2025, 1, 15), PER_YEAR, cofinancing_cents=total * 5 // 100)
    result = grant.send(c.DetermineGrant, at(2025, 3, 1))
    d = svc.state(grant.code).determination
    assert result.status is S.DETERMINED
    assert d.threshold == "0.075"
    assert d.determined_cents == (total * 5 // 100) * 1000 // 75
    assert d.reclaim_cents == total - d.determined_cents
    assert "2022-07-07" in d.threshold_source


def test_vaststelling_at_the_eligible_amount_when_cofinancing_is_met(svc, grant):
    grant.to_approved()
    grant.pay_advances(dt.date(2023, 12, 31))
    total = sum(PER_YEAR.values())
    realised = {y: a - 1000_00 for y, a in PER_YEAR.items()}
    grant.final_report(at(2025, 1, 15), realised, cofinancing_cents=total // 10)
    grant.send(c.DetermineGrant, at(2025, 3, 1))
    d = svc.state(grant.code).determination
    assert d.determined_cents == sum(realised.values())
    assert d.reclaim_cents == 4 * 1000_00


def test_a_vaststelling_without_advances_paid_sets_nothing_off_and_pays_the_determined_amount(svc, grant):
    grant.to_approved()
    total = sum(PER_YEAR.values())
    grant.final_report(at(2025, 1, 15), PER_YEAR, cofinancing_cents=total // 10)
    grant.send(c.DetermineGrant, at(2025, 3, 1))
    d = svc.state(grant.code).determination
    assert (d.paid_cents, d.reclaim_cents) == (0, 0)  # the ledger paid nothing: nothing to reclaim


def test_the_threshold_before_the_letter_of_7_july_2022_was_10_percent():
    from domain.money import determine
    from domain.regulation import default_regulation

    reg = default_regulation()
    before = determine(1_000_000, 1_000_000, 80_000, 1_000_000, reg, dt.date(2022, 7, 6))
    after = determine(1_000_000, 1_000_000, 80_000, 1_000_000, reg, dt.date(2022, 7, 7))
    assert before.determined_cents == 800_000 and after.determined_cents == 1_000_000


def test_a_grant_is_determined_only_after_its_final_report(svc, grant):
    grant.to_approved()
    refused(svc, grant, "lifecycle.transition", grant.send, c.DetermineGrant, at(2025, 3, 1))


# --- withdrawal, lapse, roles, time ------------------------------------------------------------


def test_a_grant_can_be_withdrawn_but_not_twice(svc, grant):
    grant.to_approved()
    assert grant.send(c.WithdrawGrant, at(2020, 2, 1), reason="regio stopt").status is S.WITHDRAWN
    assert svc.state(grant.code).end_reason == "regio stopt"
    refused(svc, grant, "lifecycle.transition", grant.send, c.WithdrawGrant, at(2020, 2, 2))


def test_a_withdrawn_grant_gives_its_money_back_to_the_ceiling_and_the_2024_budget(svc, grant):
    other = GrantScript(svc, index=2)
    other.to_approved()
    grant.to_approved()
    grant.progress_report(1, at(2021, 10, 1))
    quarter = sum(PER_YEAR.values()) // 4
    grant.progress_report(2, at(2023, 9, 1), quarter)
    grant.send(c.GrantExtension, at(2023, 11, 1), amount_cents=quarter)
    assert svc.pool_totals("ceiling:techniekregio") == {y: 2 * a for y, a in PER_YEAR.items()}

    command = grant.command(c.WithdrawGrant, at(2024, 2, 1), reason="regio stopt")
    sent = Recorder(svc.execute)
    take_besluit(sent, command, svc.regulation(), when=command.effective_at)  # the intrekking, through its stages
    assert svc.state(grant.code).status is S.WITHDRAWN
    assert all(svc.execute(step).duplicate for step in sent.sent)  # a retry of any step releases nothing more
    assert svc.pool_totals("ceiling:techniekregio") == PER_YEAR  # only the other region's claim is left
    assert svc.pool_totals("extension:2024") == {}


def test_withdrawing_a_grant_that_was_never_granted_touches_no_budget(svc, grant):
    grant.pre_register()
    grant.apply()
    before = len(svc.recorder.select_notifications(1, 10_000))
    grant.send(c.WithdrawGrant, at(2019, 4, 2), reason="regio trekt aanvraag in")
    assert len(svc.recorder.select_notifications(1, 10_000)) == before + 1  # the grant's event, no pool event
    assert svc.pool_totals("ceiling:techniekregio") == {}


def test_a_pre_registered_region_that_does_not_apply_lapses_after_period_1(svc, grant):
    grant.pre_register()
    refused(svc, grant, "deadline.not_passed", grant.consequence, "application_period_1", at(2019, 3, 31, 23))
    result = grant.consequence("application_period_1", at(2019, 4, 1, 0))
    assert result.status is S.LAPSED and result.events == ["GrantLapsed"]


def test_a_consequence_of_a_deadline_that_does_not_apply_is_refused(svc, grant):
    grant.pre_register()
    grant.apply()
    refused(svc, grant, "deadline.not_pending", grant.consequence, "application_period_1", at(2019, 4, 2))


def test_a_region_cannot_trigger_transitions(svc, grant):
    grant.pre_register()
    grant.actor = c.Actor(name="penvoerder", role=Role.REGION)
    error = refused(svc, grant, "access.role", grant.apply)
    assert "operator" in error.message


def test_business_time_runs_forward_within_a_grant(svc, grant):
    grant.pre_register(at(2018, 10, 15))
    grant.apply(1, at(2019, 3, 15))
    refused(svc, grant, "time.business_order", grant.send, c.AcceptApplication, at(2019, 3, 14))


def test_every_event_records_who_when_why_and_the_legal_basis(svc, grant):
    grant.to_approved()
    for event in svc.history(grant.code):
        assert event.actor and event.role and event.reason and event.rule and event.legal_basis
        assert event.effective_at.tzinfo is not None and event.timestamp.tzinfo is not None
        assert event.command_id and event.command_type


def test_amounts_in_commands_are_integer_cents_never_floats():
    with pytest.raises(ValueError):
        YearAmount(year=2020, amount_cents=1.5)
