"""The audit head leaves the store: `anchor` publishes the chain's head to an append-only file outside the store
and mails it to the auditors once; a check against the published heads names the first one the store no longer
matches, even after an intruder recomputed the seals and the whole chain; a daily workflow anchors at midnight."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from adapters.replay.virtual_time import VirtualClock
from adapters.audit import anchor as audit_anchor
from adapters.audit import chain as audit_chain
from adapters.audit.anchor import AnchorsInsideStore, anchor, anchor_key, start_daily_anchoring
from adapters.notify.notifiers import FileNotifier, SmtpNotifier
from tests.support.scenarios import scripted_regions
from adapters.event_store.store import open_service
from adapters.engine.temporal import build_worker, workflow_runner
from domain.timekeeping import AMSTERDAM
from tests.integration.conftest import busy_workflows
from tests.integration.test_audit_chain import RECORDS, RawStore, chain_rows
from workflows.audit_anchor import ANCHOR_WORKFLOW_ID, AuditAnchorWorkflow


@pytest.fixture
def store(store_url, tmp_path, monkeypatch):
    for setting in (audit_anchor.ANCHORS_SETTING, audit_anchor.AUDITORS_SETTING):
        monkeypatch.delenv(setting, raising=False)
    service = open_service(store_url)
    scripted_regions(service, 3)  # RECORDS stored records, none chained yet
    return service, RawStore(store_url), store_url


@pytest.fixture
def published(tmp_path) -> Path:
    """An anchors file beside the test's directory, not in it (the SQLite store lives in tmp_path)."""
    return tmp_path.parent / f"{tmp_path.name}-published" / "audit-anchors.jsonl"


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def check(url: str, path: Path, **kw) -> audit_chain.ChainReport:
    db = audit_chain.open_url(url)
    try:
        return audit_chain.verify(db, anchors=audit_chain.read_anchors(path)[0], **kw)
    finally:
        db.close()


def edit(raw: RawStore, position: int) -> None:
    raw.run("UPDATE {table} SET state = ? WHERE {pos} = ?", (raw.state(position) + b" ", position))


def test_the_chain_is_extended_then_its_head_published_and_checking_the_store_against_it_passes(store, published, tmp_path):
    service, raw, url = store
    outbox = FileNotifier(tmp_path / "outbox")
    first = anchor(service, outbox, to=published)
    last = chain_rows(raw)[-1]
    assert first.written and first.head["seq"] == last[0] == RECORDS  # every stored record chained before anchoring
    assert (first.head["notification_id"], first.head["hash"]) == (last[1], last[3]) == (RECORDS, lines(published)[0]["hash"])
    scripted_regions(service, 1, first=10)
    stored = service.recorder.max_notification_id()
    second = anchor(service, outbox, to=published)
    assert second.written and second.head["notification_id"] == stored > RECORDS  # its own mail's records come after
    assert [line["seq"] for line in lines(published)] == [RECORDS, second.head["seq"]]
    assert all("password" not in line["store"] and "@" not in line["store"] for line in lines(published))
    report = check(url, published)
    assert report.ok and report.anchors["heads"] == report.anchors["matched"] == 2
    assert report.anchors["first_mismatch"] is None


def test_an_edited_record_is_named_by_the_first_published_head_after_it(store, published, tmp_path):
    service, raw, url = store
    outbox = FileNotifier(tmp_path / "outbox")
    early = anchor(service, outbox, to=published).head
    scripted_regions(service, 1, first=10)
    late = anchor(service, outbox, to=published).head
    edit(raw, early["notification_id"] + 3)  # after the early head, up to the late one
    report = check(url, published)
    mismatch = report.anchors["first_mismatch"]
    assert not report.ok and (mismatch["seq"], mismatch["notification_id"]) == (late["seq"], late["notification_id"])
    assert mismatch["published_hash"] == late["hash"] and mismatch["store_hash"] not in (None, late["hash"])
    assert report.anchors["last_match"]["hash"] == early["hash"] and report.anchors["matched"] == 1
    edit(raw, 3)  # before the early head as well: now that one is the first that no longer matches
    report = check(url, published)
    assert report.anchors["first_mismatch"]["hash"] == early["hash"] and report.anchors["last_match"] is None


