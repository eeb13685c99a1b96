"""Since when an installation owes decision letters is a fact of its store, recorded once by the first worker of code
that makes letters, not a date in the code; every other process only reads it.

- a new store: from before its first event: every besluit gets its letter;
- a store of before letters (fixture v2): from when the first such worker started on it, so that no besluit of
  before the upgrade is mailed, and every process after reads the same moment;
- a store that holds letters made by the first release that made them (fixture v3): from that release's moment,
  as it was (engine_releases.toml);
- a store no such worker has started on owes no letter yet, and reading it writes nothing.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from adapters.event_store.store import open_service
from domain.installation import DECISION_LETTERS, INSTALLATION_ID, MONEY_LEDGER, STAGES, Installation
from tests.support.scenarios import scripted_regions

STORES = Path(__file__).parents[1] / "fixtures" / "stores"
UTC = dt.timezone.utc


def _copy(tmp_path: Path, name: str) -> str:
    store = tmp_path / name
    shutil.copy(STORES / name, store)  # never write into the fixture itself
    return f"sqlite:///{store}"


# What the first worker of this code switches on in a store: decision letters, besluiten through their stages under
# a mandate (domain/installation.py STAGES), the money ledger; each recorded once
CAPABILITIES = [DECISION_LETTERS, STAGES, MONEY_LEDGER]


def _facts(url: str, capability: str | None = DECISION_LETTERS) -> list[Installation.CapabilitySwitchedOn]:
    """The facts the store recorded, of one capability (all: None)."""
    service = open_service(url)
    try:
        return [e for e in service.events.get(INSTALLATION_ID) if isinstance(e, Installation.CapabilitySwitchedOn)
                and capability in (None, e.capability)]
    finally:
        service.close()


def _worker_starts(url: str) -> dt.datetime:
    """What build_worker does first on a store: switch letters on (or read the moment a worker recorded)."""
    service = open_service(url)
    try:
        return service.installation.switch_on_letters()
    finally:
        service.close()


def _first_grant(url: str):
    service = open_service(url)
    try:
        scheme, code = next(iter(service.grant_keys()))
        return service.state(code, scheme=scheme), service.installation.letters_owed_from
    finally:
        service.close()


def test_a_store_of_before_letters_owes_them_from_when_the_first_worker_that_makes_them_started(tmp_path):
    url = _copy(tmp_path, "store-2026-12-v2.sqlite")
    state, since = _first_grant(url)  # a reader (the CLI, the API) before any such worker: nothing owed, nothing written
    assert since is None and state.besluiten and state.besluiten_without_letter(since) == []
    assert _facts(url) == []

    before = dt.datetime.now(UTC)
    started = _worker_starts(url)
    assert before <= started <= dt.datetime.now(UTC)
    assert _worker_starts(url) == started  # another worker, later: the same moment, recorded once

    state, since = _first_grant(url)  # every process after reads it
    assert since == started and state.besluiten_without_letter(since) == []  # its past besluiten had theirs by hand
    facts = _facts(url)
    assert [(f.capability, f.since) for f in facts] == [(DECISION_LETTERS, started)]
    assert "first started on" in facts[0].how
    assert sorted(f.capability for f in _facts(url, None)) == sorted(CAPABILITIES)  # each once
    (stages,) = _facts(url, STAGES)  # its besluiten of before were taken without stages: from this worker on
    assert before <= stages.since <= dt.datetime.now(UTC) and "first started on" in stages.how


def test_a_store_with_letters_of_the_first_release_keeps_the_moment_that_release_owed_them_from(tmp_path):
    url = _copy(tmp_path, "store-2026-12-v3.sqlite")
    assert _worker_starts(url) == dt.datetime(2026, 12, 4, tzinfo=UTC)  # engine_releases.toml, written by hand
    state, since = _first_grant(url)
    assert state.letters and not state.besluiten_without_letter(since)
    assert "first release" in _facts(url)[0].how


def test_a_new_store_owes_a_letter_for_every_besluit(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    started = _worker_starts(url)
    service = open_service(url)
    try:
        scripted_regions(service, 1)  # real commands: a region granted, with its besluiten
    finally:
        service.close()
    fact = _facts(url)
    assert len(fact) == 1 and fact[0].since == started and "new store" in fact[0].how
    state, since = _first_grant(url)
    assert state.besluiten and all(b.recorded_at >= since for b in state.besluiten)
    assert [b.number for b in state.besluiten_without_letter(since)] == [b.number for b in state.besluiten]
    (stages,) = _facts(url, STAGES)  # every besluit of a new store goes through its stages, from its first event
    assert "new store" in stages.how and all(b.recorded_at >= stages.since and b.signature for b in state.besluiten)


@pytest.mark.postgres
def test_four_workers_starting_at_once_on_a_store_record_one_moment(postgres_url):
    import concurrent.futures

    open_service(postgres_url).close()  # the tables, made once (the race here is over the fact, not the schema)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        moments = list(pool.map(lambda _: _worker_starts(postgres_url), range(4)))
    assert len(set(moments)) == 1
    assert len(_facts(postgres_url)) == 1
    assert sorted(f.capability for f in _facts(postgres_url, None)) == sorted(CAPABILITIES)  # each recorded once
