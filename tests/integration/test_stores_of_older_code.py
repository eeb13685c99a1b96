"""Stored events are forever: a store written by older code loads with today's code, field by field.

`tests/fixtures/stores/store-2026-12-v1.sqlite` was written by the code of commit dba35d8 (2026-12-02): the
historic replay of 16 regions, one region for each less common turn (objection, withdrawal, lapse, repair,
hourly rate, missed report), a grant of 125 events (so with a snapshot) and an application set aside. Beside
it, `.states.json` holds every grant's state as that code saw it. Add a store here with every change of an
event's or snapshot's schema, never edit one (`python -m tests.support.fixture_store PATH` writes the next).
`store-2026-12-v2` (2026-12-03) is the first with schemes: grants of 2020–2024 and of 2025–2028 side by side,
VooraanmeldingReceived version 3 naming the scheme, and DetailedPlanSubmitted. `store-2026-12-v3` (2026-12-04)
is the first with decision letters: state.besluiten and state.letters, DecisionLetterIssued for every besluit,
and the PDFs in the table letter_pdfs of the same file.

Every field a store's grants had must load as it was. Fields added to GrantState since a store was written
are declared below (ADDED_SINCE), each with why its value on replay is right: a field with a default may
legitimately be filled by today's code from the old events (state.besluiten: the besluiten those events took),
so the test checks those values against the events instead of ignoring them. A field added and not declared
fails the test: declare it, with its reason, or write a new fixture store.
"""

from __future__ import annotations

import datetime as dt

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from adapters.event_store.store import open_service
from adapters.letters.blobs import LetterBlobs

STORES = Path(__file__).parents[1] / "fixtures" / "stores"
FIXTURES = sorted(STORES.glob("*.sqlite"))


# Fields (paths into GrantState.model_dump) that today's code has and the store's states had not.
_SINCE_V1 = {
    ".scheme": "schemes (2026-12-03): a grant of before is the legacy scheme's (None)",
    ".detailed_plans": "STO 2025–2028 (2026-12-03): none in a 2020–2024 grant",
    ".decisions[].late_days": "beslistermijn (2026-12-03): a decision's days late, from its event",
    ".commands.*.fingerprint": "command fingerprints: recorded with each command's id",
}
_SINCE_V2 = {
    ".besluiten": "decision letters (2026-12-04): the besluiten the stored events took, numbered on replay",
    ".letters": "decision letters (2026-12-04): none, no letter was issued by older code",
}
_SINCE_V3 = {
    ".besluiten[].recorded_at": "letters owed (2026-12-04): when each besluit's event was stored, its timestamp",
}
# who may decide (2026-12-07, issue 23): no besluit of an older store waits in its stages, nobody holds its work
_STAGES = {
    ".case": "who may decide (2026-12-07): no besluit of older code waits in its stages (None)",
    ".claim": "who may decide (2026-12-07): nobody holds the open work of a grant of older code (None)",
}
# ...and each besluit of before was taken by the actor of its event, alone, under no recorded mandate: its letter
# keeps the template's closing (domain/letters.py)
_STAGES_OF_BESLUITEN = {
    ".besluiten[].taken_by": "who may decide (2026-12-07): the actor of the besluit's event",
    ".besluiten[].signature": "who may decide (2026-12-07): None, no mandate was recorded before",
    ".besluiten[].stages": "who may decide (2026-12-07): none, taken before stages",
}
# the money (2026-12-07, issue 24): no besluit of older code set an advance schedule, no melding was recorded, and an
# intrekking of older code did not keep the state it ended (an upheld objection against it is then refused, saying so)
_MONEY = {
    ".advance_schedule": "the money (2026-12-07): none; a verlening of older code kept its money outside the engine",
    ".meldingen": "the melding (2026-12-07): none recorded by older code",
    ".withdrawn_from": "objections to the end (2026-12-07): the state an intrekking ended, from GrantWithdrawn.status_before",
}
ADDED_SINCE = {
    "store-2026-12-v1": {**_SINCE_V1, **_SINCE_V2, **_STAGES, **_MONEY},
    "store-2026-12-v2": {**_SINCE_V2, **_STAGES, **_MONEY},
    "store-2026-12-v3": {**_SINCE_V3, **_STAGES, **_STAGES_OF_BESLUITEN, **_MONEY},
}


