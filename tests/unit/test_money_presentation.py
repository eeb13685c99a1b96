"""What people and other systems get of the money (pure, on the in-memory store): the region's view of its grant's
money without staff names, the summary as the sum of the ledgers' totals (domain/ledger/totals.py), the calendar's
money days without amounts, the ledger's events as CloudEvents (only those that concern the region, no amounts),
and the commands' answers when there is no ledger, the claim is another's, or the time lies too far ahead."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from adapters.event_store import money
from adapters.event_store.store import open_service
from adapters.notify.cloudevents import ledger_cloud_event, region_ledger_event
from adapters.operators.money_commands import ACTIONS, execute
from adapters.read_side.calendar_feed import money_entries
from adapters.read_side.money_view import for_region, grant_money, money_summary
from domain.clock import BusinessClock
from domain.commands import Actor
from domain.errors import GrantNotFound, InvalidInput
from domain.ledger.aggregate import ledger_id
from domain.values import Role
from projections.payloads import decode_json
from tests.support.money_lives import NO_AMOUNTS, approved, claimed, sum_of_ledgers
from tests.support.scripted import GrantScript, at

OLD = "sto-2020-2024"
DAY = dt.date(2026, 1, 5)


@pytest.fixture(scope="module")
def svc():
    service = open_service("memory:")
    approved(service, 1)
    claimed(service, 2)
    GrantScript(service, index=3).pre_register()
    return service


def test_a_region_reads_its_money_without_who_released_or_checked_it_and_the_account_masked(svc):
    staff = grant_money(svc, "STO-R002", OLD, DAY)
    seen = for_region(staff)
    assert staff["instalments"][0]["releasers"] == ["fi.de-boer", "fi.peters"] and staff["account"]["recorded_by"] == "op.bakker"
    text = json.dumps(seen)
    for staff_only in ("fi.de-boer", "op.bakker", "ic.mulder", "releasers", "recorded_by", "confirmed_by", '"batch"'):
        assert staff_only not in text, staff_only
    assert seen["account"] == {"iban": "**************4300", "holder": staff["account"]["holder"], "confirmed": True}
    assert "NL91" not in json.dumps(staff)  # the IBAN is masked for staff too
    assert seen["claims"] == staff["claims"] and seen["totals"] == staff["totals"]


def test_the_summary_is_the_sum_of_the_ledgers_totals_and_of_their_years(svc):
    grants = [("STO-R001", OLD), ("STO-R002", OLD), ("STO-R003", OLD)]
    summary = money_summary(svc, grants, DAY)
    ledgers = [money.ledger_of(svc, svc.state(code).grant_id) for code in ("STO-R001", "STO-R002")]
    whole, years = sum_of_ledgers(ledgers)
    (row,) = summary["schemes"]
    assert row["grants"] == 3 and row["ledgers"] == 2 and row["totals"] == whole == summary["totals"]
    assert {y["year"]: {k: y[k] for k in years[y["year"]]} for y in row["years"]} == years
    assert row["to_be_settled_cents"] == 0  # STO-R002 is settled, STO-R001 has nothing paid
    (claim,) = summary["open_claims"]
    assert claim["region_code"] == "STO-R002" and claim["days_past_term"] == (DAY - dt.date(2025, 4, 14)).days
    early = money_summary(svc, grants, dt.date(2021, 2, 1), as_of_day=True)
    assert early["totals"]["instructed_cents"] == 150_000_000 and early["schemes"][0]["to_be_settled_cents"] == 150_000_000
    assert early["unsettled_advances_cents"] == 50_000_000  # the advance of 15 January 2020, more than a year before


def test_the_calendar_has_each_payment_day_and_the_claims_last_day_and_never_an_amount(svc):
    entries = money_entries(svc, "STO-R002", [OLD])
    days = {e["key"]: e["due"] for e in entries}
    assert days["payment_T001"] == "2020-01-15" and len([k for k in days if k.startswith("payment_")]) == 8
    claim = next(k for k in days if k.startswith("claim_"))
    assert days[claim] == "2025-04-14"
    text = json.dumps(entries)
    assert not any(word in text for word in NO_AMOUNTS) and "amount" not in text
    assert money_entries(svc, "STO-R003", [OLD]) == []  # no ledger: no money days


def test_only_the_ledger_events_that_concern_the_region_become_cloud_events_and_they_carry_no_amount(svc):
    for own in ("InstalmentReleased", "PaymentAccountRecorded", "PaymentAccountConfirmed", "CommitmentRecorded", "Opened"):
        assert region_ledger_event(f"domain.ledger.aggregate:Ledger.{own}") is None
    assert region_ledger_event("domain.events:GrantApproved") is None
    lid = ledger_id(svc.state("STO-R002").grant_id)
    records = svc.recorder.select_events(lid)
    opened = decode_json(records[0].state)
    made = {}
    for record in records:
        name = region_ledger_event(record.topic)
        if name is not None:
            made[name] = ledger_cloud_event(lid, record.originator_version, name, decode_json(record.state), opened, "https://sto.example")
    assert {"InstalmentScheduled", "InstalmentInstructed", "SettlementDetermined", "ClaimEstablished"} <= set(made)
    claim = made["ClaimEstablished"]
    assert claim["type"] == "nl.sterktechniekonderwijs.grant.claim-established" and claim["subject"] == "STO-R002"
    assert claim["data"]["term_ends"] == "2025-04-14" and claim["data"]["number"].startswith("VORD-STO-R002")
    assert claim["dataref"] == f"https://sto.example/v1/schemes/{OLD}/grants/STO-R002/money"
    assert made["InstalmentInstructed"]["data"]["end_to_end_id"].startswith("STO-R002-2020-T")
    text = json.dumps(made)
    assert not any(word in text for word in NO_AMOUNTS) and "amount" not in text and "fi." not in text


def test_a_command_on_a_grant_without_a_ledger_or_on_anothers_claim_writes_nothing_and_says_what_to_do(svc):
    clock = BusinessClock.starting_at(at(2026, 1, 5))
    margin = dt.timedelta(days=1)
    actor = Actor(name="fi.de-boer", role=Role.OPERATOR)
    with pytest.raises(GrantNotFound) as none:
        execute(svc, ACTIONS["release"].build("STO-R003", actor, {"number": 1, "reason": "x"}), clock, margin)
    assert "no money ledger" in none.value.message and none.value.hint and none.value.code == "grant_not_found"
    claim = next(iter(money.ledger_of(svc, svc.state("STO-R002").grant_id).claims))
    with pytest.raises(InvalidInput) as another:
        execute(svc, ACTIONS["set-off"].build("STO-R001", actor, {"claim": claim, "against_scheme": "sto-2025-2028",
                                                                    "against_instalment": 1, "reason": "x"}), clock, margin)
    assert another.value.field == "claim"
    with pytest.raises(InvalidInput) as ahead:
        execute(svc, ACTIONS["release"].build("STO-R001", actor, {"number": 1, "reason": "x",
                                                                    "effective_at": at(2026, 3, 1)}), clock, margin)
    assert ahead.value.field == "effective_at"
    approved(svc, 4)  # a grant of its own: the other tests read STO-R001 as approved only
    answer = execute(svc, ACTIONS["release"].build("STO-R004", actor, {"number": 1, "reason": "x"}), clock, margin)
    assert answer["events"] == ["InstalmentReleased"] and answer["effective_at"].startswith("2026-01-05")
