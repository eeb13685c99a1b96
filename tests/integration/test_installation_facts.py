"""Since when an installation owes decision letters is a fact of its store, recorded once, not a date in the code.

- a new store: from before its first event: every besluit gets its letter;
- a store of before letters (fixture v2), first opened by today's code: from that opening, so that no besluit of
  before the upgrade is mailed, and every process after reads the same moment;
- a store that holds letters made by the first release that made them (fixture v3): from that release's moment,
  as it was (engine_releases.toml).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from adapters.event_store.store import open_service
from domain.installation import DECISION_LETTERS, INSTALLATION_ID, Installation

STORES = Path(__file__).parents[1] / "fixtures" / "stores"
UTC = dt.timezone.utc


def _copy(tmp_path: Path, name: str) -> str:
    store = tmp_path / name
    shutil.copy(STORES / name, store)  # never write into the fixture itself
    return f"sqlite:///{store}"


def _facts(url: str) -> list[Installation.CapabilitySwitchedOn]:
    service = open_service(url)
    try:
        return [e for e in service.events.get(INSTALLATION_ID) if isinstance(e, Installation.CapabilitySwitchedOn)]
    finally:
        service.close()


def _first_grant(url: str):
    service = open_service(url)
    try:
        scheme, code = next(iter(service.grant_keys()))
        return service.state(code, scheme=scheme)
    finally:
        service.close()


def test_a_store_of_before_letters_owes_them_from_its_first_opening_by_code_that_makes_them(tmp_path):
    url = _copy(tmp_path, "store-2026-12-v2.sqlite")
    before = dt.datetime.now(UTC)
    first = _first_grant(url)
    after = dt.datetime.now(UTC)
    assert before <= first.letters_owed_from <= after
    assert first.besluiten and first.besluiten_without_letter() == []  # its past besluiten had their letters by hand

    again = _first_grant(url)  # another process, later: the same moment, recorded once
    assert again.letters_owed_from == first.letters_owed_from
    facts = _facts(url)
    assert [(f.capability, f.since) for f in facts] == [(DECISION_LETTERS, first.letters_owed_from)]
    assert "voor het eerst geopend" in facts[0].how


def test_a_store_with_letters_of_the_first_release_keeps_the_moment_that_release_owed_them_from(tmp_path):
    url = _copy(tmp_path, "store-2026-12-v3.sqlite")
    state = _first_grant(url)
    assert state.letters_owed_from == dt.datetime(2026, 12, 4, tzinfo=UTC)  # engine_releases.toml, written by hand
    assert state.letters and not state.besluiten_without_letter()
    assert "eerste versie" in _facts(url)[0].how


def test_a_new_store_owes_a_letter_for_its_first_besluit(tmp_path):
    from tests.support.scenarios import scripted_regions  # real commands on a real store

    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    before = dt.datetime.now(UTC)
    service = open_service(url)
    try:
        scripted_regions(service, 1)  # a region granted and determined: several besluiten
    finally:
        service.close()
    fact = _facts(url)
    assert len(fact) == 1 and before <= fact[0].since and "nieuwe opslag" in fact[0].how
    state = _first_grant(url)
    assert state.besluiten and all(b.recorded_at >= fact[0].since for b in state.besluiten)
    assert [b.number for b in state.besluiten_without_letter()] == [b.number for b in state.besluiten]


@pytest.mark.postgres
def test_two_processes_opening_a_store_at_once_record_one_moment(postgres_url):
    import concurrent.futures

    def moment() -> dt.datetime:
        service = open_service(postgres_url)
        try:
            from adapters.event_store.installation_facts import letters_owed_from

            return letters_owed_from(service)
        finally:
            service.close()

    open_service(postgres_url).close()  # the tables, made once (the race here is over the fact, not the schema)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        moments = list(pool.map(lambda _: moment(), range(4)))
    assert len(set(moments)) == 1
    assert len(_facts(postgres_url)) == 1
