"""Who plays which part in the money after the vaststelling, and on which days: pure, from the scenario alone.

The 2020–2024 replay settles every determined grant (Awb 4:52, 4:95 lid 4). The parts, chosen from the script's
own data so that every run with the same seed casts the same regions:

- **final payment** (nabetaling): the regions whose final report realised the largest share of the grant (ties:
  the lower code), one in three of the determined regions at most three. The bank returns the transfer of their last
  advance (AC04, account closed), so what was paid stays under what is determined;
  they give a new account, recorded and confirmed by two, and the final payment goes out by the payment run;
- **late** (one): the first vaststelling of the others (then the lower code), so the whole story fits before the
  2020–2024 replay ends (30 June 2025): the claim is not paid within its term (default, Awb 4:97), the payment run
  sends the aanmaning (4:112), the region pays within its two weeks, the interest is set (4:98, 4:99) and paid;
- **set-off** (one, when 2025–2028 is replayed too): the next vaststelling; a week after it a coordinator sets the
  claim off against the region's next 2025–2028 advance still to be paid (4:57 lid 3);
- every other claim is repaid on time, four weeks after the vaststelling (the term is six weeks, 4:87).

Every advance is paid in one payment run on the day the last final report comes in (the replay does not stop on
each due day of the advance schedule); the bank returns the last transfer of each final-payment region. A money day
has a morning (08:00, before the day's scripted actions: payments, the claims run, accounts, set-offs) and, when the
bank booked something, an evening (18:00, after them: the day's statement read).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from adapters.replay.scenario import Action, Fate, Programme, Step, _at
from domain.regulation.termijnen import next_atw_day

MONEY_HOUR = 8
STATEMENT_HOUR = 18  # the bank's statement of the day (camt.053 is an end-of-day statement) read that evening
REPAID_AFTER_DAYS = 28  # on time: four weeks after the vaststelling (the term of Awb 4:87 is six)
LATE_NOTED_AFTER_DAYS = 49  # the run that finds the late claim in default: a week after its term
LATE_PAID_AFTER_DAYS = 10  # after the aanmaning (its term is two weeks, 4:112)
INTEREST_PAID_AFTER_DAYS = 14  # after the interest is set by beschikking (4:99)
SET_OFF_AFTER_DAYS = 7
FINAL_PAYMENT_AFTER_DAYS = 14  # the final instalment falls due 14 days after the vaststelling is sent (domain.ledger.follow)


def working_day(day: dt.date) -> dt.date:
    """The first working day on or after `day` (not a weekend, a public holiday or a day the Atw equates with one)."""
    return next_atw_day(day)[0]


@dataclass(frozen=True)
class Cast:
    determined: dict[str, dt.date]  # every region with a vaststelling, and its day
    final_payment: tuple[str, ...]
    late: str | None
    set_off: str | None

    @property
    def on_time(self) -> tuple[str, ...]:
        special = {*self.final_payment, self.late, self.set_off}
        return tuple(code for code in sorted(self.determined) if code not in special)


def cast(programme: Programme, *, with_2025: bool) -> Cast:
    determined: dict[str, dt.date] = {}
    realised: dict[str, Decimal] = {}
    for action in programme.actions:
        if action.step is Step.DETERMINE and action.region:
            determined[action.region] = action.at.date()
        elif action.step is Step.FINAL_REPORT and action.region:
            realised[action.region] = Decimal(action.data["realised"])
    approved = {p.region.code for p in programme.plans if p.fate is not Fate.NEVER_APPLIES}
    determined = {code: day for code, day in determined.items() if code in approved}
    if len(determined) < 3:
        return Cast(determined, (), None, None)
    finals = min(3, len(determined) // 3) or 1
    final = tuple(sorted(sorted(determined, key=lambda code: (-realised.get(code, Decimal(0)), code))[:finals]))
    others = sorted((day, code) for code, day in determined.items() if code not in final)
    late = others[0][1]
    set_off = others[1][1] if with_2025 else None
    return Cast(determined, final, late, set_off)


@dataclass
class MoneyDay:
    """What one day's money does: in the morning (08:00, before the day's scripted actions) the payments, the claims
    run, accounts and set-offs; in the evening (18:00, after them) the bank's statement of the day is read."""

    day: dt.date
    claims_run: bool = False  # default and aanmaning of the claims whose term passed (the daily payment run's)
    advances: list[str] = field(default_factory=list)  # pay every advance due of these regions
    new_account: list[str] = field(default_factory=list)  # a new account, confirmed; the final payment released
    set_off: list[str] = field(default_factory=list)
    payment_run: bool = False
    repay: list[str] = field(default_factory=list)  # the region pays its claim's principal outstanding
    pay_interest: list[str] = field(default_factory=list)

    @property
    def books(self) -> bool:
        """Whether the bank books something on this day (then its statement is read that evening)."""
        return bool(self.advances or self.payment_run or self.repay or self.pay_interest)


