"""A grant of the scheme in force now (STO 2025–2028) through its own workflow on the time-skipping server:
pre-registered in May 2024, decided in January 2025, its first detailed plan in time, its second missed and
recorded as overdue by the workflow's own timer, beside the region's grant of 2020–2024.

Its history is a replay fixture (tests/fixtures/histories/grant_lifecycle_sto-2025-2028.json): record it
again with `STO_RECORD_HISTORIES=1 pytest -k scheme_in_force`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from domain import commands as c
from domain.events import DeadlineMissed
from domain.models import Partner
from domain.timekeeping import AMSTERDAM
from domain.values import GrantStatus, PartnerKind
from adapters.replay.synthetic import extension_plan
from tests.integration.conftest import start_engine
from tests.integration.test_workflow_longevity import replayer
from tests.integration.workflow_steps import advice, at, command, decide
from tests.support.scripted import years
from tests.support.scripted_2025 import NEW, PER_YEAR_2025, Script2025
from workflows import grant_workflow_id

pytestmark = pytest.mark.temporal
FIXTURES = Path(__file__).parent.parent / "fixtures" / "histories"


def send(script: Script2025, cls: type[c.Command], **fields) -> c.Command:
    return command(script, cls, scheme=NEW, **fields)


async def test_a_grant_of_the_scheme_in_force_runs_its_own_workflow_and_deadlines(ts_env, smtp, sqlite_url):
    engine, worker = await start_engine(ts_env, sqlite_url, smtp.port, dt.datetime(2024, 5, 1, 9, tzinfo=AMSTERDAM))
    async with worker:
        script = Script2025(engine.service, index=71, per_year=dict(PER_YEAR_2025))
        fields = script.region.vooraanmelding_fields()
        fields["partners"] = [*fields["partners"], Partner(name="Stichting PO Noord", kind=PartnerKind.PO_SCHOOL_BOARD)]
        started = await engine.client.pre_register(
            c.SubmitVooraanmelding(actor=script.actor, reason="vooraanmelding ontvangen", scheme=NEW, **fields))
        assert started.status is GrantStatus.PRE_REGISTERED and started.scheme == NEW
        await engine.advance_to(at(2024, 9, 16))
        await engine.client.transition(send(script, c.SubmitApplication, period=1, documents=script.documents()))
        await engine.client.transition(send(script, c.AcceptApplication))
        await engine.advance_to(at(2024, 12, 5))
        await engine.client.transition(advice(script).model_copy(update={"scheme": NEW}))
        await engine.advance_to(at(2025, 1, 20))
        approved = await decide(engine, send(script, c.ApproveGrant, granted_per_year=years(PER_YEAR_2025)))
        assert approved.status is GrantStatus.APPROVED
        (verlening,) = engine.service.state(script.code, scheme=NEW).besluiten
        assert [s.stage for s in verlening.stages] == ["eerste_beoordeling", "interne_controle", "ondertekening"]
        assert verlening.signature["register_version"] == 2  # signed in 2025: the register's wording of 2025
        assert verlening.signature["on_behalf_of"] == "de minister van Onderwijs, Cultuur en Wetenschap"
        await engine.advance_to(at(2025, 4, 10))
        plan = extension_plan(script.region, 1_500_000_00, year=2025)
        await engine.client.transition(send(script, c.SubmitDetailedPlan, plan_key="2025-2026", plan=plan))
        await engine.advance_to(at(2026, 10, 3))  # the second plan's term (1 October 2026) passes
        state = engine.service.state(script.code, scheme=NEW)
        assert "detailed_plan_2027_2028" in state.missed_deadlines
        assert [e for e in engine.service.history(script.code, scheme=NEW) if isinstance(e, DeadlineMissed)]
        view = await engine.client.status(script.code, NEW)
        assert view.status is GrantStatus.APPROVED
        assert "spending_end" in [d.key for d in view.next_deadlines], "the grant keeps its deadlines ahead"
        reminded = [key for key in smtp.mailbox.keys() if "detailed_plan_2027_2028" in key]
        assert reminded, "the region was reminded before its plan was due"
        handle = engine.client.handle(script.code, NEW)
        assert handle.id == grant_workflow_id(script.code, NEW) == f"grant-{NEW}-{script.code}"
        history = await handle.fetch_history()
        await replayer().replay_workflow(history)  # raises on non-determinism
        if os.environ.get("STO_RECORD_HISTORIES"):
            (FIXTURES / f"grant_lifecycle_{NEW}.json").write_text(history.to_json())