def _added(expected: object, actual: object, path: str = "") -> set[str]:
    """Paths that `actual` has and `expected` had not (a command id shown as *)."""
    found: set[str] = set()
    if isinstance(expected, dict) and isinstance(actual, dict):
        shown = ".*" if path.endswith(".commands") else None
        found |= {f"{path}{shown or '.' + str(key)}" for key in actual.keys() - expected.keys()}
        for key in expected.keys() & actual.keys():
            found |= _added(expected[key], actual[key], f"{path}{shown or '.' + str(key)}")
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for e, a in zip(expected, actual):
            found |= _added(e, a, f"{path}[]")
    return found


def _differences(expected: object, actual: object, path: str = "") -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = [f"{path}.{key}: missing now" for key in expected.keys() - actual.keys()]
        for key in expected.keys() & actual.keys():
            found += _differences(expected[key], actual[key], f"{path}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [d for i, (e, a) in enumerate(zip(expected, actual)) for d in _differences(e, a, f"{path}[{i}]")]
    return [] if expected == actual else [f"{path}: was {expected!r}, now {actual!r}"]


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_every_grant_of_a_store_written_by_older_code_loads_with_the_state_it_had(fixture: Path, tmp_path: Path):
    store = tmp_path / fixture.name
    shutil.copy(fixture, store)  # never write into the fixture itself
    expected = json.loads(fixture.with_suffix(".states.json").read_text())
    service = open_service(f"sqlite:///{store}")
    blobs = LetterBlobs(f"sqlite:///{store}")
    try:
        # stores of before schemes key their grants by region code; later ones by SCHEME/REGION
        keyed_by_scheme = all("/" in key for key in expected)
        grants = sorted(f"{scheme}/{code}" for scheme, code in service.grant_keys()) if keyed_by_scheme \
            else sorted(service.region_codes())
        assert grants == sorted(expected), "the same grants"
        added: set[str] = set()
        besluiten = 0
        for key in grants:
            scheme, _, code = key.rpartition("/")
            state = service.state(code, scheme=scheme or None)
            now = state.model_dump(mode="json")
            # every field the store's grants had is as it was...
            assert _differences(expected[key], now) == [], key
            added |= _added(expected[key], now)
            # ...and what today's code fills in from the same events is what those events say
            if ".letters" in ADDED_SINCE[fixture.stem]:
                assert state.letters == [], key  # older code issued no letter
            else:  # a store with letters: each besluit's, its PDF beside the events with the hash its event recorded
                assert not state.besluiten_without_letter(service.installation.switch_on_letters()), key
                assert all(hashlib.sha256(blobs.get(r.sha256)).hexdigest() == r.sha256 for r in state.letters), key
            events = {e.originator_version: e for e in service.history(code, scheme=scheme or None)}
            assert [b.number for b in state.besluiten] == list(range(1, len(state.besluiten) + 1)), key
            assert [b.version for b in state.besluiten] == sorted(b.version for b in state.besluiten), key
            assert all(type(events[b.version]).__name__ == b.event for b in state.besluiten), key
            assert all(b.recorded_at == events[b.version].timestamp for b in state.besluiten), key
            assert state.case is None and state.claim is None, key
            assert all(b.taken_by == events[b.version].actor for b in state.besluiten), key
            assert all(b.signature is None and b.stages == [] for b in state.besluiten), key
            besluiten += len(state.besluiten)
        assert added == set(ADDED_SINCE[fixture.stem]), (
            f"fields added since {fixture.stem} was written, not declared in ADDED_SINCE: {sorted(added - set(ADDED_SINCE[fixture.stem]))}; "
            f"declared but not added: {sorted(set(ADDED_SINCE[fixture.stem]) - added)}")
        assert besluiten > 0  # the replay did number the besluiten of the old events
    finally:
        blobs.close()
        service.close()


def test_a_grant_loaded_from_a_snapshot_of_before_besluiten_has_the_besluiten_of_a_full_replay(tmp_path: Path):
    """That snapshot holds no besluiten, and the numbers of the besluiten name their letters: it is passed over
    and the grant replayed from its first event (domain/state.py REPLAYED_NOT_UPCAST), also as of a version."""
    fixture = STORES / "store-2026-12-v1.sqlite"
    store = tmp_path / fixture.name
    shutil.copy(fixture, store)
    service = open_service(f"sqlite:///{store}")
    try:
        code = "STO-R120"  # the grant of 125 events, with a snapshot at version 100
        replayed = None
        for event in service.history(code):
            replayed = event.mutate(replayed)
        assert [b.kind for b in replayed.state.besluiten] == ["approval"]  # its verlening, at version 5
        assert service.state(code).besluiten == replayed.state.besluiten
        assert service.state(code) == replayed.state
        grant_id = replayed.id
        assert service.repository.get(grant_id, version=110).state.besluiten == replayed.state.besluiten
        # the snapshot is still there, and a snapshot of today's code is used as before
        assert [s.originator_version for s in service.snapshots.get(grant_id)] == [100]
        service.take_snapshot(grant_id, version=120)
        old, new = service.snapshots.get(grant_id)
        assert not service.repository.snapshot_usable(old) and service.repository.snapshot_usable(new)
        assert service.repository.get(grant_id).state == replayed.state
    finally:
        service.close()


def test_the_fixture_stores_hold_every_kind_of_grant_event_and_a_snapshot():
    import sqlite3

    from domain import events

    kinds = {name for name, obj in vars(events).items() if isinstance(obj, type) and issubclass(obj, events.GrantEvent)
             and obj not in (events.GrantEvent, events.DeadlineConsequence, events.CaseEvent)}  # bases, never stored
    seen: set[str] = set()
    snapshots = 0
    for fixture in FIXTURES:
        with sqlite3.connect(f"file:{fixture}?mode=ro", uri=True) as db:
            seen |= {topic.split(":")[1] for (topic,) in db.execute("SELECT DISTINCT topic FROM stored_events")}
            snapshots += db.execute("SELECT count(*) FROM stored_snapshots").fetchone()[0]
    # event classes of this code that no fixture holds yet: they were added after the newest fixture was written
    missing = kinds - seen
    stages = {"BesluitDrafted", "StagePassed", "BesluitSentBack", "BesluitSigned", "CaseClaimed", "CaseReleased"}
    money = {"AdvancesScheduled", "MeldingReceived", "GrantLowered"}
    assert missing <= {"ExtensionForfeited", "DecisionTermExceeded", "SpendingPeriodEnded", *stages, *money}, missing
    assert snapshots >= 1


def test_a_grant_of_a_store_of_before_letters_is_owed_no_letter_for_its_past_besluiten(tmp_path: Path):
    """Its besluiten were sent outside the engine when they were taken: upgrading must not mail a penvoerder a
    verlening of 2019 (or of January 2025) when the grant records its next step. A besluit recorded from now on
    is owed its letter as before."""
    from adapters.letters.issue import issue_letters

    fixture = STORES / "store-2026-12-v2.sqlite"
    store = tmp_path / fixture.name
    shutil.copy(fixture, store)
    service = open_service(f"sqlite:///{store}")
    opened = dt.datetime.now(dt.timezone.utc)
    since = service.installation.switch_on_letters()  # the first worker of today's code starts on the old store

    class Outbox:
        def __init__(self) -> None:
            self.sent: list = []

        def send(self, notification):
            self.sent.append(notification)
            return "ref"

    try:
        with_besluiten = [(s, code) for s, code in service.grant_keys() if service.state(code, scheme=s).besluiten]
        assert with_besluiten
        for scheme, code in with_besluiten:
            state = service.state(code, scheme=scheme)
            assert since >= opened  # from the moment that worker started
            assert all(b.recorded_at < since for b in state.besluiten), code
            assert state.besluiten_without_letter(since) == [], code
        scheme, code = with_besluiten[0]
        outbox = Outbox()
        after = issue_letters(service, outbox, code, scheme)
        assert after.letters == [] and outbox.sent == []
    finally:
        service.close()
