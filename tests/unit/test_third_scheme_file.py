"""A third scheme without code: a fictional scheme file, named by STO_SCHEMES_PATH, loads through the registry
and runs on the engine's rules, and the schemes the engine ships are unchanged by it.

The file: tests/fixtures/schemes/fictional-2027.toml. Its end-to-end life through the real workflow on the
time-skipping server is tests/integration/test_third_scheme.py; here the registry, and the rules on the
in-memory store.
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import pytest
from pydantic import ValidationError

from adapters.event_store.service import GrantService
from domain import commands as c
from domain.deadlines import DONE_WHEN, pending_deadlines
from domain.errors import TransitionRefused
from domain.regulation.schemes import grant_id, legacy_scheme_id, scheme, scheme_ids, scheme_in_force
from domain.timekeeping import local_date
from domain.values import GrantStatus, RegionKind
from tests.support.fictional_scheme import FICTIONAL, FICTIONAL_FILE, INSTRUMENT, fictional_scheme_loaded
from tests.support.scripted import GrantScript, at
from workflows import grant_workflow_id

SHIPPED = ["sto-2020-2024", "sto-2025-2028"]
PER_YEAR = {2027: 450_000_00, 2028: 400_000_00, 2029: 300_000_00}


@pytest.fixture
def fictional(monkeypatch):
    yield from fictional_scheme_loaded(monkeypatch)


class FictionalScript(GrantScript):
    """One region's grant under the fictional scheme: every command names it."""

    def send(self, command_class, when, **fields):
        fields.setdefault("scheme", FICTIONAL)
        return super().send(command_class, when, **fields)

    def documents(self, addendum=None, **kw):
        kw.setdefault("cofinancing_share", Decimal("0.16"))  # the scheme asks 15 %
        return super().documents(addendum, **kw)


def shipped_data() -> dict[str, dict]:
    return {s: scheme(s).data.model_dump(mode="json") for s in SHIPPED}


# --- the registry ------------------------------------------------------------------------------


def test_the_fictional_file_loads_through_the_registry_beside_the_shipped_schemes(fictional):
    assert scheme_ids() == [*SHIPPED, FICTIONAL]
    assert legacy_scheme_id() == "sto-2020-2024"
    data = scheme(FICTIONAL).data
    assert data.scheme.id == FICTIONAL and data.scheme.in_force == dt.date(2026, 6, 1)
    assert data.scheme.source.confirmed is False and INSTRUMENT in data.scheme.source.instrument
    assert [(r.number, r.after_rejection_in, r.needs_addendum) for r in data.application_rounds] == [(1, None, False), (2, 1, True)]
    assert [k.kind for k in data.region_kinds] == ["techniekregio"]
    assert data.step("SubmitExtensionPlan") is None and data.step("RecordHourlyRateChange") is None
    assert data.step_option("SubmitProgressReport", "reports") == {"1": "voortgangsverslag_1"}
    assert [int(y) for y in scheme(FICTIONAL).param("funded_years", dt.date(2027, 1, 1)).value] == [2027, 2028, 2029]
    # a grant of the fictional scheme has its own id and workflow id
    assert grant_id("STO-R001", FICTIONAL) not in (grant_id("STO-R001", s) for s in SHIPPED)
    assert grant_workflow_id("STO-R001", FICTIONAL) == "grant-fictief-2027-2029-STO-R001"
    # it is the newest scheme in force from 1 June 2026: a vooraanmelding that names no scheme goes to it
    assert scheme_in_force(dt.date(2026, 5, 31)) == "sto-2025-2028"
    assert scheme_in_force(dt.date(2026, 12, 3)) == FICTIONAL


def test_every_name_in_the_fictional_file_is_one_the_engine_knows(fictional):
    """What `sto schemes check` asks of a file, for the names the lifecycle data uses (the model does not check
    that a round, deadline or step option names a term of the file)."""
    regulation = scheme(FICTIONAL)
    data = regulation.data
    terms = {t.key for t in data.terms}
    params = {p.key for p in data.parameters}
    commands = {cls.__name__ for cls in vars(c).values() if isinstance(cls, type) and issubclass(cls, c.Command)}
    assert {s.command for s in data.steps} <= commands
    for rnd in data.application_rounds:
        assert {rnd.window, rnd.decision} <= terms
    for rule in data.deadlines:
        assert rule.term in terms
        assert rule.until is None or rule.until.partition(":")[0] in DONE_WHEN
    plans = data.step_option("SubmitDetailedPlan", "plans")
    assert {p["term"] for p in plans.values()} | set(data.step_option("SubmitProgressReport", "reports").values()) <= terms
    assert {k.ceiling for k in data.region_kinds} <= params
    assert {b.objection_term for b in data.besluiten} <= params
    # the two terms the engine reads by their key
    assert {"vooraanmelding", "final_report"} <= terms


def test_the_shipped_schemes_are_unchanged_by_the_fictional_file(monkeypatch):
    before = shipped_data()
    loading = fictional_scheme_loaded(monkeypatch)
    next(loading)
    assert FICTIONAL in scheme_ids()
    assert shipped_data() == before
    with pytest.raises(StopIteration):
        next(loading)  # the test is over: the variable is restored and the registry read again
    assert scheme_ids() == SHIPPED
    assert shipped_data() == before
    with pytest.raises(ValidationError, match="no scheme 'fictief-2027-2029'"):
        c.AcceptApplication(region_code="STO-R001", scheme=FICTIONAL, actor=c.SYSTEM_ACTOR, reason="na de test")


