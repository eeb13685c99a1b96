"""The regulation as dated data: what was in force on a date, and deadlines that explain themselves."""

import datetime as dt

import pytest

from domain.regulation import Amendment, RollForward, UnknownRule, default_regulation
from domain.regulation.termijnen import atw_non_working, resolve_roll_forward

D = dt.date


@pytest.fixture(scope="module")
def reg():
    return default_regulation()


def test_the_timeline_of_the_facts_sheet_is_in_the_data(reg):
    now = reg.in_force(D(2026, 1, 1))
    due = {t.key: t.due for t in now.terms}
    assert due["vooraanmelding"] == D(2018, 10, 31)
    assert reg.term("application_period_1", D(2019, 3, 1)).start == D(2019, 3, 1)
    assert due["application_period_1"] == D(2019, 3, 31)
    assert due["decision_period_1"] == D(2019, 6, 30)
    assert due["application_period_2"] == D(2019, 9, 30)
    assert due["decision_period_2"] == D(2019, 12, 31)
    assert (reg.term("application_period_3", D(2020, 4, 1)).start, due["application_period_3"]) == (D(2020, 3, 16), D(2020, 5, 31))
    assert due["decision_period_3"] == D(2020, 9, 1)
    assert due["progress_report_1"] == D(2021, 11, 1)
    assert due["progress_report_2"] == D(2023, 10, 1)
    assert due["extension_plan_2024"] == D(2023, 10, 1)
    assert due["spending_end"] == D(2024, 12, 31)
    assert due["monitoring_report_1"] == D(2021, 10, 18)


def test_every_term_and_parameter_names_its_source_and_version(reg):
    now = reg.in_force(D(2026, 1, 1))
    for term in now.terms:
        assert term.source and term.version and term.explanation, term.key
    for param in now.parameters:
        assert param.source and param.version, param.key


def test_which_rules_were_in_force_is_one_call(reg):
    before = reg.in_force(D(2020, 1, 1))
    assert [v.id for v in before.versions] == ["awb", "regeling-2018", "kamerbrief-2019-12-17"]
    assert "application_period_3" not in {t.key for t in before.terms}
    after = reg.in_force(D(2020, 3, 10))
    assert after.latest_version.id == "wijziging-2020-03-10"
    assert "application_period_3" in {t.key for t in after.terms}


def test_the_letter_of_20_may_2021_moves_progress_report_1_for_running_grants(reg):
    assert reg.term("progress_report_1", D(2021, 5, 19)).due == D(2021, 10, 1)
    moved = reg.term("progress_report_1", D(2021, 5, 20))
    assert moved.due == D(2021, 11, 1)
    assert moved.amended
    assert "2021-10-01" in moved.explanation[0] and "2021-11-01" in moved.explanation[0]


def test_spending_end_moves_twice(reg):
    assert reg.term("spending_end", D(2021, 1, 1)).due == D(2023, 12, 31)
    assert reg.term("spending_end", D(2022, 1, 1)).due == D(2024, 8, 1)
    assert reg.term("spending_end", D(2023, 7, 19)).due == D(2024, 12, 31)


def test_1_october_2023_is_a_sunday_and_does_not_move_and_says_why(reg):
    term = reg.term("progress_report_2", D(2023, 1, 1))
    assert term.original == term.due == D(2023, 10, 1)
    assert term.roll_forward is RollForward.NONE and not term.moved_by_atw
    text = " ".join(term.explanation)
    assert "zondag" in text and "does not move" in text and "2023-10-02" in text


def test_1_june_2020_is_explained_against_the_binding_period_3(reg):
    announced = reg.term("improved_plan_announced", D(2020, 1, 1))
    text = " ".join(announced.explanation)
    assert announced.due == D(2020, 6, 1)
    assert "Tweede pinksterdag" in text and "2020-06-02" in text
    period3 = reg.term("application_period_3", D(2020, 4, 1))
    assert "Eerste pinksterdag" in " ".join(period3.explanation)


def test_cofinancing_threshold_is_lowered_by_the_letter_of_7_july_2022(reg):
    assert reg.param("cofinancing_threshold", D(2022, 7, 6)).value == "0.10"
    lowered = reg.param("cofinancing_threshold", D(2022, 7, 7))
    assert lowered.value == "0.075"
    assert (lowered.period_start, lowered.period_end) == (D(2020, 1, 1), D(2024, 8, 31))


