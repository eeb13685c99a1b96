"""The money that follows the besluiten: commitments and instalments set by the verlening, released by two people
with a payment volmacht, handed to the finance system in exactly one batch, suspended under Awb 4:56, settled after
the vaststelling (Awb 4:52, 4:95 lid 4) as a final payment or a claim with the term of Awb 4:87."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.event_store import money
from adapters.event_store.store import open_service
from domain import commands as c
from domain.errors import TransitionRefused
from domain.ledger import commands as lc
from domain.values import Role
from tests.support.scripted import PER_YEAR, GrantScript, at

TOTAL = sum(PER_YEAR.values())


def person(name: str) -> c.Actor:
    return c.Actor(name=name, role=Role.OPERATOR)


@pytest.fixture()
def svc():
    return open_service("memory:")


def approved(svc, index: int = 1) -> GrantScript:
    grant = GrantScript(svc, index=index)
    grant.to_approved()
    return grant


def ledger(svc, grant: GrantScript):
    return money.ledger_of(svc, svc.state(grant.code).grant_id)


def send(svc, grant: GrantScript, command_class, who: str, when: dt.datetime, **fields):
    return money.execute_ledger(svc, command_class(region_code=grant.code, actor=person(who), reason="in test",
                                                   effective_at=when, **fields))


def with_account(svc, grant: GrantScript, when: dt.datetime = at(2020, 1, 2)) -> None:
    send(svc, grant, lc.RecordPaymentAccount, "op.bakker", when, iban="NL91 ABNA 0417 1643 00", holder="Stichting Penvoerder")
    send(svc, grant, lc.ConfirmPaymentAccount, "ic.smit", when)


def release(svc, grant: GrantScript, number: int, when: dt.datetime = at(2020, 1, 3)) -> None:
    send(svc, grant, lc.ReleaseInstalment, "fi.de-boer", when, number=number)
    send(svc, grant, lc.ReleaseInstalment, "fi.peters", when, number=number)


def test_the_verlening_commits_each_budget_year_and_schedules_every_euro_in_instalments(svc):
    grant = approved(svc)
    book = ledger(svc, grant)
    assert book.committed == PER_YEAR
    assert sum(i.amount_cents for i in book.instalments.values()) == TOTAL
    assert [i.due for i in book.instalments.values()][:2] == [dt.date(2020, 1, 15), dt.date(2020, 7, 15)]
    # what the letter states is what the ledger holds
    assert [(i.number, i.amount_cents) for i in svc.state(grant.code).advance_schedule] == \
        [(i.number, i.amount_cents) for i in book.instalments.values()]


def test_no_payment_leaves_without_two_different_releasers_with_a_payment_volmacht(svc):
    grant = approved(svc)
    with_account(svc, grant)
    send(svc, grant, lc.ReleaseInstalment, "fi.de-boer", at(2020, 1, 3), number=1)
    with pytest.raises(TransitionRefused) as twice:
        send(svc, grant, lc.ReleaseInstalment, "fi.de-boer", at(2020, 1, 3), number=1)
    assert twice.value.rule == "four_eyes.two_releasers"
    with pytest.raises(TransitionRefused) as no_volmacht:
        send(svc, grant, lc.ReleaseInstalment, "ic.mulder", at(2020, 1, 3), number=1)
    assert no_volmacht.value.rule == "authority.role"
    assert money.run_payments(svc, dt.date(2020, 1, 15), at(2020, 1, 15)).batch is None  # one release is not enough
    send(svc, grant, lc.ReleaseInstalment, "fi.peters", at(2020, 1, 3), number=1)
    batch = money.run_payments(svc, dt.date(2020, 1, 15), at(2020, 1, 15)).batch
    assert batch is not None and [i["number"] for i in batch.instructions] == [1]


def test_bank_data_is_recorded_by_one_person_and_confirmed_by_another(svc):
    grant = approved(svc)
    send(svc, grant, lc.RecordPaymentAccount, "op.bakker", at(2020, 1, 2), iban="NL91ABNA0417164300", holder="X")
    with pytest.raises(TransitionRefused) as same:
        send(svc, grant, lc.ConfirmPaymentAccount, "op.bakker", at(2020, 1, 2))
    assert same.value.rule == "four_eyes.bank_data"


def test_a_wrong_iban_is_refused_before_anything_is_written(svc):
    grant = approved(svc)
    with pytest.raises(ValueError, match="IBAN"):
        lc.RecordPaymentAccount(region_code=grant.code, actor=person("op.bakker"), reason="x", iban="NL91ABNA0417164301", holder="X")


def test_an_instalment_is_in_exactly_one_batch_however_often_the_run_is_made(svc):
    grant = approved(svc)
    with_account(svc, grant)
    release(svc, grant, 1)
    release(svc, grant, 2)
    first = money.run_payments(svc, dt.date(2020, 1, 15), at(2020, 1, 15)).batch
    assert first is not None and [i["number"] for i in first.instructions] == [1]  # 2 is not due yet
    assert money.run_payments(svc, dt.date(2020, 1, 15), at(2020, 1, 15, 13)).batch is None
    second = money.run_payments(svc, dt.date(2020, 7, 15), at(2020, 7, 15)).batch
    assert second is not None and second.number == 2 and [i["number"] for i in second.instructions] == [2]
    instructed = [i for i in ledger(svc, grant).instalments.values() if i.status == "instructed"]
    assert [(i.number, i.batch) for i in instructed] == [(1, 1), (2, 2)]


def test_a_notice_of_a_serious_suspicion_stops_payments_at_most_13_weeks(svc):
    grant = approved(svc)
    with_account(svc, grant)
    release(svc, grant, 1)
    send(svc, grant, lc.SuspendPayments, "co.de-vries", at(2020, 1, 10), notice_on=dt.date(2020, 1, 10))
    waiting = money.run_payments(svc, dt.date(2020, 1, 15), at(2020, 1, 15))
    assert waiting.batch is None and "4:56" in waiting.skipped[0].why
    assert money.run_payments(svc, dt.date(2020, 4, 9), at(2020, 4, 9)).batch is None  # 13 weeks end on 10 April
    paid = money.run_payments(svc, dt.date(2020, 4, 10), at(2020, 4, 10)).batch
    assert paid is not None and ledger(svc, grant).suspension is None


def test_an_intrekking_cancels_what_was_not_handed_to_the_finance_system(svc):
    grant = approved(svc)
    with_account(svc, grant)
    release(svc, grant, 1)
    money.run_payments(svc, dt.date(2020, 1, 15), at(2020, 1, 15))
    grant.send(c.WithdrawGrant, at(2020, 2, 1), reason="regio stopt")
    statuses = {i.number: i.status for i in ledger(svc, grant).instalments.values()}
    assert statuses[1] == "instructed" and set(list(statuses.values())[1:]) == {"cancelled"}


def _to_vaststelling(svc, grant: GrantScript, cofinancing_share: int) -> None:
    grant.progress_report(1, at(2021, 10, 1))
    grant.progress_report(2, at(2023, 9, 1))
    grant.final_report(at(2025, 1, 15), PER_YEAR, cofinancing_cents=TOTAL * cofinancing_share // 100)
    grant.send(c.DetermineGrant, at(2025, 3, 3))


def test_after_the_vaststelling_determined_less_paid_becomes_a_claim_with_the_term_of_4_87(svc):
    grant = approved(svc)
    with_account(svc, grant)
    for number in range(1, 9):
        release(svc, grant, number)
    for day in (dt.date(2020, 1, 15), dt.date(2020, 7, 15), dt.date(2021, 1, 15), dt.date(2021, 7, 15),
                dt.date(2022, 1, 17), dt.date(2022, 7, 15), dt.date(2023, 1, 16), dt.date(2023, 7, 17)):
        money.run_payments(svc, day, at(day.year, day.month, day.day))
    _to_vaststelling(svc, grant, cofinancing_share=5)  # half the co-financing: the subsidy is lowered
    state = svc.state(grant.code)
    book = ledger(svc, grant)
    assert state.determination.paid_cents == TOTAL == book.settlement["paid_cents"]
    (claim,) = book.claims.values()
    assert claim.amount_cents == TOTAL - state.determination.determined_cents == state.determination.reclaim_cents
    # Awb 4:87 lid 1: six weeks after the besluit was made known (sent 3 March 2025): Monday 14 April 2025
    assert claim.term_ends == dt.date(2025, 4, 14)
    assert "4:87" in claim.basis and "4:57" in claim.basis


def test_a_vaststelling_above_what_was_paid_schedules_a_final_payment_and_cancels_the_advances_left(svc):
    grant = approved(svc)
    with_account(svc, grant)
    release(svc, grant, 1)
    money.run_payments(svc, dt.date(2020, 1, 15), at(2020, 1, 15))
    _to_vaststelling(svc, grant, cofinancing_share=10)
    state = svc.state(grant.code)
    book = ledger(svc, grant)
    assert state.determination.paid_cents == 50_000_000
    final = [i for i in book.instalments.values() if i.final]
    assert len(final) == 1 and final[0].amount_cents == state.determination.determined_cents - 50_000_000
    assert {i.status for i in book.instalments.values() if not i.final and i.number > 1} == {"cancelled"}
    assert not book.claims


def test_an_atw_holiday_moves_the_end_of_the_claims_term(svc):
    from domain.ledger.follow import payment_term

    # sent Friday 14 March 2025: six weeks end on Friday 25 April 2025; sent on 16 March 2024 they would end on
    # Saturday 27 April 2024 (Koningsdag on a Saturday): the Atw moves the end to Monday 29 April
    assert payment_term(dt.date(2025, 3, 14))[0] == dt.date(2025, 4, 25)
    day, words = payment_term(dt.date(2024, 3, 16))
    assert day == dt.date(2024, 4, 29) and "Algemene termijnenwet" in words


def test_a_melding_and_a_lowering_by_besluit_lower_the_advances_still_to_be_paid_and_the_vaststelling_starts_from_it(svc):
    from domain.values import MeldingKind

    grant = approved(svc)
    with_account(svc, grant)
    release(svc, grant, 1)
    money.run_payments(svc, dt.date(2020, 1, 15), at(2020, 1, 15))
    grant.send(c.RecordMelding, at(2022, 3, 1), kind=MeldingKind.NOT_FULLY, activities="het techniekhuis opent niet in 2023",
               actor=c.Actor(name="penvoerder", role=Role.REGION))
    lowered = grant.send(c.LowerGrant, at(2022, 4, 1), granted_per_year=[{"year": 2023, "amount_cents": 300_000_00}],
                         reason="melding: minder activiteiten in 2023")
    assert lowered.events[-1] == "GrantLowered"
    state = svc.state(grant.code)
    assert state.granted_per_year[2023] == 300_000_00 and state.besluiten[-1].kind == "lowering"
    assert state.besluiten[-1].signature is not None  # a besluit like any other: stages, mandate, letter
    book = ledger(svc, grant)
    assert book.committed[2023] == 300_000_00
    in_2023 = [i for i in book.instalments.values() if i.year == 2023 and i.status != "cancelled"]
    assert sum(i.amount_cents for i in in_2023) == 300_000_00
    # a raise is not a lowering
    with pytest.raises(TransitionRefused) as refused:
        grant.send(c.LowerGrant, at(2022, 5, 1), granted_per_year=[{"year": 2022, "amount_cents": 950_000_00}])
    assert refused.value.rule == "lowering.not_higher" and "4:48" in refused.value.source


def test_the_figures_per_budget_year_and_the_age_of_advances_not_yet_settled(svc):
    from domain.ledger.totals import by_year, open_claims, unsettled_advances

    grant = approved(svc)
    grant.pay_advances(dt.date(2020, 7, 15))
    book = ledger(svc, grant)
    years = by_year(book)
    assert years[2020].committed_cents == PER_YEAR[2020] == years[2020].instructed_cents
    assert years[2021].instructed_cents == 0 and years[2021].scheduled_cents == PER_YEAR[2021]
    assert unsettled_advances(book, dt.date(2021, 1, 16)) == 50_000_000  # paid 15 January 2020: more than a year ago
    assert unsettled_advances(book, dt.date(2020, 12, 31)) == 0
    assert open_claims(book, dt.date(2021, 1, 1)) == []


def test_a_payment_list_releases_each_instalment_by_the_same_rules_or_none_of_them(svc):
    grant = approved(svc)
    with_account(svc, grant)
    send(svc, grant, lc.ReleaseInstalments, "fi.de-boer", at(2020, 1, 3), numbers=[1, 2, 3])
    with pytest.raises(TransitionRefused) as twice:  # 3 was released by fi.de-boer already: the whole list refused
        send(svc, grant, lc.ReleaseInstalments, "fi.de-boer", at(2020, 1, 3), numbers=[4, 3])
    assert twice.value.rule == "four_eyes.two_releasers"
    assert ledger(svc, grant).instalments[4].releasers == []
    send(svc, grant, lc.ReleaseInstalments, "fi.peters", at(2020, 1, 3), numbers=[1, 2, 3])
    batch = money.run_payments(svc, dt.date(2021, 1, 15), at(2021, 1, 15)).batch
    assert batch is not None and [i["number"] for i in batch.instructions] == [1, 2, 3]


def test_a_retried_ledger_command_writes_nothing_and_an_id_reused_for_another_command_is_refused(svc):
    from domain.errors import CommandIdReused

    grant = approved(svc)
    with_account(svc, grant)
    release = lc.ReleaseInstalment(region_code=grant.code, actor=person("fi.de-boer"), reason="fiat",
                                   effective_at=at(2020, 1, 3), number=1)
    money.execute_ledger(svc, release)
    version = ledger(svc, grant).version
    money.execute_ledger(svc, release)  # the same command again (a retry): nothing more
    assert ledger(svc, grant).version == version and ledger(svc, grant).instalments[1].releasers == ["fi.de-boer"]
    with pytest.raises(CommandIdReused):
        money.execute_ledger(svc, release.model_copy(update={"number": 2}))


def test_what_a_set_off_paid_counts_as_paid_at_the_vaststelling():
    from domain.ledger.aggregate import InstalmentLine

    from domain.ledger.aggregate import Ledger

    ledger_ = Ledger.__new__(Ledger)
    ledger_.__dict__.update(instalments={1: InstalmentLine(1, 2025, dt.date(2025, 7, 15), 300, 1, status="scheduled", set_off_cents=700)})
    assert ledger_.paid_cents() == 700
