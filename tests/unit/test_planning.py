"""When a grant's workflow wakes up: reminders, consequences and regulation changes."""

import datetime as dt

from tests.support.scripted import GrantScript
from domain.timekeeping import AMSTERDAM
from workflows.planning import plan, reminder_time, together

OFFSETS = [28, 14, 7, 1]


def at(y, m, d, h=12):
    return dt.datetime(y, m, d, h, tzinfo=AMSTERDAM)


def test_only_the_most_recent_reminder_due_is_sent_and_older_ones_are_skipped(memory_service):
    grant = GrantScript(memory_service)
    grant.pre_register()
    state, reg = memory_service.state(grant.code), memory_service.regulation()
    p = plan(state, reg, at(2019, 3, 20), OFFSETS, set())
    assert [r.offset_days for r in p.send] == [14]
    assert [k.split("|")[-1] for k in p.skip] == ["28"]
    assert p.next_wake == reminder_time(p.upcoming[0], 7)


def test_a_passed_deadline_is_acted_on_and_not_waited_for(memory_service):
    grant = GrantScript(memory_service)
    grant.pre_register()
    p = plan(memory_service.state(grant.code), memory_service.regulation(), at(2019, 4, 1, 1), OFFSETS, set())
    assert [d.key for d in p.passed] == ["application_period_1"] and p.send == []


def test_deadlines_of_one_date_share_one_reminder(memory_service):
    grant = GrantScript(memory_service)
    grant.to_approved()
    p = plan(memory_service.state(grant.code), memory_service.regulation(), at(2024, 12, 4), OFFSETS, set())
    groups = together(p.send)
    assert [sorted(r.deadline.key for r in g) for g in groups] == [["final_report", "spending_end"]]


def test_a_regulation_change_that_does_not_touch_the_grant_wakes_nobody(memory_service):
    grant = GrantScript(memory_service)
    grant.to_approved()
    state, reg = memory_service.state(grant.code), memory_service.regulation()
    handled: set[str] = set()
    now = at(2019, 12, 1)  # next change: Kamerbrief of 17 December 2019 (changes nothing for this grant)
    loud = plan(state, reg, now, OFFSETS, handled)
    quiet = plan(state, reg, now, OFFSETS, handled, quiet_replans=True)
    assert loud.next_wake == at(2019, 12, 17, 0)
    # the next date that matters: the letter of 20 May 2021 moves progress report 1
    assert quiet.next_wake == at(2021, 5, 20, 0)