def test_an_intruder_who_recomputes_the_seals_and_the_whole_chain_passes_verify_but_not_the_published_head(
    store, published, tmp_path, capsys
):
    service, raw, url = store
    head = anchor(service, FileNotifier(tmp_path / "outbox"), to=published).head
    # the intruder: edits record 5, rewrites its seal to match, and builds the chain anew over everything
    if raw.mark == "?":
        raw.run("DROP TRIGGER audit_sealed_no_update")
    else:
        raw.run("DROP TRIGGER audit_sealed_append_only ON audit_sealed")
    edit(raw, 5)
    row = raw.run("SELECT originator_id, originator_version, topic, state FROM {table} WHERE {pos} = 5")[0]
    raw.run("UPDATE audit_sealed SET content_hash = ? WHERE notification_id = 5", (audit_chain.content_hash(*row),))
    raw.run("DROP TABLE audit_chain")
    db = audit_chain.open_url(url)
    try:
        audit_chain.extend(db)
        assert audit_chain.verify(db).ok  # every check inside the store is satisfied
    finally:
        db.close()
    rewritten = chain_rows(raw)[head["seq"] - 1][3]
    assert rewritten != head["hash"]
    report = check(url, published)
    assert (report.ok, report.problem.kind, report.problem.notification_id) == (False, "anchor_mismatch", head["notification_id"])
    mismatch = report.anchors["first_mismatch"]
    assert (mismatch["published_hash"], mismatch["store_hash"]) == (head["hash"], rewritten)
    assert head["hash"] in report.problem.message and rewritten in report.problem.message
    capsys.readouterr()
    assert audit_chain.main([url, "--anchors", str(published)]) == 1  # the auditor's own checker says the same
    assert json.loads(capsys.readouterr().out)["problem"]["kind"] == "anchor_mismatch"


def test_a_file_inside_the_store_directory_is_refused_and_nothing_is_published(sqlite_url, tmp_path, monkeypatch):
    service = open_service(sqlite_url)
    scripted_regions(service, 1)
    store_dir = tmp_path  # the sqlite_url fixture keeps its file in tmp_path
    outbox = tmp_path.parent / f"{tmp_path.name}-outbox"
    (tmp_path.parent / f"{tmp_path.name}-link").symlink_to(store_dir / "deeper", target_is_directory=True)
    inside = [store_dir / "audit-anchors.jsonl", store_dir / "deeper" / "a.jsonl", tmp_path.parent / f"{tmp_path.name}-link" / "a.jsonl"]
    for path in inside:
        with pytest.raises(AnchorsInsideStore, match="inside the store's own directory"):
            anchor(service, FileNotifier(outbox), to=path)
        assert not path.exists()
    monkeypatch.setenv(audit_anchor.ANCHORS_SETTING, str(store_dir / "from-env.jsonl"))
    with pytest.raises(AnchorsInsideStore):
        anchor(service, FileNotifier(outbox))
    assert not (store_dir / "from-env.jsonl").exists() and not outbox.exists()  # no line, no mail
    assert RawStore(sqlite_url).run("SELECT COUNT(*) FROM sqlite_master WHERE name = 'audit_chain'")[0][0] == 0


def test_the_default_file_lies_outside_the_store_one_per_store(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.delenv(audit_anchor.ANCHORS_SETTING, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path.parent / f"{tmp_path.name}-state"))
    service = open_service(sqlite_url)
    scripted_regions(service, 1)
    result = anchor(service, FileNotifier(tmp_path.parent / f"{tmp_path.name}-outbox"))
    path = Path(result.file)
    assert path.parent == tmp_path.parent / f"{tmp_path.name}-state" / "sto" / "audit-anchors"
    assert tmp_path.name in path.name and lines(path)[0]["hash"] == result.head["hash"]


def test_the_anchor_mail_reaches_the_auditors_once_through_smtp_even_when_anchoring_twice_at_the_same_head(
    store, published, smtp, monkeypatch
):
    service, _, _ = store
    monkeypatch.setenv(audit_anchor.AUDITORS_SETTING, "controle@accountant.example")
    notifier = SmtpNotifier("127.0.0.1", smtp.port)
    first = anchor(service, notifier, to=published)
    again = anchor(service, notifier, to=published)  # its own mail's outbox records are all that was stored since
    assert (first.mailed, again.mailed, again.written) == (True, False, False)
    assert again.head == first.head and len(lines(published)) == 1
    assert len(smtp.mailbox.messages) == 1
    mail = smtp.mailbox.messages[0]
    assert mail["To"] == "controle@accountant.example" and mail["X-STO-Reminder-Key"] == anchor_key(first.head["hash"])
    assert first.head["hash"] in mail.get_content() and str(published) in mail.get_content()
    scripted_regions(service, 1, first=10)  # a new record moves the head: a new line, a new mail
    moved = anchor(service, notifier, to=published)
    assert moved.mailed and moved.head["hash"] != first.head["hash"] and len(lines(published)) == 2
    assert smtp.mailbox.keys() == [anchor_key(first.head["hash"]), anchor_key(moved.head["hash"])]


def test_a_mail_that_could_not_be_sent_is_sent_once_by_the_next_anchor_at_the_same_head(store, published, smtp):
    service, _, _ = store
    notifier = SmtpNotifier("127.0.0.1", smtp.port, timeout=2)
    smtp.stop()
    failed = anchor(service, notifier, to=published)
    assert failed.mail_error and not failed.mailed and len(lines(published)) == 1  # the line is published all the same
    smtp.start()
    retried = anchor(service, notifier, to=published)
    assert retried.head == failed.head and retried.mailed and not retried.written
    assert len(smtp.mailbox.messages) == 1 and len(lines(published)) == 1
    assert not anchor(service, notifier, to=published).mailed and len(smtp.mailbox.messages) == 1


