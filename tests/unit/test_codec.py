"""The lean codec (adapters/event_store/codec.py) stores exactly what eventsourcing's JSONTranscoder stores, and reads both.

Every kind of stored record is covered: each grant event of every life, budget pools, the outbox, published
amendments and snapshots; plus the values a transcoder has to get right (nested wrappers, str enums, int keys).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal

import pytest
from eventsourcing.persistence import JSONTranscoder, TranscodingNotRegisteredError

from tests.support.scenarios import exceptional_regions, scripted_regions
from tests.support.scripted import GrantScript
from adapters.event_store.codec import LeanJSONTranscoder, project
from domain.grant import Grant
from domain.notifications import Notification
from domain.regulation import default_regulation
from adapters.event_store.service import GrantService
from domain.timekeeping import UTC


class _SnapshotEveryTwo(GrantService):
    name = GrantService.name
    snapshotting_intervals = {Grant: 2}


def _transcoders() -> tuple[JSONTranscoder, LeanJSONTranscoder]:
    service = GrantService({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    stock = JSONTranscoder()
    service.register_transcodings(stock)
    lean = service.mapper.transcoder
    assert isinstance(lean, LeanJSONTranscoder)
    return stock, lean


def _every_kind_of_record() -> list[tuple[str, bytes]]:
    service = _SnapshotEveryTwo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    scripted_regions(service, 6, per_year={2020: 100_000_00, 2021: 100_000_00, 2022: 90_000_00, 2023: 90_000_00})
    exceptional_regions(service)
    full = default_regulation()
    service.publish_amendment(full.amendment_of("brief-2022-07-07"), "op.jansen", "letter")

    class Notifier:
        def send(self, message):
            return "ref-1"

    service.deliver_notification(
        Notification(
            key="k1", message_id="<k1@sto>", region_code="STO-R001", deadline_key="progress_report_1",
            due=dt.date(2021, 11, 1), offset_days=14, to="a@b.nl", subject="s", body="b",
        ),
        Notifier(),
    )
    records = [(n.topic, n.state) for n in service.recorder.select_notifications(1, 10_000)]
    grant_ids = {GrantScript(service, index=i).region.code for i in (1, 2)}
    for code in grant_ids:
        records += [(s.topic, s.state) for s in service.snapshots.recorder.select_events(service.state(code).grant_id)]
    return records


def test_the_lean_transcoder_writes_and_reads_the_stock_format_for_every_kind_of_record():
    stock, lean = _transcoders()
    records = _every_kind_of_record()
    topics = {topic for topic, _ in records}
    assert any("Snapshot" in t for t in topics) and any("OutboxMessage" in t for t in topics)
    assert any("BudgetPool" in t for t in topics) and any("Publications" in t for t in topics)
    for topic, state in records:
        decoded = stock.decode(state)
        assert lean.decode(state) == decoded, topic
        assert lean.decode(state, topic) == lean.decode(state, topic) == decoded, topic  # learns, then uses, a hint
        assert lean.encode(decoded) == stock.encode(decoded) == state, topic


class Colour(str, enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1, "b": [1, 2.5, None, True, "x"], "c": {"d": "é ✓ \u2028"}},
        {"when": dt.datetime(2019, 3, 1, 12, tzinfo=UTC), "on": dt.date(2019, 3, 1), "id": uuid.uuid4()},
        {"nested": {"deep": [{"id": uuid.uuid4(), "q": Decimal("12.50")}], "t": dt.datetime(2020, 1, 1, tzinfo=UTC)}},
        {"per_year": {2020: 5, 2021: 6}, "enum": Colour.RED, "level": Level.HIGH, "tuple": (1, uuid.UUID(int=5))},
        {"looks_like": {"_type_": "not a wrapper", "x": 1}, "value": "_type_", "text": '"_type_":"uuid_hex"'},
        [uuid.UUID(int=7), {"a": dt.date(2020, 1, 2)}],
        uuid.UUID(int=9),
        {},
        [],
    ],
)
def test_the_lean_transcoder_agrees_with_the_stock_one_on_awkward_values(value):
    stock, lean = _transcoders()
    data = stock.encode(value)
    assert lean.encode(value) == data
    assert lean.decode(data) == stock.decode(data)


def test_an_unregistered_type_is_refused_in_both_directions_as_the_stock_transcoder_refuses_it():
    _, lean = _transcoders()
    with pytest.raises(TranscodingNotRegisteredError):
        lean.encode({"x": object()})
    with pytest.raises(TranscodingNotRegisteredError):
        lean.decode(b'{"x":{"_type_":"nobody","_data_":1}}')


def test_records_built_without_validation_equal_the_validated_ones():
    from domain.events.records import _record
    from domain.state import CommandReceipt, DecisionRecord, HourlyRateRecord
    from domain.values import DecisionKind, GrantStatus

    cases = [
        (CommandReceipt, {"type": "AcceptApplication", "version": 3, "status": GrantStatus.UNDER_ASSESSMENT, "events": ["A"]}),
        (HourlyRateRecord, {"recorded_on": dt.date(2022, 9, 2), "rate_cents": 6200, "motivation": "cao"}),
        (HourlyRateRecord, {"recorded_on": dt.date(2022, 9, 2), "rate_cents": 5500}),
        (DecisionRecord, {"kind": DecisionKind.APPROVAL, "period": 1, "decided_on": dt.date(2019, 6, 20),
                          "sent_on": dt.date(2019, 6, 20)}),
    ]
    for cls, values in cases:
        validated, built = cls(**values), _record(cls, **values)
        assert built == validated and type(built) is cls
        assert built.model_dump() == validated.model_dump()
        assert built.model_dump_json() == validated.model_dump_json()
        assert built.model_fields_set == validated.model_fields_set
        assert cls.model_validate(built.model_dump()) == built
    receipt = _record(CommandReceipt, type="X", version=1, status=GrantStatus.APPROVED, events=["A"])
    receipt.version = 2  # records stay mutable the way events evolve them
    receipt.events.append("B")
    assert receipt == CommandReceipt(type="X", version=2, status=GrantStatus.APPROVED, events=["A", "B"])


def test_frozen_documents_are_validated_once_and_shared():
    from domain.events.records import _documents
    from domain.models import ApplicationDocuments

    service = GrantService({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    data = GrantScript(service, index=7).documents().model_dump(mode="json")
    first, second = _documents(data), _documents(dict(data))
    assert first is second and first == ApplicationDocuments.model_validate(data)
    with pytest.raises(Exception):
        first.regiovisie = "changed"  # frozen: sharing is safe


def test_every_replayed_state_is_exactly_what_validating_it_again_gives():
    """Records are built without validation when a grant is replayed: every field must still have its type."""
    from domain.state import GrantState

    service = GrantService({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    grants = scripted_regions(service, 6) + exceptional_regions(service)
    for grant in grants:
        state = service.state(grant.code)
        validated = GrantState.model_validate(state.model_dump())
        assert validated == state, grant.code
        assert validated.model_dump_json() == state.model_dump_json()
        for field, value in state:
            assert type(getattr(validated, field)) is type(value), (grant.code, field)
        for record in [*state.applications, *state.decisions, *state.progress_reports, *state.hourly_rates,
                       *state.commands.values(), state.advice, state.objection, state.final_report, state.repair]:
            if record is not None:
                again = type(record).model_validate(record.model_dump())
                assert again == record and [type(v) for _, v in again] == [type(v) for _, v in record], record


def test_short_grants_are_replayed_without_a_snapshot_lookup_and_long_ones_from_their_snapshot():
    service = _SnapshotEveryTwo({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    grant = GrantScript(service, index=9)
    grant.to_approved()  # the approval through its stages: a draft, the interne controle, the signature with it
    code = grant.code
    grant_id = service.state(code).grant_id
    last = service.state(code).version
    assert last >= 8 and "BesluitSigned" in [type(e).__name__ for e in service.history(code)]
    # a snapshot at every second event, those written together by one command (the signature and its besluit) too
    assert [s.originator_version for s in service.snapshots.get(grant_id)] == list(range(2, last + 1, 2))
    assert service.repository.snapshot_probe == 2
    looked_up = []
    original = service.snapshots.get
    service.snapshots.get = lambda *a, **k: looked_up.append(a) or original(*a, **k)
    full_replay = project(None, service.events.get(grant_id))
    assert service.state(code) == service.state(code, last) == full_replay.state
    assert looked_up, "the grant's events reach the probe of two: the snapshot is used"
    looked_up.clear()
    assert service.state(code, 1).version == 1 and not looked_up  # one event: below the probe, replayed


def test_a_grant_replayed_by_the_events_own_mutate_equals_the_librarys_replay():
    """GrantEvent.mutate and VooraanmeldingReceived.mutate do what the library's Event.mutate and
    Created.mutate do (checks, base fields, version, modification time), only faster: same aggregate."""
    from eventsourcing.domain import Aggregate, OriginatorVersionError

    service = GrantService({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    grants = scripted_regions(service, 6) + exceptional_regions(service)
    for grant in grants:
        events = list(service.events.get(service.state(grant.code).grant_id))
        ours = project(None, events)
        theirs = None
        for event in events:
            library = Aggregate.Created.mutate if event.originator_version == 1 else Aggregate.Event.mutate
            theirs = library(event, theirs)
        assert {k: v for k, v in vars(ours).items() if k != "state"} == {k: v for k, v in vars(theirs).items() if k != "state"}
        assert ours.state == theirs.state and ours.version == theirs.version == len(events), grant.code
        if len(events) >= 3:
            with pytest.raises(OriginatorVersionError):  # an event out of its sequence is refused, as by the library
                events[-1].mutate(project(None, events[:-2]))
