"""The work queue in the views: one item per grant with open work, agreeing with the domain's `open_work` on the
aggregate's own state (the stage, who drafted, who took which stage, who holds it), through drafts, stages
passed, a case sent back, claims and releases, and besluiten taken; a rebuild gives the same queue."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.read_side.read_models import ReadModels
from adapters.read_side.work import WorkQuery
from adapters.read_side.work_table import WORK
from domain import commands as c
from domain.authority.rules import drafter_of
from domain.decide.core import Context
from domain.decide.stages import open_work
from domain.values import Role
from tests.support.scenarios import exceptional_regions, scripted_regions
from tests.support.scripted import GrantScript, at

DAY = dt.date(2019, 7, 1)


def actor(name: str) -> c.Actor:
    return c.Actor(name=name, role=Role.OPERATOR)


def send(service, command_class, code: str, name: str, when: dt.datetime, **fields):
    return service.execute(command_class(region_code=code, actor=actor(name), reason=f"{command_class.__name__} (test)",
                                         effective_at=when, **fields))


@pytest.fixture
def service(memory_service):
    scripted_regions(memory_service, 6)
    exceptional_regions(memory_service)
    drafted = GrantScript(memory_service, index=21, stages=False)  # drafted, waits for interne controle
    drafted.pre_register(); drafted.apply(); drafted.accept(); drafted.advise(); drafted.approve()
    claimed = GrantScript(memory_service, index=22, stages=False)  # advised: a besluit due, claimed
    claimed.pre_register(); claimed.apply(); claimed.accept(); claimed.advise()
    send(memory_service, c.ClaimCase, claimed.code, "op.bakker", at(2019, 6, 10))
    back = GrantScript(memory_service, index=23, stages=False)  # drafted, passed once, sent back
    back.pre_register(); back.apply(); back.accept(); back.advise(); back.approve()
    answers = {"advies_gevolgd": True, "bedrag_juist": True, "iban_juist": True, "beschikking_mag_verzonden": True}
    send(memory_service, c.PassStage, back.code, "ic.smit", at(2019, 6, 21), stage="interne_controle", answers=answers)
    send(memory_service, c.SendBackStage, back.code, "co.meijer", at(2019, 6, 22), stage="ondertekening",
         answers={"akkoord": False})
    released = GrantScript(memory_service, index=24, stages=False)  # claimed and released again
    released.pre_register(); released.apply(); released.accept(); released.advise()
    send(memory_service, c.ClaimCase, released.code, "op.visser", at(2019, 6, 10))
    send(memory_service, c.ReleaseCase, released.code, "op.visser", at(2019, 6, 11))
    return memory_service


def queue(models: ReadModels, **query) -> dict[str, dict]:
    return {item["region_code"]: item for item in models.work_items(WorkQuery(**query), DAY, size=500)["work_items"]}


def test_every_work_item_agrees_with_open_work_on_the_aggregates_own_state(service):
    models = ReadModels(service, "memory:")
    items = queue(models)
    assert {"STO-R021", "STO-R022", "STO-R023", "STO-R024"} <= set(items)
    for scheme, code in service.grant_keys():
        state = service.state(code, scheme=scheme)
        regulation = service.regulation(state.scheme)
        found = open_work(state, Context(regulation, state.last_effective_at))
        if found is None:
            assert code not in items, code
            continue
        procedure, stage = found
        item = items[code]
        assert (item["procedure"], item["stage"], item["stage_role"]) == (procedure.id, stage.id, stage.role), code
        assert item["stage_title"] == stage.title_nl and item["version"] == state.version
        assert item["claimed_by"] == (state.claim.person if state.claim else None), code
        assert item["drafted"] == (state.case is not None)
        if state.case is not None:
            assert item["takers"] == state.case.takers and item["round"] == state.case.round
            assert item["drafted_by"] == drafter_of(state.case, procedure)
            assert (item["besluit_kind"], item["amount_cents"]) == (state.case.besluit_kind, state.case.amount_cents)


def test_a_case_sent_back_waits_for_its_drafter_again_in_the_next_round(service):
    item = queue(ReadModels(service, "memory:"))["STO-R023"]
    assert (item["stage"], item["round"], item["claimed_by"]) == ("eerste_beoordeling", 2, "op.jansen")
    assert item["takers"] == {"op.jansen": "eerste_beoordeling", "ic.smit": "interne_controle",
                              "co.meijer": "ondertekening"}


def test_a_besluit_taken_leaves_the_queue_and_a_rebuild_gives_the_same_queue(service):
    models = ReadModels(service, "memory:")
    before = queue(models)
    drafted = GrantScript(service, index=21)
    answers = {"advies_gevolgd": True, "bedrag_juist": True, "iban_juist": True, "beschikking_mag_verzonden": True}
    send(service, c.PassStage, drafted.code, "ic.mulder", at(2019, 6, 24), stage="interne_controle", answers=answers)
    send(service, c.PassStage, drafted.code, "co.de-vries", at(2019, 6, 25), stage="ondertekening",
         answers={"akkoord": True})
    after = queue(models)
    assert before["STO-R021"]["procedure"] == "aanvraag"
    assert after.get("STO-R021", {}).get("procedure") != "aanvraag"  # approved: the besluit on the application is taken
    rebuilt = ReadModels(service, "memory:")
    rebuilt.rebuild()
    assert rebuilt.db.fetchall(f"SELECT * FROM {WORK} ORDER BY grant_id") == \
        models.db.fetchall(f"SELECT * FROM {WORK} ORDER BY grant_id")


def test_the_queue_filters_by_holder_role_scheme_stage_and_due_date_and_pages_in_order(service):
    models = ReadModels(service, "memory:")
    everything = queue(models)
    assert set(queue(models, person="op.bakker", mine=True)) == {"STO-R022"}
    unassigned = queue(models, unassigned=True)
    assert "STO-R022" not in unassigned and "STO-R023" not in unassigned and "STO-R024" in unassigned
    assert set(queue(models, stage="interne_controle")) == {"STO-R021"}
    assert set(queue(models, scheme="sto-2025-2028")) == {k for k, i in everything.items() if i["scheme"] == "sto-2025-2028"}
    # ic.mulder holds interne_controle: STO-R021's stage (drafted by op.jansen), no beoordelaar's stage
    assert set(queue(models, person="ic.mulder", my_roles=True)) == {"STO-R021"}
    # op.jansen drafted STO-R021 (four eyes) and may draft again only the case sent back to him
    jansen = queue(models, person="op.jansen", my_roles=True)
    assert "STO-R021" not in jansen and "STO-R023" in jansen and "STO-R022" not in jansen  # R022: op.bakker's claim
    due = queue(models, due_within=0)
    assert due and all(i["due"]["overdue"] or i["due"]["days_left"] <= 0 for i in due.values())
    assert all(i["decision_term"] for i in due.values()) and "overdue" in due["STO-R021"]["due"]["text"]
    pages, after = [], None
    while True:
        page = models.work_items(WorkQuery(), DAY, size=2, after=after)
        pages.append([i["region_code"] for i in page["work_items"]])
        if page["next_key"] is None:
            break
        after = tuple(page["next_key"])
    walked = [code for page in pages for code in page]
    assert sorted(walked) == sorted(everything) and len(walked) == len(set(walked)) == page["total"]
    assert all(len(p) == 2 for p in pages[:-1])