def at_midnight(text: str, day: dt.date) -> bool:
    """Whether business time `text` lies at the start of `day` in Amsterdam (within the minute the timer fired)."""
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=AMSTERDAM)
    return midnight <= dt.datetime.fromisoformat(text) < midnight + dt.timedelta(minutes=1)


async def wait_for(condition, seconds: float = 120.0, seen=lambda: "") -> None:
    """Real time (the time-skipping server does not skip while nothing waits on it) for the worker to act; only a
    hang takes `seconds`."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"the worker did not get there in {seconds:g} s; {seen()}")
        await asyncio.sleep(0.05)


async def skip(env, delta: dt.timedelta) -> None:
    """Virtual time on by `delta`, as the replay moves it (bounded steps, each call with its own deadline)."""
    clock = VirtualClock(env.client.test_service)
    await clock.advance_to(await clock.now() + delta)


async def settled(env) -> None:
    """Until no workflow has a workflow task or an activity in flight, nor a timer that is due."""
    end = time.monotonic() + 120
    while busy := await busy_workflows(env.client, await env.get_current_time()):
        if time.monotonic() > end:
            raise AssertionError(f"still busy after 120 s: {busy}")
        await asyncio.sleep(0.05)


async def test_the_daily_workflow_anchors_on_the_time_skipping_server_when_business_time_passes_midnight(
    ts_env, smtp, sqlite_url, tmp_path, monkeypatch
):
    anchors = tmp_path.parent / f"{tmp_path.name}-anchors.jsonl"
    monkeypatch.setenv(audit_anchor.ANCHORS_SETTING, str(anchors))
    monkeypatch.setenv(audit_anchor.AUDITORS_SETTING, "auditors@sto.example")
    service = open_service(sqlite_url)
    scripted_regions(service, 2)
    start = dt.datetime(2024, 3, 11, 21, 30, tzinfo=AMSTERDAM)  # business time: a Monday evening
    offset = (start - await ts_env.get_current_time()).total_seconds()
    worker = build_worker(ts_env.client, service, SmtpNotifier("127.0.0.1", smtp.port))
    stored = service.recorder.max_notification_id()  # the grants' records and the installation's (the worker's start)
    async with worker:
        first = await start_daily_anchoring(ts_env.client, clock_offset_seconds=offset, runs_per_history=2)
        same = await start_daily_anchoring(ts_env.client, clock_offset_seconds=offset)
        assert same.result_run_id == first.result_run_id  # one daily anchoring, however often it is started
        await skip(ts_env, dt.timedelta(hours=2))  # 23:30: not yet
        await settled(ts_env)  # nothing in flight: an anchor made too early would be written by now
        assert not anchors.exists() and smtp.mailbox.messages == []
        await skip(ts_env, dt.timedelta(hours=1))  # 00:30 on Tuesday: the timer fired at midnight
        seen = lambda: f"anchors {lines(anchors) if anchors.exists() else []}, mails {smtp.mailbox.keys()}"  # noqa: E731
        await wait_for(lambda: anchors.exists() and len(lines(anchors)) == 1 and len(smtp.mailbox.messages) == 1, seen=seen)
        line = lines(anchors)[0]
        assert at_midnight(line["business_time"], dt.date(2024, 3, 12))
        assert line["notification_id"] == stored  # every record stored was chained; its own mail's come after
        scripted_regions(service, 1, first=10)
        await skip(ts_env, dt.timedelta(days=1))  # Wednesday's midnight: a moved head, anchored and mailed
        await wait_for(lambda: len(lines(anchors)) == 2 and len(smtp.mailbox.messages) == 2, seen=seen)
        assert at_midnight(lines(anchors)[1]["business_time"], dt.date(2024, 3, 13))
        latest = ts_env.client.get_workflow_handle(ANCHOR_WORKFLOW_ID)
        await settled(ts_env)  # continued as new after two anchors, to keep its history short
        assert (await latest.describe()).run_id != first.result_run_id, "no continue-as-new after runs_per_history anchors"
        assert await latest.query("anchors_made") == 2
        history = await ts_env.client.get_workflow_handle(ANCHOR_WORKFLOW_ID, run_id=first.result_run_id).fetch_history()
    replayer = Replayer(workflows=[AuditAnchorWorkflow], data_converter=pydantic_data_converter, workflow_runner=workflow_runner())
    await replayer.replay_workflow(history)  # deterministic: its first run replays in the sandbox
    report = check(sqlite_url, anchors)
    assert report.ok and report.anchors["matched"] == 2
