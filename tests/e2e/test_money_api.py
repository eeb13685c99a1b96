"""The money over HTTP against `sto serve`: a grant approved through its stages holds its instalments; the account
is recorded and confirmed by two and an instalment released by two betaalfiatteurs (the same person twice: 409
naming `four_eyes.two_releasers`, nothing written); a region's token reads its own grant's money (no staff names,
the IBAN masked) and gets 403 on another region's, on the summary, the batches and every POST; the payment run (here
in the test, as the payment-run workflow runs it) and a vaststelling below what was paid make a claim, which a
subscribed receiver gets from the serve's delivery loop as a CloudEvent without amounts; the region's calendar feed
holds the payment days and the claim's last day, no amounts; the summary's figures are the sum of every ledger's
totals in the store (domain/ledger/totals.py)."""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pytest
from icalendar import Calendar

from adapters.event_store import money
from adapters.event_store.store import open_service
from adapters.operators.calendar_secrets import CalendarSecrets
from domain.ledger.aggregate import ledger_id
from domain.ledger.totals import as_of
from tests.e2e.grant_bodies import body, take
from tests.support.money_lives import NO_AMOUNTS, sum_of_ledgers
from tests.support.scripted import at
from tests.support.webhook_receiver import Receiver

pytestmark = [pytest.mark.temporal, pytest.mark.slow]

CODE, INDEX, OTHER = "STO-E2E-MONEY", 63, "STO-E2E-WQA"
PEOPLE = ("op.jansen", "op.bakker", "op.visser", "ic.smit", "ic.mulder", "co.de-vries", "fi.de-boer", "fi.peters")
IC_ANSWERS = {"advies_gevolgd": True, "bedrag_juist": True, "iban_juist": True, "beschikking_mag_verzonden": True}
CLAIM_TYPE = "nl.sterktechniekonderwijs.grant.claim-established"


@pytest.fixture(scope="module")
def tokens(served) -> dict[str, str]:
    found = {name: served.token("operator", name) for name in PEOPLE}
    found["region"] = served.token("region", "penvoerder money", CODE)
    found["auditor"] = served.token("auditor", "accountant.money")
    return found


def post(served, token: str, path: str, when: str | None = None, **fields) -> httpx.Response:
    with served.client(token) as client:
        return client.post(f"/v1/grants/{CODE}/{path}", json={"reason": f"{path} (test)", **fields,
                                                              **({"effective_at": when} if when else {})})


def ok(answer: httpx.Response) -> dict:
    assert answer.status_code == 200, answer.text
    return answer.json()


def get(served, token: str, path: str, **params) -> httpx.Response:
    with served.client(token) as client:
        return client.get(path, params=params)


