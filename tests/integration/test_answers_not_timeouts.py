"""Racing operators get answers, not time-outs; a time-out says the outcome is unknown and heals itself.

On the real dev server with a real worker and a SQLite store, through the command sender that the CLI and
the HTTP API share (adapters/engine/sender.py):
- fifty operators at once on one grant, all saying which version they saw: one winner, and a clear conflict
  (stale version, or "busy, nothing sent") for each of the others, every one within seconds;
- a command whose answer does not come in time is sent again by the sender with its command id and answered
  as a duplicate: it was applied once, and the caller is told so instead of "engine unavailable";
- with no attempts left the caller gets `outcome_unknown`, with the command id to retry with; retrying it
  later returns the first result, marked duplicate.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from adapters.engine.sender import CommandSender, GrantBusy, OutcomeUnknown
from adapters.event_store.store import open_service
from adapters.engine.temporal import TemporalSettings, build_worker, connect
from adapters.notify.notifiers import FileNotifier
from domain.clock import BusinessClock
from domain.errors import StaleVersion
from tests.integration.test_durability import business, start_worker_process, stop
from tests.integration.test_faults import approved, rate_change, start_grant_workflows
from tests.support.scripted import at

pytestmark = [pytest.mark.temporal, pytest.mark.slow]

OPERATORS = 50


async def test_fifty_operators_at_once_get_one_winner_and_clear_conflicts_within_seconds(dev_server, tmp_path):
    service = open_service(f"sqlite:///{tmp_path / 'sto.sqlite'}")
    code = approved(service, 470)
    client = await connect(TemporalSettings(address=dev_server.address))
    offset = business(at(2022, 9, 1, 10))
    async with build_worker(client, service, FileNotifier(tmp_path / "outbox")):
        grants = await start_grant_workflows(client, service, [code], offset)
        sender = CommandSender(grants, service, timeout_seconds=30, clock=BusinessClock(offset))
        for round_ in range(2):
            version = service.state(code).version

            async def operator(n: int):
                started = time.monotonic()
                try:
                    outcome = await sender.send(rate_change(code, 9000 + 100 * round_ + n, expected_version=version))
                except (StaleVersion, GrantBusy) as conflict:
                    outcome = conflict
                return outcome, time.monotonic() - started

            answers = await asyncio.gather(*(operator(n) for n in range(OPERATORS)), return_exceptions=True)
            unexpected = [a for a in answers if isinstance(a, BaseException)]
            assert not unexpected, unexpected[:3]
            won = [o for o, _ in answers if not isinstance(o, Exception)]
            assert len(won) == 1 and won[0].version == version + 1
            assert all(isinstance(o, (StaleVersion, GrantBusy)) for o, _ in answers if o is not won[0])
            slowest = max(seconds for _, seconds in answers)
            assert slowest < 10, f"the slowest answer took {slowest:.1f} s"
        assert len(service.history(code)) == version + 1, "exactly one event per round"


async def test_a_command_whose_answer_is_late_is_sent_again_with_its_id_and_answered_as_a_duplicate(dev_server, tmp_path):
    url = f"sqlite:///{tmp_path / 'sto.sqlite'}"
    service = open_service(url)
    code = approved(service, 471)
    client = await connect(TemporalSettings(address=dev_server.address))
    offset = business(at(2022, 9, 1, 10))
    # the worker stores the event, then waits 3 s before it answers: longer than the sender waits
    worker = start_worker_process(tmp_path, dev_server.address, url, "slow-worker", STO_FAULT_PAUSE_AFTER_COMMIT="3")
    try:
        grants = await start_grant_workflows(client, service, [code], offset)
        before = len(service.history(code))
        patient = CommandSender(grants, service, timeout_seconds=1.0, attempts=6, clock=BusinessClock(offset))
        result = await patient.send(rate_change(code, 7100))
        assert result.duplicate, "the answer came to a repeat of the command: it had been applied already"
        assert len(service.history(code)) == before + 1

        hasty = CommandSender(grants, service, timeout_seconds=1.0, attempts=1, clock=BusinessClock(offset))
        command = rate_change(code, 7200)
        with pytest.raises(OutcomeUnknown) as unknown:
            await hasty.send(command)
        assert unknown.value.code == "outcome_unknown" and str(command.command_id) in unknown.value.hint
        await asyncio.sleep(3.5)
        again = await hasty.send(command)  # what the caller is told to do
        assert again.duplicate and len(service.history(code)) == before + 2
    finally:
        stop(worker)
