"""The Temporal frontend takes updates from anyone who can reach it; the worker of `sto worker` executes only
commands signed with the engine's key (workflows/credentials.py), so tokens and roles cannot be bypassed by
talking to Temporal directly. A real `sto worker` process on the dev server, a real SQLite store."""

from __future__ import annotations

import pytest

from adapters.engine.grants_client import GrantsClient
from tests.support.scripted import at
from adapters.event_store.store import open_service
from adapters.engine.temporal import TemporalSettings, connect
from tests.integration.test_durability import SIGNED, business, start_worker_process, stop
from tests.integration.test_faults import approved, rate_change, start_grant_workflows
from workflows.credentials import CommandCredentials, Unauthenticated

pytestmark = [pytest.mark.temporal, pytest.mark.slow]


async def test_an_unsigned_or_forged_command_sent_straight_to_temporal_is_refused_and_writes_nothing(dev_server, tmp_path):
    url = f"sqlite:///{tmp_path / 'sto.sqlite'}"
    service = open_service(url)
    code = approved(service, 480)
    client = await connect(TemporalSettings(address=dev_server.address))
    worker = start_worker_process(tmp_path, dev_server.address, url, "keyed")
    try:
        offset = business(at(2022, 9, 1, 10))
        signed = await start_grant_workflows(client, service, [code], offset)
        before = len(service.history(code))
        for name, credentials in (("unsigned", CommandCredentials(None)), ("forged", CommandCredentials(b"guessed key"))):
            intruder = GrantsClient(client, clock_offset_seconds=offset, credentials=credentials)
            with pytest.raises(Unauthenticated) as refused:
                await intruder.transition(rate_change(code, 6100))
            assert "not signed" in refused.value.message, name
            assert len(service.history(code)) == before, f"{name}: nothing written"
        result = await signed.transition(rate_change(code, 6200))  # the API's and CLI's way: signed
        assert result.version == before + 1 and signed.credentials is SIGNED
    finally:
        stop(worker)
