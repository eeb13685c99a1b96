"""One operator command traced from the API through the workflow update and the activity to the store: `sto serve`
with STO_TRACE_FILE writes every span as a JSON line; the spans of one request share one trace id and hang together
(each one's parent is in the trace), and the log lines written inside them carry that trace id."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import httpx
import pytest

from adapters import processes
from adapters.engine.temporal import free_port
from adapters.operators.tokens import TokenStore
from tests.e2e.conftest import EPOCH, FUTURE_MARGIN_DAYS, REPO, _stop
from tests.e2e.grant_bodies import body

pytestmark = [pytest.mark.temporal, pytest.mark.slow]
CODE, INDEX = "STO-E2E-TRACE", 22


def _wait_until(condition, what: str, limit: float = 180.0):
    deadline = time.monotonic() + limit
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not seen within {limit:.0f} s")
        time.sleep(0.2)


def _spans(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def traced(tmp_path):
    store, trace_file, log = tmp_path / "sto.sqlite", tmp_path / "spans.jsonl", tmp_path / "serve.log"
    api_port = free_port()
    env = {**os.environ, "STO_DATABASE_URL": f"sqlite:///{store}", "STO_NOTIFIER_URL": f"file://{tmp_path / 'outbox'}",
           "STO_BUSINESS_EPOCH": EPOCH, "STO_FUTURE_MARGIN_DAYS": FUTURE_MARGIN_DAYS, "STO_LOG_LEVEL": "INFO",
           "STO_TRACE_FILE": str(trace_file)}
    process = processes.spawn(
        [sys.executable, "-m", "adapters.cli.main", "serve", "--port", str(free_port()), "--ui-port", str(free_port()),
         "--api-port", str(api_port), "--temporal-db", str(tmp_path / "temporal.sqlite")], log, cwd=REPO, env=env)
    base = f"http://127.0.0.1:{api_port}"

    def up() -> bool:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _wait_until(up, "sto serve answering")
        tokens = TokenStore(env["STO_DATABASE_URL"])
        try:
            token = tokens.issue("op.trace", "operator", None, created_by="tests").token
        finally:
            tokens.close()
        yield base, token, trace_file, log
    finally:
        _stop(process)


def test_an_operators_command_is_one_trace_from_the_api_through_the_workflow_to_the_store(traced):
    base, token, trace_file, log = traced
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as op:
        answer = op.post(f"/v1/grants/{CODE}/pre-register", json=body("pre-register", INDEX))
    assert answer.status_code == 200, answer.text

    def request_trace() -> list[dict] | None:
        spans = _spans(trace_file)
        roots = [s for s in spans if s["kind"] == "SERVER" and s["attributes"].get("url.path") == f"/v1/grants/{CODE}/pre-register"]
        if not roots:
            return None
        trace = [s for s in spans if s["trace_id"] == roots[0]["trace_id"]]
        return trace if any(s["name"] == "store.execute" for s in trace) else None

    trace = _wait_until(request_trace, "the request's trace down to the store")
    names = [s["name"] for s in trace]
    assert any(n.startswith("StartWorkflow:") or n.startswith("StartWorkflowUpdate:") for n in names), names
    assert any(n.startswith("RunActivity:execute_command") for n in names), names
    store = next(s for s in trace if s["name"] == "store.execute")
    assert store["attributes"]["sto.command"] == "SubmitVooraanmelding" and store["attributes"]["sto.region"] == CODE
    ids = {s["span_id"] for s in trace}
    root = next(s for s in trace if s["kind"] == "SERVER" and s["name"].startswith("POST "))
    assert root["name"] == "POST /v1/grants/{region}/pre-register" and root["parent_span_id"] is None
    assert root["attributes"]["http.response.status_code"] == 200
    assert all(s["parent_span_id"] in ids for s in trace if s is not root), "every span hangs under the request"

    trace_id = root["trace_id"]
    logged = [json.loads(line) for line in log.read_text(errors="replace").splitlines() if line.startswith("{")]
    executed = [line for line in logged if line.get("event") == "command executed" and line.get("region") == CODE]
    assert executed and executed[0].get("trace_id") == trace_id, executed