def test_the_money_of_a_grant_by_two_people_read_by_its_region_and_its_claim_in_events_and_calendar(served, tokens):
    with served.client(tokens["op.jansen"]) as op:
        take(op, CODE, INDEX, "pre-register", "apply", "accept", "advise")
        ok(op.post(f"/v1/grants/{CODE}/approve", json=body("approve", INDEX)))
    ok(post(served, tokens["ic.smit"], "pass", "2019-06-21T10:00:00+02:00", stage="interne_controle", answers=IC_ANSWERS))
    signed = ok(post(served, tokens["co.de-vries"], "pass", "2019-06-25T10:00:00+02:00", stage="ondertekening",
                     answers={"akkoord": True}))
    assert "GrantApproved" in signed["events"]

    own = ok(get(served, tokens["region"], f"/v1/grants/{CODE}/money"))
    assert own["has_ledger"] and len(own["instalments"]) == 8 and {i["status"] for i in own["instalments"]} == {"scheduled"}

    # the account by two; an instalment released by two different betaalfiatteurs
    when = "2019-07-01T10:00:00+02:00"
    recorded = ok(post(served, tokens["op.bakker"], "money/account", when, iban="NL91 ABNA 0417 1643 00", holder="Stichting Money"))
    assert recorded["events"] == ["PaymentAccountRecorded"] and recorded["money"]["account"]["iban"] == "**************4300"
    ok(post(served, tokens["ic.mulder"], "money/confirm-account", when))
    first = ok(post(served, tokens["fi.de-boer"], "money/instalments/1/release", when))
    assert first["events"] == ["InstalmentReleased"] and first["money"]["instalments"][0]["releasers"] == ["fi.de-boer"]
    twice = post(served, tokens["fi.de-boer"], "money/instalments/1/release", when)
    assert twice.status_code == 409 and twice.headers["content-type"].startswith("application/problem+json")
    assert twice.json()["rule"] == "four_eyes.two_releasers" and twice.json()["source"], twice.json()
    staff = ok(get(served, tokens["auditor"], f"/v1/grants/{CODE}/money"))
    assert staff["instalments"][0]["releasers"] == ["fi.de-boer"]  # nothing written by the refusal
    second = ok(post(served, tokens["fi.peters"], "money/instalments/1/release", when))
    assert second["money"]["instalments"][0]["status"] == "released" and second["ledger_version"] == first["ledger_version"] + 1

    # a region's token: its own money without staff names; 403 on another's, on the overviews and on every POST
    own = ok(get(served, tokens["region"], f"/v1/grants/{CODE}/money"))
    assert "releasers" not in own["instalments"][0] and "batch" not in own["instalments"][0]
    assert own["account"] == {"iban": "**************4300", "holder": "Stichting Money", "confirmed": True}
    assert ok(get(served, tokens["region"], f"/v1/schemes/sto-2020-2024/grants/{CODE}/money"))["instalments"] == own["instalments"]
    for path in (f"/v1/grants/{OTHER}/money", f"/v1/schemes/sto-2020-2024/grants/{OTHER}/money", "/v1/money/summary",
                 "/v1/payment-batches"):
        answer = get(served, tokens["region"], path)
        assert answer.status_code == 403 and answer.json()["code"] == "forbidden", path
    for path, fields in (("money/account", {"iban": "NL91ABNA0417164300", "holder": "x"}), ("money/confirm-account", {}),
                         ("money/instalments/2/release", {}), ("money/suspend", {"notice_on": "2019-07-02"}),
                         ("money/resume", {}), ("money/claims/VORD-STO-E2E-MONEY-2020-09/set-off",
                                                {"against_scheme": "sto-2025-2028", "against_instalment": 1})):
        answer = post(served, tokens["region"], path, when, **fields)
        assert answer.status_code == 403 and answer.json()["code"] == "forbidden", path
    assert post(served, tokens["auditor"], "money/resume", when).status_code == 403

    # the payment run of 15 January 2020 (the payment-run workflow's work), then a vaststelling below what was paid
    service = open_service(served.database_url)
    try:
        batch = money.run_payments(service, dt.date(2020, 1, 15), at(2020, 1, 15, 9)).batch
        assert batch is not None and [i["grant_code"] for i in batch.instructions if i["grant_code"] == CODE] == [CODE]
        with Receiver() as receiver, served.client(tokens["op.jansen"]) as op:
            added = op.post("/v1/subscriptions", json={"callback_url": receiver.url, "region_code": CODE,
                                                       "event_types": [CLAIM_TYPE]})
            assert added.status_code == 201, added.text
            receiver.secret = added.json()["secret"]
            try:
                claim = _determined_below_what_was_paid(served, tokens)
                deadline = time.monotonic() + 120  # only a hang takes that long
                while not receiver.accepted and time.monotonic() < deadline:
                    time.sleep(0.1)
            finally:  # the modules after this one list the subscriptions of the served store
                assert op.delete(f"/v1/subscriptions/{added.json()['subscription_id']}").status_code == 200
        assert receiver.bad_signatures == 0 and len(receiver.accepted) == 1, served.log_tail()
        event = receiver.accepted[0]
        assert event["type"] == CLAIM_TYPE and event["subject"] == CODE
        assert event["data"]["number"] == claim["number"] and event["data"]["term_ends"] == claim["term_ends"]
        assert event["dataref"].endswith(f"/v1/schemes/sto-2020-2024/grants/{CODE}/money")
        assert not any(word in str(event) for word in NO_AMOUNTS) and "amount" not in str(event)
        _calendar_holds_the_days_without_amounts(served, own["instalments"], claim)
        _the_summary_is_the_sum_of_the_ledgers(served, service, tokens)
    finally:
        service.close()


