"""The grant workflow's activities name a grant `REGION` (legacy scheme) or `SCHEME/REGION`: a region with a
grant in a later scheme too must never get that grant's state handed to its legacy workflow."""

from __future__ import annotations

from adapters.engine.activities import GrantActivities
from tests.support.scripted import GrantScript
from tests.support.scripted_2025 import NEW, PER_YEAR_2025, Script2025


class _NoMail:
    def send(self, notification):  # pragma: no cover - load_state sends nothing
        raise AssertionError("load_state sends nothing")


def test_load_state_of_a_bare_region_is_its_legacy_grant_even_when_it_has_a_grant_in_the_scheme_in_force(memory_service):
    legacy = GrantScript(memory_service, index=7)
    legacy.to_approved()
    Script2025(memory_service, index=7, per_year=dict(PER_YEAR_2025)).to_approved_2025()
    activities = GrantActivities(memory_service, _NoMail())

    bare = activities.load_state(legacy.code)
    scoped = activities.load_state(f"{NEW}/{legacy.code}")

    assert bare is not None and scoped is not None
    assert bare.scheme in (None, "sto-2020-2024") and bare.grant_id == memory_service.state(legacy.code, scheme="sto-2020-2024").grant_id
    assert scoped.scheme == NEW and scoped.grant_id != bare.grant_id
    assert activities.load_state("STO-R999") is None  # no grant: None, as the workflow expects
