"""A claim after the vaststelling as the Awb counts it, and a bank statement (camt.053, valid per its XSD) that
reconciles payments and repayments: default the day after the term of 4:87 (4:97), an aanmaning with two weeks from
the day after it was sent (4:112), a dwangbevel due after that term (4:117), statutory interest from the default set
when the principal is paid (4:98, 4:99), lapse five years after the term or the last aanmaning (4:104, 4:106)."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.event_store import money
from adapters.event_store.store import open_service
from adapters.finance.camt053 import read_camt053
from domain import commands as c
from domain.ledger import commands as lc
from domain.ledger.aggregate import ClaimLine
from domain.ledger.claims import aanmaning_term, claim_steps
from domain.values import Role
from tests.support.scripted import PER_YEAR, GrantScript, at
from tests.unit.finance.camt_statements import V08, Entry, Tx, statement

TOTAL = sum(PER_YEAR.values())
PAY_DAYS = [dt.date(2020, 1, 15), dt.date(2020, 7, 15), dt.date(2021, 1, 15), dt.date(2021, 7, 15),
            dt.date(2022, 1, 17), dt.date(2022, 7, 15), dt.date(2023, 1, 16), dt.date(2023, 7, 17)]


def person(name: str) -> c.Actor:
    return c.Actor(name=name, role=Role.OPERATOR)


@pytest.fixture()
def svc():
    return open_service("memory:")


def paid_out_and_determined(svc) -> GrantScript:
    grant = GrantScript(svc)
    grant.to_approved()
    send = lambda cls, who, **kw: money.execute_ledger(svc, cls(region_code=grant.code, actor=person(who), reason="test",
                                                                 effective_at=at(2020, 1, 2), **kw))
    send(lc.RecordPaymentAccount, "op.bakker", iban="NL91ABNA0417164300", holder="Stichting Penvoerder")
    send(lc.ConfirmPaymentAccount, "ic.smit")
    for number in range(1, 9):
        send(lc.ReleaseInstalment, "fi.de-boer", number=number)
        send(lc.ReleaseInstalment, "fi.peters", number=number)
    for day in PAY_DAYS:
        money.run_payments(svc, day, at(day.year, day.month, day.day))
    grant.progress_report(1, at(2021, 10, 1))
    grant.progress_report(2, at(2023, 9, 1))
    grant.final_report(at(2025, 1, 15), PER_YEAR, cofinancing_cents=TOTAL * 5 // 100)
    grant.send(c.DetermineGrant, at(2025, 3, 3))
    return grant


def ledger(svc, grant):
    return money.ledger_of(svc, svc.state(grant.code, scheme="sto-2020-2024").grant_id)


def test_a_statement_with_the_transfers_marks_every_instalment_paid_and_a_second_reading_adds_nothing(svc):
    grant = paid_out_and_determined(svc)
    lines = list(ledger(svc, grant).instalments.values())[:8]
    document = statement(V08, [Entry(amount=f"{i.amount_cents / 100:.2f}", direction="DBIT", booked=PAY_DAYS[k], valued=PAY_DAYS[k],
                                     bank_reference=f"B{k}", code=("PMNT", "ICDT", "ESCT"),
                                     txs=[Tx(end_to_end_id=i.end_to_end_id, bank_reference=f"B{k}")])
                               for k, i in enumerate(lines)])
    (parsed,) = read_camt053(document)
    first = money.reconcile(svc, parsed.entries, at(2025, 3, 4))
    assert len(first.paid) == 8 and not first.unmatched
    assert {i.status for i in list(ledger(svc, grant).instalments.values())[:8]} == {"paid"}
    again = money.reconcile(svc, parsed.entries, at(2025, 3, 5))
    assert again.paid == [] and again.unmatched == []


def test_an_unpaid_claim_goes_into_default_gets_an_aanmaning_and_then_a_dwangbevel_is_due(svc):
    grant = paid_out_and_determined(svc)
    (claim,) = ledger(svc, grant).claims.values()
    assert claim.term_ends == dt.date(2025, 4, 14)
    assert money.run_claims(svc, dt.date(2025, 4, 14), at(2025, 4, 14)) == []  # the last day of the term
    assert money.run_claims(svc, dt.date(2025, 4, 15), at(2025, 4, 15)) == [
        (claim.number, "ClaimInDefault"), (claim.number, "AanmaningSent")]
    claim = ledger(svc, grant).claims[claim.number]
    assert claim.in_default_since == dt.date(2025, 4, 15)
    # sent Tuesday 15 April: two weeks from the day after end on Tuesday 29 April 2025
    assert claim.aanmaning_term_ends == dt.date(2025, 4, 29)
    assert money.run_claims(svc, dt.date(2025, 4, 29), at(2025, 4, 29)) == []
    assert money.run_claims(svc, dt.date(2025, 4, 30), at(2025, 4, 30)) == [(claim.number, "DwangbevelDue")]


def test_a_late_repayment_after_the_aanmaning_is_matched_on_the_claim_number_and_bears_interest(svc):
    grant = paid_out_and_determined(svc)
    (claim,) = ledger(svc, grant).claims.values()
    money.run_claims(svc, dt.date(2025, 4, 15), at(2025, 4, 15))
    amount = f"{claim.amount_cents / 100:.2f}"
    document = statement(V08, [Entry(amount=amount, direction="CRDT", booked=dt.date(2025, 4, 25), valued=dt.date(2025, 4, 25),
                                     bank_reference="R1", txs=[Tx(ustrd=[f"Terugbetaling {claim.number} subsidie {grant.code}"],
                                                                 bank_reference="R1")])])
    (parsed,) = read_camt053(document)
    result = money.reconcile(svc, parsed.entries, at(2025, 4, 28))
    assert result.repaid == [claim.number]
    claim = ledger(svc, grant).claims[claim.number]
    assert claim.principal_outstanding_cents == 0
    # ten days in default (15 to 25 April 2025) at the statutory rate: more than EUR 20, so owed (Awb 4:98 lid 2)
    assert claim.interest_cents > 2000 and claim.outstanding_cents == claim.interest_cents
    assert money.reconcile(svc, parsed.entries, at(2025, 4, 29)).repaid == []  # read twice: nothing added


def test_a_claim_lapses_five_years_after_its_term_and_an_aanmaning_starts_the_period_anew():
    claim = ClaimLine(number="VORD-X", amount_cents=100_000, established_on=dt.date(2025, 3, 3), term_ends=dt.date(2025, 4, 14),
                      basis="", lapses_on=dt.date(2030, 4, 14))
    assert [cls.__name__ for cls, _ in claim_steps(claim, dt.date(2030, 4, 14))] == ["ClaimLapsed"]
    claim.in_default_since, claim.aanmaning_sent_on = dt.date(2025, 4, 15), dt.date(2025, 4, 15)
    claim.aanmaning_term_ends, claim.lapses_on = aanmaning_term(dt.date(2025, 4, 15)), dt.date(2030, 4, 15)
    assert claim_steps(claim, dt.date(2030, 4, 14))[0][0].__name__ == "DwangbevelDue"


def test_an_aanmaning_term_ending_on_a_holiday_moves_to_the_next_working_day():
    # sent Monday 13 April 2026: fourteen days end Monday 27 April 2026, Koningsdag: the Atw moves it to the 28th
    assert aanmaning_term(dt.date(2026, 4, 13)) == dt.date(2026, 4, 28)


def test_a_claim_of_2020_2024_is_set_off_against_an_advance_of_the_same_regions_2025_grant_and_both_ledgers_show_it(svc):
    from tests.support.scripted_2025 import NEW, PER_YEAR_2025, Script2025

    grant = paid_out_and_determined(svc)
    (claim,) = ledger(svc, grant).claims.values()
    later = Script2025(svc, index=1, per_year=dict(PER_YEAR_2025))
    later.to_approved_2025()
    other = money.ledger_of(svc, svc.state(grant.code, scheme=NEW).grant_id)
    target = next(i for i in other.instalments.values() if i.due >= dt.date(2025, 7, 1))
    before = target.amount_cents
    command = lc.SetOffClaim(region_code=grant.code, actor=person("co.de-vries"), reason="verrekening met voorschot 2025-2028",
                             effective_at=at(2025, 4, 1), claim=claim.number, against_scheme=NEW, against_instalment=target.number)
    money.set_off(svc, command)
    mine, theirs = ledger(svc, grant), money.ledger_of(svc, svc.state(grant.code, scheme=NEW).grant_id)
    amount = min(claim.amount_cents, before)
    assert mine.claims[claim.number].set_off_cents == amount
    assert theirs.instalments[target.number].amount_cents == before - amount
    recorded = list(svc.events.get(theirs.id))[-1]
    assert type(recorded).__name__ == "InstalmentSetOff" and "4:57 lid 3" in recorded.legal_basis


def test_set_off_is_refused_five_years_after_the_vaststelling_and_by_someone_without_a_claim_mandate(svc):
    from domain.errors import TransitionRefused
    from tests.support.scripted_2025 import NEW, PER_YEAR_2025, Script2025

    grant = paid_out_and_determined(svc)
    (claim,) = ledger(svc, grant).claims.values()
    later = Script2025(svc, index=1, per_year=dict(PER_YEAR_2025))
    later.to_approved_2025()
    other = money.ledger_of(svc, svc.state(grant.code, scheme=NEW).grant_id)
    target = max(other.instalments)

    def attempt(who: str, when: dt.datetime):
        return money.set_off(svc, lc.SetOffClaim(region_code=grant.code, actor=person(who), reason="verrekening",
                                                 effective_at=when, claim=claim.number, against_scheme=NEW, against_instalment=target))

    with pytest.raises(TransitionRefused) as role:
        attempt("op.jansen", at(2025, 4, 1))
    assert role.value.rule == "authority.role"
    with pytest.raises(TransitionRefused) as late:
        attempt("co.de-vries", at(2030, 3, 3))
    assert late.value.rule == "setoff.five_years" and late.value.source == "Algemene wet bestuursrecht art. 4:57 lid 4"


def test_the_vaststelling_letter_states_the_claim_its_last_day_and_the_number_to_pay_it_under(svc):
    from domain.letters import compose

    grant = paid_out_and_determined(svc)
    state = svc.state(grant.code, scheme="sto-2020-2024")
    (claim,) = ledger(svc, grant).claims.values()
    text = compose(state, state.besluiten[-1].number, svc.regulation(state.scheme)).text()
    assert claim.number in text and "maandag 14 april 2025" in text and "4:87 lid 1" in text


def test_the_region_is_reminded_before_its_claims_term_ends_and_gets_the_aanmaning_in_writing_once(svc):
    class Recorder:  # the notifier's port: what it was handed
        def __init__(self):
            self.sent = []

        def send(self, notification):
            self.sent.append(notification)
            return notification.message_id

    grant = paid_out_and_determined(svc)
    (claim,) = ledger(svc, grant).claims.values()
    assert [n.subject for n in money.claim_mail(svc, dt.date(2025, 3, 31))][0].startswith("Herinnering: vordering")
    assert money.claim_mail(svc, dt.date(2025, 4, 1)) == []
    money.run_claims(svc, dt.date(2025, 4, 15), at(2025, 4, 15))
    (aanmaning,) = money.claim_mail(svc, dt.date(2025, 4, 15))
    assert "4:112" in aanmaning.body and "dinsdag 29 april 2025" in aanmaning.body and claim.number in aanmaning.body
    mail = Recorder()
    assert svc.deliver_notification(aanmaning, mail)[1] is True
    assert svc.deliver_notification(aanmaning, mail)[1] is False  # once
    assert len(mail.sent) == 1 and mail.sent[0].to == svc.state(grant.code, scheme="sto-2020-2024").penvoerder.email


def test_a_return_booked_after_the_payment_marks_the_instalment_returned(svc):
    grant = paid_out_and_determined(svc)
    line = list(ledger(svc, grant).instalments.values())[0]
    paid = statement(V08, [Entry(amount=f"{line.amount_cents / 100:.2f}", direction="DBIT", booked=dt.date(2020, 1, 15),
                                 valued=dt.date(2020, 1, 15), bank_reference="P1", code=("PMNT", "ICDT", "ESCT"),
                                 txs=[Tx(end_to_end_id=line.end_to_end_id, bank_reference="P1")])])
    money.reconcile(svc, read_camt053(paid)[0].entries, at(2025, 3, 4))
    back = statement(V08, [Entry(amount=f"{line.amount_cents / 100:.2f}", direction="CRDT", booked=dt.date(2020, 1, 20),
                                 valued=dt.date(2020, 1, 20), bank_reference="R9", code=("PMNT", "ICDT", "RRTN"),
                                 txs=[Tx(end_to_end_id=line.end_to_end_id, bank_reference="R9", return_reason="AC04")])])
    result = money.reconcile(svc, read_camt053(back)[0].entries, at(2025, 3, 5))
    assert result.returned == [line.end_to_end_id]
    assert ledger(svc, grant).instalments[line.number].status == "returned"


def test_a_repayment_is_matched_on_the_whole_claim_number_never_on_a_part_of_another():
    from domain.ledger.follow import claim_named_in

    numbers = ["VORD-STO-R001-2020-10", "VORD-STO-R001-2020-100", "VORD-STO-R011-2020-05"]
    assert claim_named_in("terugbetaling VORD-STO-R001-2020-100 regio 1", numbers) == "VORD-STO-R001-2020-100"
    assert claim_named_in("VORD-STO-R001-2020-10.", numbers) == "VORD-STO-R001-2020-10"
    assert claim_named_in("vord-sto-r011-2020-05", numbers) == "VORD-STO-R011-2020-05"  # a bank that writes lower case
    assert claim_named_in("VORD-STO-R001-2020-1", numbers) is None
    assert claim_named_in("XVORD-STO-R011-2020-05", numbers) is None
    assert claim_named_in("VORD-STO-R001-2020-10 en VORD-STO-R011-2020-05", numbers) is None  # two claims: booked by hand
