"""Stored events are forever: a store written by older code loads with today's code, field by field.

`tests/fixtures/stores/store-2026-12-v1.sqlite` was written by the code of commit dba35d8 (2026-12-02): the
historic replay of 16 regions, one region for each less common turn (objection, withdrawal, lapse, repair,
hourly rate, missed report), a grant of 125 events (so with a snapshot) and an application set aside. Beside
it, `.states.json` holds every grant's state as that code saw it. Add a store here with every change of an
event's or snapshot's schema, never edit one (`python -m tests.support.fixture_store PATH` writes the next).
`store-2026-12-v2` (2026-12-03) is the first with schemes: grants of 2020–2024 and of 2025–2028 side by side,
VooraanmeldingReceived version 3 naming the scheme, and DetailedPlanSubmitted.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from adapters.event_store.store import open_service

STORES = Path(__file__).parents[1] / "fixtures" / "stores"
FIXTURES = sorted(STORES.glob("*.sqlite"))


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
    try:
        # stores of before schemes key their grants by region code; later ones by SCHEME/REGION
        keyed_by_scheme = all("/" in key for key in expected)
        grants = sorted(f"{scheme}/{code}" for scheme, code in service.grant_keys()) if keyed_by_scheme \
            else sorted(service.region_codes())
        assert grants == sorted(expected), "the same grants"
        for key in grants:
            scheme, _, code = key.rpartition("/")
            now = service.state(code, scheme=scheme or None).model_dump(mode="json")
            # fields added since the store was written may appear; every field it had must be as it was
            assert _differences(expected[key], now) == [], key
    finally:
        service.close()


def test_the_fixture_stores_hold_every_kind_of_grant_event_and_a_snapshot():
    import sqlite3

    from domain import events

    kinds = {name for name, obj in vars(events).items() if isinstance(obj, type) and issubclass(obj, events.GrantEvent)
             and obj is not events.GrantEvent and obj is not events.DeadlineConsequence}
    seen: set[str] = set()
    snapshots = 0
    for fixture in FIXTURES:
        with sqlite3.connect(f"file:{fixture}?mode=ro", uri=True) as db:
            seen |= {topic.split(":")[1] for (topic,) in db.execute("SELECT DISTINCT topic FROM stored_events")}
            snapshots += db.execute("SELECT count(*) FROM stored_snapshots").fetchone()[0]
    # event classes of this code that no fixture holds yet: they were added after the newest fixture was written
    missing = kinds - seen
    assert missing <= {"ExtensionForfeited", "DecisionTermExceeded", "SpendingPeriodEnded"}, missing
    assert snapshots >= 1
