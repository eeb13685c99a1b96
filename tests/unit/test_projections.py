"""Read models on the in-memory store: every grant event has a handler, every row agrees with the
aggregate's own state, and a rebuild from zero gives exactly the rows that catching up gave."""

from __future__ import annotations

import pytest
from eventsourcing.utils import get_topic

from adapters.read_side.read_models import ReadModels
from tests.support.scenarios import exceptional_regions, scripted_regions
from domain import events as e
from adapters.event_store.service import GrantService
from projections.grant_rows import HANDLERS
from projections.projector import ProjectionError, project
from projections.payloads import decode_json


def concrete_grant_events() -> list[type]:
    found, todo = [], [e.GrantEvent]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls not in (e.GrantEvent, e.DeadlineConsequence, e.CaseEvent) and cls.__module__ == "domain.events":
            found.append(cls)
    return found


def all_rows(models: ReadModels) -> tuple[list[dict], list[dict]]:
    return models.store.grant_rows(), models.store.all_timeline()


@pytest.fixture
def service(memory_service: GrantService) -> GrantService:
    scripted_regions(memory_service, 12)
    exceptional_regions(memory_service)
    return memory_service


def test_every_grant_event_has_a_read_model_handler():
    missing = [cls.__name__ for cls in concrete_grant_events() if get_topic(cls) not in HANDLERS]
    assert missing == []
    assert len(concrete_grant_events()) == len(HANDLERS)


def test_a_grant_event_without_a_handler_stops_the_projection_and_says_what_to_do(service):
    handlers = {t: h for t, h in HANDLERS.items() if t != get_topic(e.GrantApproved)}
    batch = ReadModels(service, "memory:").follower.source.after(0, 1000)
    with pytest.raises(ProjectionError, match="without a read-model handler.*sto projections rebuild"):
        project(batch, {}, decode_json, handlers)


def test_each_grant_row_agrees_with_the_aggregates_own_state(service):
    models = ReadModels(service, "memory:")
    rows = models.regions()["regions"]
    assert len(rows) == 18
    for row in rows:
        state = service.state(row["region_code"])
        money = row["money"]
        assert row["status"] == state.status.value
        assert row["version"] == state.version
        assert row["kind"] == state.kind.value
        assert row["region_name"] == state.region_name
        assert row["penvoerder"] == state.penvoerder.model_dump(mode="json")
        assert row["pre_registered_on"] == state.pre_registered_on.isoformat()
        assert row["application_period"] == (state.application.period if state.application else None)
        assert money["requested_cents"] == (state.application.requested_cents if state.application else 0)
        assert money["granted_per_year_cents"] == {str(y): a for y, a in sorted(state.granted_per_year.items())}
        assert money["granted_cents"] == state.granted_cents
        assert money["extension_cents"] == (state.extension.granted_cents or 0)
        assert money["granted_total_cents"] == state.granted_total_cents
        assert money["cofinancing_pledged_cents"] == state.cofinancing_pledged_cents
        assert money["determined_cents"] == (state.determination.determined_cents if state.determination else 0)
        assert row["end_reason"] == state.end_reason
        assert row["missed_deadlines"] == len(state.missed_deadlines)


def test_the_counts_per_status_add_up_to_every_region(service):
    view = ReadModels(service, "memory:").regions()
    assert sum(view["counts"].values()) == view["total"] == 18
    assert view["counts"]["determined"] == 2 and view["counts"]["lapsed"] == 1 and view["counts"]["withdrawn"] == 1


def test_a_rebuild_from_zero_gives_the_same_rows_as_catching_up_batch_by_batch(memory_service):
    incremental = ReadModels(memory_service, "memory:", batch_size=7)
    for first in (1, 5, 9):  # writes and catch-ups interleaved, batches cut through grants
        scripted_regions(memory_service, 4, first=first)
        incremental.refresh()
    exceptional_regions(memory_service)
    incremental.refresh()

    rebuilt = ReadModels(memory_service, "memory:")
    rebuilt.rebuild()
    grants, timeline = all_rows(incremental)
    assert (grants, timeline) == all_rows(rebuilt)
    assert len(timeline) == sum(row["version"] for row in grants)
    assert incremental.store.position() == rebuilt.store.position() == memory_service.recorder.max_notification_id()

    incremental.rebuild()  # and a rebuild of views that were already there
    assert all_rows(incremental) == (grants, timeline)


def test_a_read_catches_up_first(memory_service):
    models = ReadModels(memory_service, "memory:")
    scripted_regions(memory_service, 2)
    assert models.regions()["total"] == 2
    scripted_regions(memory_service, 1, first=3)
    assert models.regions()["total"] == 3
