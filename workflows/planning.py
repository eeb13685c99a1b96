"""When to wake up: reminders before each deadline, consequences after, re-plans on regulation changes.

Pure: from the grant's state, the regulation and the business time now. The workflow calls it after
every change and every wake-up; nothing here talks to Temporal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from domain.deadlines import pending_deadlines, remindable
from domain.notifications import grant_scope, reminder_key
from domain.publication import amended
from domain.regulation import Amendment, DeadlineInfo, Regulation
from domain.regulation.schemes import scheme as shipped_scheme
from domain.state import GrantState
from domain.timekeeping import local_date, start_of_day

REMINDER_HOUR = dt.timedelta(hours=9)  # reminders go out at 09:00 Amsterdam time


@dataclass(frozen=True)
class Reminder:
    deadline: DeadlineInfo
    offset_days: int
    at: dt.datetime
    key: str


@dataclass(frozen=True)
class Plan:
    send: list[Reminder] = field(default_factory=list)  # due now: send these
    skip: list[str] = field(default_factory=list)  # superseded by a later reminder that is due too
    passed: list[DeadlineInfo] = field(default_factory=list)  # apply their consequence now
    upcoming: list[DeadlineInfo] = field(default_factory=list)
    next_reminders: list[Reminder] = field(default_factory=list)
    next_wake: dt.datetime | None = None


def reminder_time(deadline: DeadlineInfo, offset_days: int) -> dt.datetime:
    return start_of_day(deadline.due - dt.timedelta(days=offset_days)) + REMINDER_HOUR


def plan(
    state: GrantState,
    regulation: Regulation,
    now: dt.datetime,
    offsets: list[int],
    handled: set[str],
    *,
    quiet_replans: bool = False,
) -> Plan:
    """What to do now and when to wake next. With `quiet_replans`, a date on which a regulation
    version takes effect is a wake-up only if the grant's deadlines are different from that day on."""
    pending = pending_deadlines(state, regulation, local_date(now))
    send: list[Reminder] = []
    skip: list[str] = []
    passed: list[DeadlineInfo] = []
    upcoming: list[DeadlineInfo] = []
    next_reminders: list[Reminder] = []
    wakes: list[dt.datetime] = []
    for deadline in pending:
        if deadline.due_at <= now:
            passed.append(deadline)
            continue
        upcoming.append(deadline)
        wakes.append(deadline.due_at)
        if not remindable(deadline):
            continue
        reminders = sorted(
            (Reminder(deadline, off, reminder_time(deadline, off), reminder_key(grant_scope(state), deadline, off)) for off in set(offsets)),
            key=lambda r: r.at,
        )
        open_ = [r for r in reminders if r.key not in handled]
        ready = [r for r in open_ if r.at <= now]
        if ready:
            send.append(ready[-1])  # only the most recent one; the older ones are superseded
            skip.extend(r.key for r in ready[:-1])
        future = [r for r in open_ if r.at > now]
        if future:
            next_reminders.append(future[0])
            wakes.append(future[0].at)
    current = [(d.key, d.due) for d in pending]
    for change in regulation.change_dates():
        moment = start_of_day(change)
        if moment <= now:
            continue
        if not quiet_replans or [(d.key, d.due) for d in pending_deadlines(state, regulation, change)] != current:
            wakes.append(moment)
            break
    return Plan(
        send=send,
        skip=skip,
        passed=passed,
        upcoming=upcoming,
        next_reminders=sorted(next_reminders, key=lambda r: r.at),
        next_wake=min(wakes) if wakes else None,
    )


def together(reminders: list[Reminder]) -> list[list[Reminder]]:
    """Reminders that can go in one message: same date, same offset, same addressee."""
    groups: dict[tuple, list[Reminder]] = {}
    for reminder in reminders:
        d = reminder.deadline
        groups.setdefault((d.due, reminder.offset_days, d.addressee), []).append(reminder)
    return list(groups.values())


def regulation_for(scheme: str | None, base_without: list[str], amendments: list[Amendment]) -> Regulation:
    """The grant's scheme as shipped (minus versions, for what-if tests), with the amendments published for it."""
    regulation = shipped_scheme(scheme)
    if base_without:
        regulation = regulation.without_versions(*base_without)
    return amended(regulation, amendments)