def test_a_scheme_file_cannot_replace_a_shipped_scheme(monkeypatch, tmp_path):
    impostor = tmp_path / "impostor.toml"
    shutil.copy(FICTIONAL_FILE, impostor)
    impostor.write_text(impostor.read_text(encoding="utf-8").replace(f'id = "{FICTIONAL}"', 'id = "sto-2025-2028"'), encoding="utf-8")
    before = shipped_data()
    for _ in fictional_scheme_loaded(monkeypatch, impostor):
        assert scheme_ids() == SHIPPED
        assert shipped_data() == before
        assert scheme("sto-2025-2028").data.name.startswith("Subsidieregeling sterk techniekonderwijs 2025")


# --- its rules on the in-memory store ----------------------------------------------------------


@pytest.fixture
def service(fictional) -> GrantService:
    return GrantService({"PERSISTENCE_MODULE": "eventsourcing.popo"})


def script(service: GrantService, index: int = 1, kind: RegionKind = RegionKind.TECHNIEKREGIO) -> FictionalScript:
    return FictionalScript(service, index=index, kind=kind, per_year=dict(PER_YEAR))


def test_a_region_kind_the_fictional_scheme_does_not_have_is_refused(service):
    grant = script(service, kind=RegionKind.TECHNIEKLUWE_REGIO)
    with pytest.raises(TransitionRefused) as refused:
        grant.pre_register(at(2026, 6, 15))
    assert refused.value.rule == "region.kind_in_scheme" and FICTIONAL in refused.value.message
    assert list(service.grant_keys()) == []


def test_a_rejected_region_applies_again_in_round_2_only_with_an_addendum(service):
    grant = script(service)
    grant.pre_register(at(2026, 6, 15))
    grant.apply(1, at(2026, 9, 15))
    grant.accept(at(2026, 9, 20))
    grant.advise(at(2026, 11, 20), positive=False)
    grant.reject(at(2026, 11, 25))
    state = service.state(grant.code, scheme=FICTIONAL)
    regulation = service.regulation(FICTIONAL)
    assert "aanvraagtijdvak_2" in [d.key for d in pending_deadlines(state, regulation, local_date(at(2027, 1, 12)))]
    with pytest.raises(TransitionRefused) as early:
        grant.send(c.SubmitApplication, at(2026, 12, 20), period=2, documents=grant.documents("addendum: beter plan"))
    assert early.value.rule == "application.period_window"  # round 2 opens on 11 January 2027
    with pytest.raises(TransitionRefused) as bare:
        grant.send(c.SubmitApplication, at(2027, 1, 20), period=2, documents=grant.documents())
    assert bare.value.rule == "application.addendum"
    applied = grant.send(c.SubmitApplication, at(2027, 1, 20), period=2, documents=grant.documents("addendum: beter plan"))
    assert applied.status is GrantStatus.APPLICATION_SUBMITTED
    grant.accept(at(2027, 1, 25))
    grant.advise(at(2027, 3, 20))
    approved = grant.approve(at(2027, 4, 1), amounts={2027: 400_000_00, 2028: 400_000_00, 2029: 300_000_00})
    assert approved.status is GrantStatus.APPROVED
    decisions = service.state(grant.code, scheme=FICTIONAL).decisions
    assert [(d.kind.value, d.period) for d in decisions] == [("rejection", 1), ("approval", 2)]


def test_an_hourly_rate_of_the_fictional_scheme_needs_no_motivation_where_the_shipped_ones_would(service):
    from domain.money import check_hourly_rate

    check_hourly_rate(6000, None, scheme(FICTIONAL), dt.date(2027, 3, 1), what="inhuur")
    with pytest.raises(TransitionRefused) as refused:
        check_hourly_rate(6000, None, scheme("sto-2025-2028"), dt.date(2027, 3, 1), what="inhuur")
    assert refused.value.rule == "money.hourly_rate_motivation"


def test_a_reminder_for_a_grant_of_another_scheme_is_not_taken_for_one_already_sent(service):
    from domain.notifications import reminder_message
    from tests.support.scripted import GrantScript as Legacy

    later = script(service)
    later.pre_register(at(2026, 6, 15))
    earlier = Legacy(service, index=1)
    earlier.pre_register()
    assert later.code == earlier.code
    fictional_state = service.state(later.code, scheme=FICTIONAL)
    legacy_state = service.state(earlier.code, scheme="sto-2020-2024")
    # one term key both schemes use, on one date (the fictional scheme's final report, say)
    final_report = service.regulation(FICTIONAL).term("final_report", dt.date(2030, 1, 1))
    first = reminder_message(legacy_state, final_report, 28, "dus-i@sto.example", dt.date(2030, 3, 4))
    second = reminder_message(fictional_state, final_report, 28, "dus-i@sto.example", dt.date(2030, 3, 4))
    assert first.key != second.key