def _determined_below_what_was_paid(served, tokens) -> dict:
    """Reports, the final report with costs of EUR 100.000 (paid: EUR 500.000), the vaststelling through its stages."""
    ok(post(served, tokens["op.jansen"], "report", "2021-10-01T10:00:00+02:00", number=1, summary="voortgang 1",
            spent_cents=10_000_000, cofinancing_realised_cents=1_000_000))
    ok(post(served, tokens["op.jansen"], "report", "2023-09-01T10:00:00+02:00", number=2, summary="voortgang 2",
            spent_cents=10_000_000, cofinancing_realised_cents=1_000_000))
    ok(post(served, tokens["op.jansen"], "final-report", "2025-01-15T10:00:00+01:00", summary="eindverslag",
            realised_per_year=[{"year": 2020, "amount_cents": 10_000_000}], cofinancing_realised_cents=10_000_000))
    ok(post(served, tokens["op.visser"], "determine", "2025-03-03T10:00:00+01:00"))
    ok(post(served, tokens["ic.mulder"], "pass", "2025-03-03T11:00:00+01:00", stage="interne_vaststellingscontrole",
            answers={"mag_vastgesteld": True, "beschikking_mag_verzonden": True}))
    signed = ok(post(served, tokens["co.de-vries"], "pass", "2025-03-03T12:00:00+01:00", stage="uitvoeringscoordinator",
                     answers={"akkoord": True}))
    assert "GrantDetermined" in signed["events"], signed
    own = ok(get(served, tokens["region"], f"/v1/grants/{CODE}/money"))
    (claim,) = own["claims"]
    assert claim["amount_cents"] == 50_000_000 - 10_000_000 and claim["term_ends"] == "2025-04-14"
    return claim


def _calendar_holds_the_days_without_amounts(served, instalments: list[dict], claim: dict) -> None:
    secrets = CalendarSecrets(served.database_url)
    _, secret = secrets.issue(CODE, created_by="tests")
    secrets.close()
    feed = httpx.get(f"{served.base_url}/v1/calendar-feeds/{secret}", timeout=30)
    assert feed.status_code == 200
    entries = {str(e["X-STO-DEADLINE-KEY"]): e for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    days = {key: entry.decoded("DTSTART") for key, entry in entries.items()}
    for line in instalments[1:]:  # not handed over by the vaststelling: cancelled, no payment day any more
        assert f"payment_T{line['number']:03d}" not in days
    assert days["payment_T001"] == dt.date(2020, 1, 15)
    assert days[f"claim_{claim['number']}"] == dt.date(2025, 4, 14)
    text = feed.content.decode()
    assert not any(word in text for word in NO_AMOUNTS), text


def _the_summary_is_the_sum_of_the_ledgers(served, service, tokens) -> None:
    ledgers = [found for found in (money.ledger_of(service, service.state(code, scheme=scheme).grant_id)
                                   for scheme, code in service.grant_keys()) if found is not None]
    whole, _ = sum_of_ledgers(ledgers)
    summary = ok(get(served, tokens["auditor"], "/v1/money/summary"))
    assert summary["totals"] == whole and any(c["region_code"] == CODE for c in summary["open_claims"])
    day = dt.date(2020, 2, 1)
    then = [as_of(service.events.get(ledger_id(service.state(code, scheme=scheme).grant_id)), day)
            for scheme, code in service.grant_keys()]
    assert ok(get(served, tokens["auditor"], "/v1/money/summary", asOf=day.isoformat()))["totals"] == \
        sum_of_ledgers([found for found in then if found is not None])[0]
    batches = ok(get(served, tokens["auditor"], "/v1/payment-batches", pageSize=1))
    assert len(batches["batches"]) == 1 and batches["page_size"] == 1
