"""The demo's money after the vaststelling, as scripted: who plays which part (from the scenario alone, the same
each run), on which days, the bank statements the replay's bank writes, and the throwaway store's commits."""

from __future__ import annotations

import datetime as dt

from adapters.event_store.store import open_service
from adapters.finance.camt053 import Direction, read_camt053
from adapters.replay.bank import Line, statement
from adapters.replay.scenario import build_programme
from adapters.replay.settlement_script import money_actions
from adapters.replay.throwaway import relax_service
from domain.regulation import default_regulation
from domain.regulation.termijnen import atw_non_working

LEGACY_END = dt.date(2025, 6, 30)  # the 2020–2024 replay ends here (adapters/replay/scenario.py)


def test_the_parts_are_cast_from_the_scenario_the_same_each_time():
    programme = build_programme(default_regulation())
    cast, _ = money_actions(programme, with_2025=True)
    assert len(cast.determined) == 78
    # the three whose final reports realised the largest share (0.999, 1.0 and 0.999 of their grant)
    assert cast.final_payment == ("STO-R009", "STO-R051", "STO-R063")
    # the first vaststellingen of the others, on 6 February 2025 (then by code): late, and set off
    assert (cast.late, cast.set_off) == ("STO-R016", "STO-R025")
    assert cast.determined["STO-R016"] == cast.determined["STO-R025"] == dt.date(2025, 2, 6)
    assert len(cast.on_time) == 78 - 3 - 2
    assert money_actions(build_programme(default_regulation()), with_2025=True)[0] == cast


def test_without_2025_2028_nobody_is_set_off_and_the_region_repays_on_time():
    cast, _ = money_actions(build_programme(default_regulation()), with_2025=False)
    assert cast.set_off is None and cast.late == "STO-R016" and "STO-R025" in cast.on_time


def test_every_money_day_falls_in_the_2020_2024_replay_on_a_working_day():
    programme = build_programme(default_regulation())
    cast, actions = money_actions(programme, with_2025=True)
    plans = {a.data["money"].day: a.data["money"] for a in actions}
    assert all(day <= LEGACY_END and not atw_non_working(day) for day in plans)
    # every advance paid in one run on the day the last final report came in, before any vaststelling
    advances = [plan for plan in plans.values() if plan.advances]
    assert [(p.day, len(p.advances)) for p in advances] == [(dt.date(2024, 12, 20), 78)]
    assert dt.date(2024, 12, 20) < min(cast.determined.values())
    # the late claim: term 20 March 2025 (six weeks after 6 February), noted unpaid on 27 March (default and
    # aanmaning), paid on 7 April (6 April is a Sunday), the interest paid on 22 April (21 April is Easter Monday)
    assert [day for day, plan in plans.items() if plan.claims_run] == [dt.date(2025, 3, 27)]
    assert [day for day, plan in plans.items() if cast.late in plan.repay] == [dt.date(2025, 4, 7)]
    assert [day for day, plan in plans.items() if cast.late in plan.pay_interest] == [dt.date(2025, 4, 22)]
    assert [day for day, plan in plans.items() if cast.set_off in plan.set_off] == [dt.date(2025, 2, 13)]
    repaid = {code: day for day, plan in plans.items() for code in plan.repay}
    assert all(repaid[code] - cast.determined[code] < dt.timedelta(weeks=6) for code in cast.on_time)  # Awb 4:87
    # the morning before the day's scripted actions, the statement in the evening of each day the bank booked
    assert {(a.at.hour, a.data["part"]) for a in actions} == {(8, "morning"), (18, "evening")}
    assert sum(a.data["part"] == "evening" for a in actions) == sum(plan.books for plan in plans.values())


def test_the_banks_statement_is_a_valid_camt053_the_engine_reads_back():
    day = dt.date(2025, 4, 7)
    document = statement(day, [
        Line("debit", 75314050, "STO-R001-2020-T001", "Stichting Penvoerder", "NL91ABNA0417164300", "Subsidie"),
        Line("returned", 75314050, "STO-R001-2020-T001", "Stichting Penvoerder", "NL91ABNA0417164300"),
        Line("repayment", 32833501, "VORD-STO-R016-2020-03", "Stichting Penvoerder", "NL91ABNA0417164300",
             "VORD-STO-R016-2020-03 STO-R016 terugbetaling"),
    ])
    (read,) = read_camt053(document)  # checked against the official XSD first
    debit, back, repaid = read.entries
    assert (debit.direction, debit.end_to_end_id, debit.amount_cents, debit.returned) == (Direction.DEBIT, "STO-R001-2020-T001", 75314050, False)
    assert (back.returned, back.return_reason, back.end_to_end_id) == (True, "AC04", "STO-R001-2020-T001")
    assert (repaid.direction, repaid.creditor_reference, repaid.end_to_end_id) == (Direction.CREDIT, "VORD-STO-R016-2020-03", None)
    assert {e.booking_date for e in read.entries} == {day} and len({e.bank_reference for e in read.entries}) == 3


def _synchronous(service) -> int:
    pool = service.recorder.datastore.pool
    connection = pool.get_connection(is_writer=False)
    try:
        return connection._sqlite_conn.execute("PRAGMA synchronous").fetchone()[0]
    finally:
        pool.put_connection(connection)


def test_only_the_demos_throwaway_store_commits_without_an_fsync_each(tmp_path):
    demo = open_service(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    other = open_service(f"sqlite:///{tmp_path / 'real.sqlite'}")
    assert relax_service(demo) is True
    assert _synchronous(demo) == 1  # NORMAL
    assert _synchronous(other) == 2  # FULL, SQLite's default: the real store keeps its durability
    assert relax_service(open_service("memory:")) is False
