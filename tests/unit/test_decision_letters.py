"""Decision letters: every kind of besluit of both schemes yields exactly one letter, whose PDF text (read back
with pypdf) holds the amounts and the objection deadline the engine computed; a retry makes no second letter,
and a reprint gives the same bytes.

Domain and adapters on the in-memory store; the letters are issued as the workflow's activity issues them
(adapters/letters/issue.py), mailed through a recording notifier that takes attachments."""

from __future__ import annotations

import datetime as dt

import io
from email import message_from_bytes, policy

import pytest
from pypdf import PdfReader

from adapters.letters.blobs import blobs_for
from adapters.letters.issue import issue_letters, reprint
from adapters.notify.notifiers import to_email
from domain import commands as c
from domain.deadlines import objection_deadline
from domain.errors import CommandIdReused, TransitionRefused
from domain.letters import compose, euro_nl, letter_command_id
from domain.notifications import datum_nl
from domain.values import ObjectionOutcome
from tests.support.scripted import PER_YEAR, GrantScript, at, years
from tests.support.scripted_2025 import NEW, PER_YEAR_2025, Script2025


class Recorder:
    """Takes mails with their attachments, as the SMTP and file notifiers do (send_with)."""

    def __init__(self) -> None:
        self.mails = []

    def send(self, notification):
        return self.send_with(notification, {})

    def send_with(self, notification, files):
        self.mails.append(message_from_bytes(bytes(to_email(notification, "dus-i@example", files)), policy=policy.default))
        return notification.message_id


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def issue(svc, script, scheme=None, mail=None):
    return issue_letters(svc, mail, script.code, scheme)


