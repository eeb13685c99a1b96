"""The store records from when its engine took besluiten through stages under mandate, and held grants' money in a
ledger: facts of the installation an auditor reads the record by, recorded once by the first worker of this code."""

from __future__ import annotations

from adapters.event_store.store import open_service
from domain.installation import DECISION_LETTERS, MONEY_LEDGER, STAGES, INSTALLATION_ID


def test_a_new_store_has_stages_and_the_money_ledger_from_its_first_event_and_the_moments_never_move():
    svc = open_service("memory:")
    svc.installation.switch_on_letters()
    first = {cap: svc.installation.since(cap) for cap in (DECISION_LETTERS, STAGES, MONEY_LEDGER)}
    assert all(first.values())
    log = svc.repository.get(INSTALLATION_ID)
    hows = {e.capability: e.how for e in svc.events.get(log.id) if hasattr(e, "capability")}
    assert hows[STAGES].startswith("a new store")
    svc.installation.switch_on_letters()  # a second worker start changes nothing
    assert {cap: svc.installation.since(cap) for cap in first} == first
    assert len([e for e in svc.events.get(log.id) if hasattr(e, "capability")]) == 3
