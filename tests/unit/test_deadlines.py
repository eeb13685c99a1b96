"""Which deadlines apply to a grant now, as the workflow will plan them."""

import datetime as dt

from domain import commands as c
from domain.deadlines import pending_deadlines, remindable
from domain.regulation import default_regulation
from tests.support.scripted import GrantScript, at

D = dt.date


def keys(state, reg, day):
    return [d.key for d in pending_deadlines(state, reg, day)]


def test_a_pre_registered_region_faces_the_end_of_period_1(memory_service):
    grant = GrantScript(memory_service)
    grant.pre_register()
    reg = memory_service.regulation()
    assert keys(memory_service.state(grant.code), reg, D(2018, 11, 1)) == ["application_period_1"]


def test_an_approved_grant_faces_its_reports_the_2024_plan_and_the_spending_end(memory_service):
    grant = GrantScript(memory_service)
    grant.to_approved()
    reg = memory_service.regulation()
    state = memory_service.state(grant.code)
    assert keys(state, reg, D(2019, 6, 21)) == [
        "objection_period:1", "progress_report_1", "progress_report_2", "spending_end",
    ]
    later = keys(state, reg, D(2023, 8, 1))
    assert later == ["objection_period:1", "progress_report_1", "extension_plan_2024", "progress_report_2", "final_report", "spending_end"]


def test_a_rejected_region_faces_period_2_and_after_rejection_in_period_2_the_amendment_adds_period_3(memory_service):
    grant = GrantScript(memory_service)
    grant.to_rejected_in_period_1()
    reg = memory_service.regulation()
    assert "application_period_2" in keys(memory_service.state(grant.code), reg, D(2019, 6, 21))
    grant.apply(2)
    grant.accept(at(2019, 10, 1))
    grant.advise(at(2019, 11, 1), positive=False)
    grant.reject(at(2019, 12, 10))
    state = memory_service.state(grant.code)
    assert "application_period_3" not in keys(state, reg, D(2020, 3, 9))
    assert "application_period_3" in keys(state, reg, D(2020, 3, 10))


def test_moving_progress_report_2_moves_running_grants_but_not_a_grant_whose_report_is_in(memory_service):
    full = default_regulation()
    before = full.without_versions("brief-2022-07-07")
    after = before.with_amendment(full.amendment_of("brief-2022-07-07"))
    waiting = GrantScript(memory_service, index=1)
    waiting.to_approved()
    reported = GrantScript(memory_service, index=2)
    reported.to_approved()
    reported.progress_report(1, at(2021, 10, 1))
    reported.progress_report(2, at(2023, 6, 1))
    day = D(2023, 1, 1)

    def due(state, reg):
        return {d.key: d.due for d in pending_deadlines(state, reg, day)}.get("progress_report_2")

    w, r = memory_service.state(waiting.code), memory_service.state(reported.code)
    assert due(w, before) == D(2023, 7, 1) and due(w, after) == D(2023, 10, 1)
    assert due(r, before) is None and due(r, after) is None


def test_reminders_go_out_for_steps_not_for_milestones_or_the_right_to_object(memory_service):
    grant = GrantScript(memory_service)
    grant.to_approved()
    pending = pending_deadlines(memory_service.state(grant.code), memory_service.regulation(), D(2019, 6, 21))
    assert {d.key: remindable(d) for d in pending} == {
        "objection_period:1": False, "progress_report_1": True, "progress_report_2": True, "spending_end": True,
    }


def test_a_handled_deadline_is_no_longer_pending(memory_service):
    grant = GrantScript(memory_service)
    grant.to_approved()
    grant.send(c.ApplyDeadlineConsequence, at(2019, 8, 2), deadline_key="objection_period:1", actor=c.SYSTEM_ACTOR)
    assert "objection_period:1" not in keys(memory_service.state(grant.code), memory_service.regulation(), D(2019, 8, 2))