def legacy_lives(svc):
    """Grants of STO 2020–2024 that between them take every kind of besluit."""
    rejected = GrantScript(svc, index=1)
    rejected.to_rejected_in_period_1()
    rejected.send(c.FileObjection, at(2019, 7, 30), grounds="ten onrechte afgewezen")
    rejected.send(c.DecideObjection, at(2019, 9, 10), outcome=ObjectionOutcome.UPHELD, granted_per_year=years(PER_YEAR))
    set_aside = GrantScript(svc, index=2)
    set_aside.pre_register()
    set_aside.apply()
    set_aside.send(c.RequestRepair, at(2019, 4, 1), missing=["begroting"], repair_days=14)
    set_aside.consequence("repair_period:1", at(2019, 4, 16, 0))
    extended = GrantScript(svc, index=3)
    extended.to_approved()
    extended.progress_report(1, at(2021, 10, 1))
    quarter = sum(PER_YEAR.values()) // 4
    extended.progress_report(2, at(2023, 9, 1), quarter)
    extended.send(c.GrantExtension, at(2023, 11, 1), amount_cents=quarter)
    extended.pay_advances(dt.date(2024, 12, 31))  # every instalment of the schedule paid, as the vaststelling settles
    total = sum(PER_YEAR.values())
    extended.final_report(at(2025, 1, 15), PER_YEAR, cofinancing_cents=total * 5 // 100)
    extended.send(c.DetermineGrant, at(2025, 3, 1))
    withdrawn = GrantScript(svc, index=4)
    withdrawn.to_approved()
    withdrawn.send(c.WithdrawGrant, at(2020, 2, 1), reason="regio stopt")
    lowered = GrantScript(svc, index=5)
    lowered.to_approved()
    lowered.send(c.LowerGrant, at(2022, 4, 1), granted_per_year=years({2023: 300_000_00}), reason="melding: minder in 2023")
    return [rejected, set_aside, extended, withdrawn, lowered]


def test_every_kind_of_besluit_of_the_legacy_scheme_yields_one_letter_with_its_amounts_and_deadline(memory_service):
    svc = memory_service
    mail = Recorder()
    kinds = []
    for script in legacy_lives(svc):
        state = issue(svc, script, mail=mail)
        assert [letter.besluit for letter in state.letters] == [b.number for b in state.besluiten]
        regulation = svc.regulation(state.scheme)
        for besluit, record in zip(state.besluiten, state.letters):
            kinds.append(besluit.kind)
            data = blobs_for(svc).get(record.sha256)
            assert data is not None and len(data) == record.size
            text = pdf_text(data)
            letter = compose(state, besluit.number, regulation)
            assert datum_nl(letter.objection_deadline) in text.replace("\n", " ")
            for _label, amount in letter.amounts:
                assert amount in text
            assert state.region_name in text and state.penvoerder.name in text
            assert besluit.rule in text
    assert sorted(set(kinds)) == sorted(b.kind for b in svc.regulation(None).data.besluiten)
    assert len(mail.mails) == len(kinds), "one mail per letter"
    attached = [part for m in mail.mails for part in m.iter_attachments()]
    assert len(attached) == len(kinds) and all(p.get_content_type() == "application/pdf" for p in attached)


def test_a_vaststelling_letter_holds_amounts_and_a_deadline_worked_out_by_hand(memory_service):
    """The vaststelling of the extended grant of `legacy_lives`, worked out from the regeling, not by `compose`.

    Granted 1,000,000 + 1,000,000 + 900,000 + 900,000 = EUR 3,800,000, and in 2023 the extension of a quarter of
    that, EUR 950,000 (the cap: 25 % of the 2020–2023 total): EUR 4,750,000 granted, all of it paid in advance (its
    money ledger paid every instalment).
    Realised costs EUR 3,800,000: eligible is the lower of granted and realised, EUR 3,800,000. Co-financing
    realised: 5 % of it, EUR 190,000. The threshold in force on 1 March 2025 is 7.5 % (the minister's letter of
    7 July 2022 lowered it from 10 %), so EUR 285,000 was required; under it, the subsidy is determined at what
    the co-financing supports: 190,000 / 0.075 = EUR 2,533,333.33 (rounded down to the cent), and
    4,750,000 - 2,533,333.33 = EUR 2,216,666.67 is reclaimed.

    Sent on Saturday 1 March 2025: the objection term of six weeks (Awb 6:7) starts the day after (Awb 6:8),
    Sunday 2 March, and ends on Saturday 12 April 2025; a term set by law that ends on a Saturday ends on the
    next day that is no Saturday, Sunday or public holiday (Algemene termijnenwet art. 1): Monday 14 April 2025
    (Easter Monday is the 21st)."""
    svc = memory_service
    mail = Recorder()
    extended = legacy_lives(svc)[2]
    state = issue(svc, extended, mail=mail)
    determination = state.determination
    assert (determination.granted_total_cents, determination.eligible_cents) == (475_000_000, 380_000_000)
    assert (determination.cofinancing_required_cents, determination.cofinancing_realised_cents) == (28_500_000, 19_000_000)
    assert (determination.determined_cents, determination.reclaim_cents) == (253_333_333, 221_666_667)
    (record,) = [r for r in state.letters if r.kind == "determination"]
    assert record.objection_deadline.isoformat() == "2025-04-14"
    text = pdf_text(blobs_for(svc).get(record.sha256)).replace("\n", " ")
    for amount in ("€ 4.750.000,00", "€ 2.533.333,33", "€ 2.216.666,67"):
        assert amount in text, amount
    assert "maandag 14 april 2025" in text and "Algemene termijnenwet" in text


def test_the_letter_holds_the_deadline_the_engine_counts_for_the_objection_term(memory_service):
    script = GrantScript(memory_service, index=5)
    script.to_rejected_in_period_1()  # sent Thursday 20 June 2019: the term ends Thursday 1 August 2019
    state = issue(memory_service, script)
    engine = objection_deadline(state, memory_service.regulation(None), state.decision.sent_on)
    (letter,) = state.letters
    assert letter.objection_deadline == engine.due
    text = pdf_text(blobs_for(memory_service).get(letter.sha256)).replace("\n", " ")
    assert "donderdag 1 augustus 2019" in text and "bezwaarschrift" in text


def test_a_deadline_moved_by_the_algemene_termijnenwet_says_so_in_the_letter(memory_service):
    script = GrantScript(memory_service, index=6)
    script.to_approved()  # 20 June 2019 + 6 weeks = 1 August 2019 (a Thursday): try a Saturday end instead
    state = memory_service.state(script.code)
    regulation = memory_service.regulation(None)
    moved = None
    for besluit in state.besluiten:
        shifted = besluit.model_copy(update={"sent_on": besluit.sent_on.replace(day=22)})  # 22 June 2019 + 42 = 3 Aug, Sat
        state.besluiten[besluit.number - 1] = shifted
        moved = compose(state, besluit.number, regulation)
    assert moved is not None and moved.deadline.moved_by_atw
    assert moved.objection_deadline.isoformat() == "2019-08-05"
    assert any("Algemene termijnenwet" in p for p in moved.objection)


def test_every_kind_of_besluit_of_the_2025_scheme_yields_one_letter(memory_service):
    svc = memory_service
    approved = Script2025(svc, index=11, per_year=dict(PER_YEAR_2025))
    approved.to_approved_2025()
    withdrawn = Script2025(svc, index=12, per_year=dict(PER_YEAR_2025))
    withdrawn.to_approved_2025()
    withdrawn.send(c.WithdrawGrant, at(2025, 6, 1), reason="regio stopt")
    rejected = Script2025(svc, index=13, per_year=dict(PER_YEAR_2025))
    rejected.pre_register()
    rejected.apply(1, at(2024, 9, 16))
    rejected.accept(at(2024, 10, 10))
    rejected.advise(at(2024, 12, 5), positive=False)
    rejected.send(c.RejectApplication, at(2025, 1, 20), reasons=["regioplan onvoldoende"])
    rejected.send(c.FileObjection, at(2025, 2, 10), grounds="ten onrechte")
    rejected.send(c.DecideObjection, at(2025, 3, 10), outcome=ObjectionOutcome.DISMISSED)
    set_aside = Script2025(svc, index=14, per_year=dict(PER_YEAR_2025))
    set_aside.pre_register()
    set_aside.apply(1, at(2024, 9, 16))
    set_aside.send(c.RequestRepair, at(2024, 10, 1), missing=["begroting"], repair_days=14)
    set_aside.consequence("repair_period:1", at(2024, 10, 16, 0))
    kinds = []
    for script in (approved, withdrawn, rejected, set_aside):
        state = issue(svc, script, NEW)
        assert len(state.letters) == len(state.besluiten) >= 1
        for record in state.letters:
            kinds.append(record.kind)
            text = pdf_text(blobs_for(svc).get(record.sha256))
            assert datum_nl(record.objection_deadline) in text.replace("\n", " ")
            assert "2025–2028" in text
    approval = svc.state(approved.code, scheme=NEW).letters[0]
    text = pdf_text(blobs_for(svc).get(approval.sha256))
    assert all(euro_nl(cents) in text for cents in PER_YEAR_2025.values())
    assert {"approval", "withdrawal", "rejection", "objection_decision", "set_aside"} <= set(kinds)


def test_a_retried_letter_makes_no_second_letter_and_a_reprint_gives_the_same_bytes(memory_service):
    svc = memory_service
    script = GrantScript(svc, index=7)
    script.to_approved()
    first = issue(svc, script)
    again = issue(svc, script)
    assert len(again.letters) == 1 and again.version == first.version
    (record,) = again.letters
    assert reprint(svc, again, 1) == blobs_for(svc).get(record.sha256)
    state = svc.state(script.code)
    retried = c.IssueDecisionLetter(
        command_id=letter_command_id(state, 1), region_code=script.code, scheme=None, actor=c.SYSTEM_ACTOR,
        reason="x", besluit=1, template="t", template_version=1, sha256="0" * 64, size=1, filename="x.pdf", sent_to="a@b.c",
    )
    with pytest.raises(CommandIdReused):  # same id, other fields: refused; a new id: one letter per besluit
        svc.execute(retried)
    with pytest.raises(TransitionRefused) as refused:
        svc.execute(retried.model_copy(update={"command_id": __import__("uuid").uuid4()}))
    assert refused.value.rule == "letters.once_per_besluit" and "3:45" in refused.value.source
    assert len(svc.state(script.code).letters) == 1


def test_an_operator_cannot_issue_a_letter_only_the_engine_does(memory_service):
    script = GrantScript(memory_service, index=8)
    script.to_approved()
    with pytest.raises(TransitionRefused) as refused:
        script.send(c.IssueDecisionLetter, at(2019, 6, 21), besluit=1, template="t", template_version=1,
                    sha256="0" * 64, size=1, filename="x.pdf", sent_to="a@b.c")
    assert refused.value.rule == "access.role"


def test_a_region_with_grants_in_both_schemes_gets_its_legacy_letters_when_the_activity_names_no_scheme(memory_service):
    """The workflow of a legacy grant asks for `REGION` without a scheme (as every activity of a legacy grant):
    that is the legacy grant, even when the region has a 2025–2028 grant too and the clock is in 2025 or later.
    (`sto demo` lost every vaststelling letter of 2020–2024 this way: the 2025–2028 grant was asked instead.)"""
    svc = memory_service
    legacy = GrantScript(svc, index=5)
    legacy.to_approved()
    Script2025(svc, index=5, per_year=dict(PER_YEAR_2025)).to_approved_2025()
    state = issue(svc, legacy)  # no scheme, as adapters/engine/activities.py passes a legacy grant's `REGION`
    assert state.scheme in (None, "sto-2020-2024") and [r.kind for r in state.letters] == ["approval"]
    since = svc.installation.letters_owed_from
    assert not svc.state(legacy.code, scheme="sto-2020-2024").besluiten_without_letter(since)
    assert svc.state(legacy.code, scheme=NEW).besluiten_without_letter(since)  # the other grant's letter is its own workflow's
