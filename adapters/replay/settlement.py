"""The money after the vaststelling, as the replay lives it (the days and the parts: adapters/replay/settlement_script.py).

In-process on the store, as DUS-I's staff and bank would: the advances paid the working day before each
vaststelling (adapters/replay/payments.py); the bank's statement of each day written as camt.053 into
`<demo>/finance/` (adapters/replay/bank.py) and read that evening through the real reconcile path
(adapters/finance/statements.reconcile_statement); a new account recorded by a beoordelaar and confirmed by
interne controle; the final payment released by two betaalfiatteurs and paid by the payment run; the claims looked at
as the daily payment run does (money.run_claims) and the aanmaning mailed (the outbox, once); the set-off by a
coordinator with a mandate for claims (money.set_off). Nothing here decides: every rule is the domain's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.event_store import money
from adapters.event_store.service import GrantService
from adapters.finance.statements import reconcile_statement
from adapters.logging import get_logger
from adapters.replay.bank import DUSI_IBAN, Line, statement
from adapters.replay.payments import IBAN, pay_advances
from adapters.replay.settlement_script import MONEY_HOUR, STATEMENT_HOUR, Cast, MoneyDay
from domain import commands as c
from domain.ledger import commands as lc
from domain.ledger.aggregate import Ledger
from domain.ledger.notices import claim_notices
from domain.timekeeping import AMSTERDAM
from domain.values import Role

log = get_logger(__name__)
NEW_IBAN = "NL69INGB0123456789"  # the account the final-payment regions give after theirs was closed (valid, not real)
SET_OFF_BY = "co.de-vries"  # a coordinator with the afdelingshoofd's mandate, which covers claims
LEGACY = "sto-2020-2024"
NEW = "sto-2025-2028"


def _actor(name: str) -> c.Actor:
    return c.Actor(name=name, role=Role.OPERATOR)


@dataclass
class Settlement:
    """The money days of one replay; what each did is kept for the summary (`facts`)."""

    service: GrantService
    cast: Cast
    directory: Path  # where the statements go
    notifier: Any  # the outbox's notifier (the aanmaning is mailed)
    booked: dict[dt.date, list[Line]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=lambda: {"statements": 0, "unmatched": []})

    def run(self, plan: MoneyDay, part: str) -> None:
        """The morning of a money day (payments, claims, accounts, set-offs), or its evening (the statement read)."""
        if part == "evening":
            self._read(plan.day, dt.datetime(plan.day.year, plan.day.month, plan.day.day, STATEMENT_HOUR, tzinfo=AMSTERDAM))
            return
        moment = dt.datetime(plan.day.year, plan.day.month, plan.day.day, MONEY_HOUR, tzinfo=AMSTERDAM)
        if plan.claims_run:
            self._claims(plan.day, moment)
        if plan.advances:
            self._advances(plan, moment)
        for code in plan.new_account:
            self._new_account(code, moment)
        for code in plan.set_off:
            self._set_off(code, moment)
        if plan.payment_run:
            made = money.run_payments(self.service, plan.day, moment)
            if made.batch is not None:
                self._book_batch(plan.day, made.batch.instructions)
        for code in plan.repay:
            self._repay(code, plan.day, interest=False)
        for code in plan.pay_interest:
            self._repay(code, plan.day, interest=True)

    # --- the steps -------------------------------------------------------------------------------------------------

    def _ledger(self, code: str, scheme: str = LEGACY) -> Ledger:
        ledger = money.ledger_of(self.service, self.service.state(code, scheme=scheme).grant_id)
        assert ledger is not None, f"{code} in {scheme} has no money ledger"
        return ledger

    def _advances(self, plan: MoneyDay, moment: dt.datetime) -> None:
        """Every advance due of the regions to be determined, in one payment run; the bank books them, and returns the
        last transfer of a final-payment region (its account was closed)."""
        instructions = pay_advances(self.service, plan.advances, LEGACY, moment)
        returned = {}
        for code in plan.advances:
            if code in self.cast.final_payment:
                last = max(self._ledger(code).instalments.values(), key=lambda line: line.number)
                returned[last.end_to_end_id] = code
        self._book_batch(plan.day, instructions, returned=set(returned))

    def _book_batch(self, day: dt.date, instructions: list[dict[str, Any]], *, returned: set[str] = frozenset()) -> None:
        lines = self.booked.setdefault(day, [])
        for item in instructions:
            line = Line("debit", int(item["amount_cents"]), item["end_to_end_id"], item["creditor_name"],
                        item["creditor_iban"], item["remittance"])
            lines.append(line)
            if item["end_to_end_id"] in returned:
                lines.append(Line("returned", line.amount_cents, line.reference, line.party, line.party_iban,
                                  "retour: rekening opgeheven"))

    def _read(self, booked: dt.date, moment: dt.datetime) -> None:
        lines = self.booked.pop(booked, [])
        if not lines:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"camt053-{booked.isoformat()}.xml"
        path.write_bytes(statement(booked, lines, account=DUSI_IBAN))
        summary = reconcile_statement(self.service, path, moment, account=DUSI_IBAN)
        self.facts["statements"] += 1
        self.facts["unmatched"] += summary.unmatched
        for number in summary.repaid:
            self.facts.setdefault("repaid_on", {}).setdefault(number, booked.isoformat())

    def _claims(self, day: dt.date, moment: dt.datetime) -> None:
        """What the daily payment run does for the claims: default and aanmaning (run_claims), and the aanmaning
        mailed, once (the outbox's key). Only the aanmaning: the demo sends no reminders of claims."""
        for number, event in money.run_claims(self.service, day, moment):
            self.facts.setdefault("claim_steps", []).append(f"{day.isoformat()} {number}: {event}")
        ledger = self._ledger(self.cast.late) if self.cast.late else None
        if ledger is None:
            return
        state = self.service.state(ledger.grant_code, scheme=LEGACY)
        for notification in claim_notices(ledger, state, day):
            if notification.deadline_key.endswith(":aanmaning"):
                self.service.deliver_notification(notification, self.notifier)

    def _new_account(self, code: str, moment: dt.datetime) -> None:
        """The region's new account (its old one was closed), recorded and confirmed by two; the final payment, once
        the vaststelling set one, released by two betaalfiatteurs (it goes out on its due day)."""
        state = self.service.state(code, scheme=LEGACY)
        envelope = {"region_code": code, "scheme": LEGACY, "effective_at": moment, "reason": "nieuwe rekening na retour"}
        money.execute_ledger(self.service, lc.RecordPaymentAccount(**envelope, actor=_actor("op.bakker"), iban=NEW_IBAN,
                                                                   holder=state.penvoerder.name))
        money.execute_ledger(self.service, lc.ConfirmPaymentAccount(**envelope, actor=_actor("ic.mulder")))
        final = [n for n, line in sorted(self._ledger(code).instalments.items()) if line.final and line.status == "scheduled"]
        if not final:
            log.warning("replay.no_final_payment", region=code)
            return
        release = {**envelope, "reason": "nabetaling na de vaststelling"}
        for releaser in ("fi.de-boer", "fi.peters"):
            money.execute_ledger(self.service, lc.ReleaseInstalments(**release, actor=_actor(releaser), numbers=final))

    def _set_off(self, code: str, moment: dt.datetime) -> None:
        """The claim set off against the region's next 2025–2028 advance still to be paid (Awb 4:57 lid 3)."""
        claim = next(iter(self._ledger(code).claims.values()), None)
        other = self._ledger(code, NEW)
        later = [line for line in sorted(other.instalments.values(), key=lambda line: line.due)
                 if line.status == "scheduled" and line.due > moment.date()]
        if claim is None or not later:
            log.warning("replay.nothing_to_set_off", region=code)
            return
        money.set_off(self.service, lc.SetOffClaim(
            region_code=code, scheme=LEGACY, actor=_actor(SET_OFF_BY), effective_at=moment, claim=claim.number,
            against_scheme=NEW, against_instalment=later[0].number,
            reason=f"verrekening met voorschot {later[0].due.isoformat()} van de subsidie 2025-2028"))

    def _repay(self, code: str, day: dt.date, *, interest: bool) -> None:
        """The region pays what is outstanding on its claim (the principal; or, once set, the interest), quoting the
        vorderingsnummer and the subsidienummer as the letter asks."""
        state = self.service.state(code, scheme=LEGACY)
        for claim in self._ledger(code).claims.values():
            amount = claim.outstanding_cents if interest else claim.principal_outstanding_cents
            if amount <= 0:
                continue
            what = "wettelijke rente" if interest else "terugbetaling"
            self.booked.setdefault(day, []).append(Line(
                "repayment", amount, claim.number, state.penvoerder.name, IBAN,
                f"{claim.number} {code} {what}"))
