"""Racing operators get answers, not time-outs; a time-out says the outcome is unknown and heals itself.

On the real dev server with a real worker and a SQLite store, through the command sender that the CLI and
the HTTP API share (adapters/engine/sender.py):
- fifty operators at once on one grant, all saying which version they saw: one winner, and a clear conflict
  (stale version, or "busy, nothing sent") for each of the others, and no time-out;
- a command whose answer does not come in time is sent again by the sender with its command id and answered
  as a duplicate: it was applied once, and the caller is told so instead of "engine unavailable";
- with no attempts left the caller gets `outcome_unknown`, with the command id to retry with; retrying it
  later returns the first result, marked duplicate.
"""

from __future__ import annotations

import asyncio

import pytest

from adapters.engine.sender import CommandSender, GrantBusy, OutcomeUnknown
from adapters.event_store.store import open_service
from adapters.engine.temporal import TemporalSettings, build_worker, connect
from adapters.notify.notifiers import FileNotifier
from domain.clock import BusinessClock
from domain.errors import StaleVersion
from tests.integration.test_durability import business, settle, start_worker_process, stop, wait_for
from tests.integration.test_faults import approved, rate_change, start_grant_workflows
from tests.support.scripted import at

pytestmark = [pytest.mark.temporal, pytest.mark.slow]

OPERATORS = 50


async def test_fifty_operators_at_once_get_one_winner_and_clear_conflicts_not_timeouts(dev_server, tmp_path):
    """Every operator gets an answer: the winner's result, or a conflict that says why nothing was written. None is
    told "outcome unknown" (the sender's time-out) or sees another error; how long the answers take is the
    machine's business (the sender's own limits decide what is a time-out, and a busy grant says so)."""
    service = open_service(f"sqlite:///{tmp_path / 'sto.sqlite'}")
    code = approved(service, 470)
    client = await connect(TemporalSettings(address=dev_server.address))
    offset = business(at(2022, 9, 1, 10))
    async with build_worker(client, service, FileNotifier(tmp_path / "outbox")):
        grants = await start_grant_workflows(client, service, [code], offset)
        sender = CommandSender(grants, service, timeout_seconds=30, clock=BusinessClock(offset))
        for round_ in range(2):
            version = service.state(code).version

            async def operator(n: int) -> tuple[str, object]:
                try:
                    return "answer", await sender.send(rate_change(code, 9000 + 100 * round_ + n, expected_version=version))
                except (StaleVersion, GrantBusy) as conflict:
                    return "answer", conflict

            outcomes = await asyncio.gather(*(operator(n) for n in range(OPERATORS)), return_exceptions=True)
            unexpected = [o for o in outcomes if isinstance(o, BaseException)]  # OutcomeUnknown among them
            assert not unexpected, unexpected[:3]
            answers = [answer for _, answer in outcomes]
            won = [a for a in answers if not isinstance(a, (StaleVersion, GrantBusy))]
            stale = [a for a in answers if isinstance(a, StaleVersion)]
            busy = [a for a in answers if isinstance(a, GrantBusy)]
            assert len(won) == 1 and won[0].version == version + 1 and not won[0].duplicate
            assert len(stale) + len(busy) == OPERATORS - 1, answers
            assert all(s.expected_version == version and s.actual_version == version + 1 for s in stale)
            assert all(b.hint and "nothing was written" in b.hint for b in busy)
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
        # as many attempts as a hang needs: how many the 3 s take depends on the machine, the duplicate answer does not
        patient = CommandSender(grants, service, timeout_seconds=1.0, attempts=120, clock=BusinessClock(offset))
        result = await patient.send(rate_change(code, 7100))
        assert result.duplicate, "the answer came to a repeat of the command: it had been applied already"
        assert len(service.history(code)) == before + 1

        hasty = CommandSender(grants, service, timeout_seconds=1.0, attempts=1, clock=BusinessClock(offset))
        command = rate_change(code, 7200)
        with pytest.raises(OutcomeUnknown) as unknown:
            await hasty.send(command)
        assert unknown.value.code == "outcome_unknown" and str(command.command_id) in unknown.value.hint
        # the first send is still under way in the worker (stored, its answer paused): wait until it is stored and
        # its workflow has nothing in flight any more, instead of outwaiting the pause
        await wait_for(lambda: len(service.history(code)) == before + 2, seen=lambda: service.history(code)[-3:])
        await settle(client, lambda: service.history(code)[-3:])
        again = await hasty.send(command)  # what the caller is told to do
        assert again.duplicate and len(service.history(code)) == before + 2
    finally:
        stop(worker)
