"""`sto audit as-of`: the grant at the end of a day (Europe/Amsterdam, business time) and the rules then."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.read_side.as_of import NotYetExisting, as_of_view
from tests.support.scenarios import full_life
from tests.support.scripted import GrantScript
from domain.errors import GrantNotFound
from domain.timekeeping import AMSTERDAM

D = dt.date


@pytest.fixture
def grant(memory_service) -> GrantScript:
    grant = GrantScript(memory_service)
    full_life(grant)  # progress report 1 on 2021-10-20, progress report 2 with the 2024 plan on 2023-09-20
    return grant


def test_as_of_a_date_between_two_events_shows_the_earlier_state_and_the_rules_of_that_date(memory_service, grant):
    history = memory_service.history(grant.code)
    report_1 = next(e for e in history if type(e).__name__ == "ProgressReportSubmitted")
    view = as_of_view(memory_service, grant.code, D(2022, 8, 1))

    assert view["version"] == report_1.originator_version < view["versions_now"]
    assert view["last_event"]["event"] == "ProgressReportSubmitted"
    assert view["next_event"]["effective_on"] == "2023-09-20"
    assert view["grant"]["status"] == "approved"
    assert [r["number"] for r in view["grant"]["progress_reports"]] == [1]
    assert view["grant"]["extension"]["plan"] is None  # the plan came later
    rules = view["regulation"]
    versions = [v["id"] for v in rules["versions_in_force"]]
    assert "brief-2022-07-07" in versions and "wijziging-2023-07-19" not in versions
    assert rules["latest_version"] == "brief-2022-07-07"
    assert rules["parameters"]["cofinancing_threshold"]["value"] == "0.075"
    assert "extension_cap_share" not in rules["parameters"]

    day_before_the_letter = as_of_view(memory_service, grant.code, D(2022, 7, 6))
    assert day_before_the_letter["version"] == view["version"]  # the same grant...
    assert day_before_the_letter["regulation"]["parameters"]["cofinancing_threshold"]["value"] == "0.10"  # ...other rules


def test_the_day_ends_at_midnight_in_amsterdam(memory_service):
    grant = GrantScript(memory_service)
    grant.pre_register()
    grant.apply()
    grant.accept()
    grant.advise()
    grant.approve(dt.datetime(2019, 6, 21, 0, 30, tzinfo=AMSTERDAM))  # still 20 June in UTC
    assert as_of_view(memory_service, grant.code, D(2019, 6, 20))["grant"]["status"] == "advised"
    assert as_of_view(memory_service, grant.code, D(2019, 6, 21))["grant"]["status"] == "approved"


def test_the_day_of_an_event_includes_it(memory_service, grant):
    assert as_of_view(memory_service, grant.code, D(2019, 6, 19))["grant"]["status"] == "advised"
    assert as_of_view(memory_service, grant.code, D(2019, 6, 20))["grant"]["status"] == "approved"


def test_before_its_vooraanmelding_a_grant_did_not_exist_yet(memory_service, grant):
    with pytest.raises(NotYetExisting, match="vooraanmelding took effect on 2018-10-15"):
        as_of_view(memory_service, grant.code, D(2018, 10, 14))
    with pytest.raises(GrantNotFound):
        as_of_view(memory_service, "STO-R999", D(2020, 1, 1))