def advances_day(programme: Programme, the_cast: Cast) -> dt.date:
    """The day every advance of the regions to be determined is paid, in one payment run: the day the last final
    report comes in (a day the script visits anyway). The replay does not stop on each due day of the schedule, to
    stay fast: each advance is paid once, before its grant's vaststelling sets it off."""
    reports = [a.at.date() for a in programme.actions if a.step is Step.FINAL_REPORT and a.region in the_cast.determined]
    return max(reports) if reports else min(the_cast.determined.values()) - dt.timedelta(days=1)


def money_days(the_cast: Cast, paid_on: dt.date) -> dict[dt.date, MoneyDay]:
    days: dict[dt.date, MoneyDay] = {}

    def on(day: dt.date) -> MoneyDay:
        day = working_day(day)
        return days.setdefault(day, MoneyDay(day))

    days[paid_on] = MoneyDay(paid_on, advances=sorted(the_cast.determined))
    for code, determined in sorted(the_cast.determined.items()):
        if code in the_cast.final_payment:
            on(determined + dt.timedelta(days=SET_OFF_AFTER_DAYS)).new_account.append(code)
            on(determined + dt.timedelta(days=FINAL_PAYMENT_AFTER_DAYS)).payment_run = True
        elif code == the_cast.late:
            noted = on(determined + dt.timedelta(days=LATE_NOTED_AFTER_DAYS))
            noted.claims_run = True
            paid = on(noted.day + dt.timedelta(days=LATE_PAID_AFTER_DAYS))  # its statement read that evening
            paid.repay.append(code)
            on(paid.day + dt.timedelta(days=INTEREST_PAID_AFTER_DAYS)).pay_interest.append(code)
        elif code == the_cast.set_off:
            on(determined + dt.timedelta(days=SET_OFF_AFTER_DAYS)).set_off.append(code)
            on(determined + dt.timedelta(days=REPAID_AFTER_DAYS)).repay.append(code)  # what the set-off left, if any
        else:
            on(determined + dt.timedelta(days=REPAID_AFTER_DAYS)).repay.append(code)
    return dict(sorted(days.items()))


def money_actions(programme: Programme, *, with_2025: bool) -> tuple[Cast, list[Action]]:
    """The cast, and the money days as actions (step MONEY): each day's morning at 08:00 and, when the bank booked
    something, its evening at 18:00 (the statement read); the MoneyDay and the part of the day as data."""
    the_cast = cast(programme, with_2025=with_2025)
    if not the_cast.determined:
        return the_cast, []
    actions = []
    for day, plan in money_days(the_cast, advances_day(programme, the_cast)).items():
        actions.append(Action(_at(day, MONEY_HOUR), Step.MONEY, None, {"money": plan, "part": "morning"}, scheme=programme.scheme))
        if plan.books:
            actions.append(Action(_at(day, STATEMENT_HOUR), Step.MONEY, None, {"money": plan, "part": "evening"},
                                  scheme=programme.scheme))
    return the_cast, actions