def test_the_2024_extension_exists_only_from_19_july_2023(reg):
    with pytest.raises(UnknownRule):
        reg.param("extension_cap_share", D(2023, 7, 18))
    assert reg.param("extension_cap_share", D(2023, 7, 19)).value == "0.25"
    assert reg.param("extension_budget_cents", D(2023, 7, 19)).value == 100_000_000_00


def test_the_ceilings_add_up_to_the_totals_of_the_regulation(reg):
    regio = reg.param("ceiling_techniekregio", D(2019, 1, 1)).value
    arm = reg.param("ceiling_techniekarme_regio", D(2019, 1, 1)).value
    assert sum(regio.values()) == 335_500_000_00
    assert sum(arm.values()) == 90_000_000_00


def test_publishing_an_amendment_moves_a_deadline_and_is_idempotent(reg):
    without = reg.without_versions("brief-2022-07-07")
    assert without.term("progress_report_2", D(2023, 1, 1)).due == D(2023, 7, 1)
    amendment = reg.amendment_of("brief-2022-07-07")
    republished = without.with_amendment(amendment)
    assert republished.term("progress_report_2", D(2023, 1, 1)).due == D(2023, 10, 1)
    assert republished.with_amendment(amendment) is republished


def test_an_amendment_for_an_unknown_term_is_refused(reg):
    amendment = reg.amendment_of("brief-2021-05-20")
    bad = Amendment(
        version=amendment.version.model_copy(update={"id": "x"}),
        terms={"no_such_term": amendment.terms["progress_report_1"].model_copy(update={"version": "x"})},
    )
    with pytest.raises(ValueError, match="unknown"):
        reg.with_amendment(bad)


# --- Algemene termijnenwet ---------------------------------------------------------------


def test_atw_holidays_come_from_the_holidays_package_including_goede_vrijdag_and_5_mei():
    assert atw_non_working(D(2019, 4, 19)).startswith("Goede vrijdag")
    assert atw_non_working(D(2019, 5, 5)).startswith("Bevrijdingsdag")  # every year under Atw art. 3
    assert atw_non_working(D(2023, 5, 5)).startswith("Bevrijdingsdag")
    assert atw_non_working(D(2020, 6, 1)).startswith("Tweede pinksterdag")
    assert atw_non_working(D(2019, 6, 29)) == "zaterdag"
    assert atw_non_working(D(2019, 7, 1)) is None


def test_atw_moves_a_term_over_a_weekend_and_a_holiday():
    result = resolve_roll_forward(D(2020, 5, 30), RollForward.ATW, "term set by law")
    assert result.result == D(2020, 6, 2)  # Sat 30 May, Sun 31 May (Pinksteren), Mon 1 June (Tweede pinksterdag)
    assert [d for d, _ in result.skipped] == [D(2020, 5, 30), D(2020, 5, 31), D(2020, 6, 1)]
    assert "moves it to 2020-06-02" in result.explain()


def test_objection_period_of_six_weeks_rolls_forward_over_christmas_and_the_equated_friday(reg):
    # sent Thursday 14 November 2019: 42 days later is Thursday 26 December 2019 (Tweede kerstdag); Friday 27
    # December 2019 was equated with a holiday (Besluit van 24 oktober 2016, BWBR0038666), then the weekend:
    # the term ends on Monday 30 December 2019
    deadline = reg.relative_deadline(
        "objection_period:1", "Bezwaar", "objection_period_days", D(2019, 11, 14), D(2019, 11, 14),
        counted_from_label="sent on",
    )
    assert deadline.original == D(2019, 12, 26)
    assert deadline.due == D(2019, 12, 30)
    assert deadline.moved_by_atw
    assert any("Tweede kerstdag" in line for line in deadline.explanation)
    assert any("2019-12-27 vrijdag na Tweede Kerstdag" in line and "BWBR0038666" in line for line in deadline.explanation)


def test_a_deadline_is_end_of_day_in_amsterdam(reg):
    term = reg.term("vooraanmelding", D(2018, 9, 12))
    assert term.due_at.isoformat() == "2018-11-01T00:00:00+01:00"
