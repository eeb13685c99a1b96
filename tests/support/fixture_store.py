"""Write a store with today's code for tests/fixtures/stores/ (run once per change of an event's schema).

    .venv/bin/python -m tests.support.fixture_store tests/fixtures/stores/store-2026-12-v2.sqlite

Beside the store, `.states.json` holds every grant's state as this code sees it, keyed `SCHEME/REGION`. Since
store-2026-12-v3 every besluit has its decision letter (DecisionLetterIssued, the PDFs in the table letter_pdfs).
Never rewrite a store that is in git: add the next one.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

from adapters.event_store.store import open_service
from adapters.event_store.service import GrantService
from adapters.letters.issue import issue_letters
from domain import commands as c
from domain.values import ObjectionOutcome, RegionKind
from tests.support.scenarios import exceptional_regions, scripted_regions
from tests.support.scripted import at
from tests.support.scripted_2025 import PER_YEAR_2025, Script2025


def lives_2025(service: GrantService) -> None:
    """Grants of 2025–2028 beside those of 2020–2024: both plans, a plan missed and then late, a techniekluwe
    regio, a rejection under objection."""
    full = Script2025(service, index=1, per_year=dict(PER_YEAR_2025))
    full.to_approved_2025()
    full.detailed_plan("2025-2026", at(2025, 4, 10), 1_500_000_00)
    full.consequence("detailed_plan_2027_2028", at(2026, 10, 2))
    full.detailed_plan("2027-2028", at(2026, 10, 20), 1_400_000_00)
    on_time = Script2025(service, index=2, per_year=dict(PER_YEAR_2025))
    on_time.to_approved_2025()
    on_time.detailed_plan("2025-2026", at(2025, 4, 14), 1_700_000_00)
    luwe = Script2025(service, index=3, kind=RegionKind.TECHNIEKLUWE_REGIO,
                      per_year={2025: 80_000_00, 2026: 80_000_00, 2027: 80_000_00, 2028: 80_000_00})
    luwe.pre_register()
    luwe.apply(1, at(2024, 9, 20))
    rejected = Script2025(service, index=4, per_year=dict(PER_YEAR_2025))
    rejected.pre_register()
    rejected.apply(1, at(2024, 9, 16))
    rejected.accept(at(2024, 10, 10))
    rejected.advise(at(2024, 12, 5), positive=False)
    rejected.reject(at(2025, 1, 20))
    rejected.send(c.FileObjection, at(2025, 2, 10), grounds="de regiovisie is wel uitgewerkt")
    rejected.send(c.DecideObjection, at(2025, 3, 20), outcome=ObjectionOutcome.DISMISSED)


def _single_file(path: Path) -> None:
    """Everything in the .sqlite file itself: no -wal or -shm beside it to commit (or to forget)."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        connection.close()


def write(path: Path) -> None:
    if path.exists():
        raise SystemExit(f"{path} exists: a fixture store is never rewritten; name the next version")
    service = open_service(f"sqlite:///{path}")
    try:
        service.installation.switch_on_letters()  # a new store, letters owed from its first event
        scripted_regions(service, 12)
        exceptional_regions(service)
        lives_2025(service)
        for scheme, code in list(service.grant_keys()):  # every besluit's letter, as the grants' workflows make them
            issue_letters(service, None, code, scheme)
        states = {f"{scheme}/{code}": service.state(code, scheme=scheme).model_dump(mode="json")
                  for scheme, code in service.grant_keys()}
    finally:
        service.close()
    _single_file(path)
    path.with_suffix(".states.json").write_text(json.dumps(states, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{path}: {len(states)} grants")


if __name__ == "__main__":
    write(Path(sys.argv[1]))
