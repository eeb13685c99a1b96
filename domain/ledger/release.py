"""Whether a ledger command may be done, and what it records: the rules of paying (pure, like domain/decide).

- an instalment goes out only after release by two different people, each holding a payment volmacht (Awb 10:12
  applies mandate's rules to a volmacht) that covers its amount, neither of whom took a stage of the besluit that
  set it (separation of deciding and paying);
- the account paid on is recorded by one person and confirmed by another (four eyes on bank data);
- a written notice of a serious suspicion suspends the grant's payments until the decision, 13 weeks at most (Awb
  4:56); the payment run lets the 13 weeks end it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.authority import rules
from domain.authority.register import Register
from domain.errors import TransitionRefused
from domain.ledger import commands as lc
from domain.ledger.aggregate import FOUR_56_WEEKS, Ledger
from domain.state import GrantState
from domain.timekeeping import local_date

AWB = "Algemene wet bestuursrecht"
PAYING = f"functiescheiding bij betalen: twee personen met een betaalvolmacht ({AWB} art. 10:12), geen van beiden betrokken bij het besluit"
Events = list[tuple[type[Ledger.Event], dict[str, Any]]]


def refuse(rule: str, message: str, source: str, hint: str) -> TransitionRefused:
    return TransitionRefused(rule, message, source, hint=hint)


def decide_ledger(ledger: Ledger, state: GrantState, command: lc.LedgerCommand, register: Register,
                  effective_at: dt.datetime) -> tuple[Events, str]:
    """(the events to record, their legal basis), or TransitionRefused naming the rule; nothing is written then."""
    day = local_date(effective_at)
    last = getattr(ledger, "last_effective_at", None)
    if last is not None and effective_at < last:
        raise refuse("time.business_order", f"{command.name} takes effect on {effective_at.isoformat()}, before the "
                     f"ledger's last event ({last.isoformat()})", "audit integrity: a ledger's history runs forward in "
                     "business time", "give an effective time at or after the last event")
    view = rules.register_on(register.on(day), state, day.isoformat())
    scheme = state.scheme or "sto-2020-2024"
    name = command.actor.name
    if isinstance(command, lc.ReleaseInstalment):
        return _release(ledger, state, command.number, command.actor.name, view, scheme), PAYING
    if isinstance(command, lc.ReleaseInstalments):
        if len(set(command.numbers)) != len(command.numbers):
            raise refuse("money.list_twice", "an instalment is named twice in the list", PAYING, "name each once")
        return [e for n in command.numbers for e in _release(ledger, state, n, command.actor.name, view, scheme)], PAYING
    if isinstance(command, lc.RecordPaymentAccount):
        rules.check_role(view, name, "beoordelaar", scheme, state, "recording the account the region is paid on")
        return [(Ledger.PaymentAccountRecorded, {"iban": command.iban, "holder": command.holder})], \
            "bankgegevens van de penvoerder (vier-ogenprincipe: vastgelegd door de een, bevestigd door een ander)"
    if isinstance(command, lc.ConfirmPaymentAccount):
        return _confirm(ledger, state, command, view, scheme), "bankgegevens: bevestiging door een tweede persoon"
    if isinstance(command, lc.SuspendPayments):
        rules.check_role(view, name, rules.COORDINATOR, scheme, state, "suspending payments")
        if ledger.suspended_on(day):
            raise refuse("money.already_suspended", f"the payments of {state.region_code} are suspended since "
                         f"{ledger.suspension['notice_on'].isoformat()}", f"{AWB} art. 4:56", "nothing to do")
        ends = command.notice_on + dt.timedelta(weeks=FOUR_56_WEEKS)
        return [(Ledger.PaymentsSuspended, {"notice_on": command.notice_on, "ends_at_latest": ends})], \
            f"{AWB} art. 4:56 (opschorting vanaf de schriftelijke mededeling, ten hoogste 13 weken)"
    if isinstance(command, lc.ResumePayments):
        rules.check_role(view, name, rules.COORDINATOR, scheme, state, "resuming payments")
        if not ledger.suspended_on(day):
            raise refuse("money.not_suspended", f"the payments of {state.region_code} are not suspended",
                         f"{AWB} art. 4:56", "nothing to do")
        return [(Ledger.PaymentsResumed, {})], f"{AWB} art. 4:56 (de beslissing is bekendgemaakt)"
    raise refuse("money.not_here", f"{command.name} is not decided on one ledger", "money ledger",
                 "use the command's own path")


def _release(ledger: Ledger, state: GrantState, number: int, name: str, view: Any, scheme: str) -> Events:
    line = ledger.instalments.get(number)
    if line is None:
        raise refuse("money.no_such_instalment", f"the grant of {state.region_code} has no instalment {number} "
                     f"(it has {', '.join(map(str, sorted(ledger.instalments))) or 'none'})", "advance schedule of the verlening",
                     "`sto money show REGION` lists the instalments")
    if line.status not in ("scheduled", "returned"):
        raise refuse("money.not_releasable", f"instalment {line.number} is {line.status}", PAYING,
                     "only a scheduled or returned instalment is released")
    person = rules.check_role(view, name, "betaalfiatteur", scheme, state, "releasing a payment")
    mandate = rules.signing_mandate(view, person, "payment", scheme, line.amount_cents, state)
    if name in line.releasers:
        raise refuse("four_eyes.two_releasers", f"{name} released instalment {line.number} already; a second person "
                     "releases it", PAYING, "another betaalfiatteur releases it")
    besluit = next((b for b in state.besluiten if b.number == line.besluit), None)
    deciders = {s.person for s in besluit.stages} | {besluit.taken_by} if besluit is not None else set()
    if name in deciders:
        raise refuse("four_eyes.decided_and_pays", f"{name} took part in besluit {line.besluit}, which set this "
                     "instalment, and cannot release its payment", PAYING, "a betaalfiatteur outside the besluit releases it")
    return [(Ledger.InstalmentReleased, {"number": line.number, "mandate": mandate.id})]


def _confirm(ledger: Ledger, state: GrantState, command: lc.ConfirmPaymentAccount, view: Any, scheme: str) -> Events:
    account = ledger.account
    if account is None:
        raise refuse("money.no_account", f"no account is recorded for {state.region_code}", "bankgegevens",
                     "record the account first (`sto money account REGION IBAN HOLDER`)")
    if account["confirmed_by"] is not None:
        raise refuse("money.account_confirmed", "the account is confirmed already", "bankgegevens", "nothing to do")
    if account["recorded_by"] == command.actor.name:
        raise refuse("four_eyes.bank_data", f"{command.actor.name} recorded the account and cannot confirm it",
                      "bankgegevens: vier-ogenprincipe", "another person with the role interne_controle confirms it")
    rules.check_role(view, command.actor.name, "interne_controle", scheme, state, "confirming bank data")
    return [(Ledger.PaymentAccountConfirmed, {})]
