"""What the people who run the engine watch: after real traffic through `sto serve`'s API, its `/metrics` (parsed with
prometheus_client's own parser) moved as the traffic says, and the Temporal SDK serves its runtime metrics too.

The counters are the process's since it started (other tests send commands to the same engine): the test reads them
before and after its own traffic and checks the difference.
"""

from __future__ import annotations

import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.grant_bodies import body, take

pytestmark = [pytest.mark.temporal, pytest.mark.slow]
CODE = "STO-E2E-METRICS"
INDEX = 21


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = httpx.get(url, timeout=60)
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.text) for sample in family.samples}


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_commands_refusals_and_the_store_show_in_the_metrics_as_the_traffic_says(served):
    metrics = f"{served.base_url}/metrics"
    before = scrape(metrics)
    with served.client(served.token("operator", "op.metrics")) as op:
        take(op, CODE, INDEX, "pre-register")
        applied = op.post(f"/v1/grants/{CODE}/apply", json=body("apply", INDEX))
        assert applied.status_code == 200, applied.text
        again = op.post(f"/v1/grants/{CODE}/apply", json={**body("apply", INDEX), "command_id": applied.json()["command_id"]})
        assert again.status_code == 200 and again.json()["duplicate"] is True
        for _ in range(2):  # approving an application not yet assessed: refused by the lifecycle, twice
            assert op.post(f"/v1/grants/{CODE}/approve", json=body("approve", INDEX)).status_code == 409
        assert op.post(f"/v1/grants/{CODE}/apply", json=body("apply", INDEX, period=4)).status_code == 400
    after = scrape(metrics)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("sto_commands_total", command="SubmitVooraanmelding", outcome="applied") == 1
    assert moved("sto_commands_total", command="SubmitApplication", outcome="applied") == 1
    assert moved("sto_commands_total", command="SubmitApplication", outcome="duplicate") == 1
    assert moved("sto_commands_total", command="ApproveGrant", outcome="transition_refused") == 2
    assert moved("sto_refusals_total", rule="lifecycle.transition") == 2
    assert moved("sto_command_duration_seconds_count", command="ApproveGrant") == 2
    # the worker in the same process executed the two that were applied (a duplicate is answered by the workflow)
    assert moved("sto_commands_executed_total", command="SubmitApplication", outcome="applied") == 1
    assert moved("sto_commands_executed_total", command="SubmitVooraanmelding", outcome="applied") == 1

    # the store's gauges: read in the background, so a scrape answers with the last reading once there is one
    gauges = ("sto_projection_lag_events", "sto_quarantined_records", "sto_letters_owed")
    deadline = time.monotonic() + 120
    while not all((name, ()) in after for name in gauges) or ("sto_deadlines_due", (("days_ahead", "0"),)) not in after:
        assert time.monotonic() < deadline, f"the store's gauges were not read within 120 s: {sorted(after)[:30]}"
        time.sleep(0.25)
        after = scrape(metrics)
    assert value(after, "sto_projection_lag_events") >= 0 and value(after, "sto_quarantined_records") == 0
    assert value(after, "sto_letters_owed") >= 0
    assert ("sto_deadlines_due", (("days_ahead", "0"),)) in after
    assert value(after, "sto_scrape_errors_total", source="views") == value(before, "sto_scrape_errors_total", source="views")


def test_the_temporal_sdk_serves_its_runtime_metrics_of_the_served_worker(served):
    assert served.sdk_metrics_url
    deadline = time.monotonic() + 120  # the SDK exports on its own interval
    names: set[str] = set()
    while time.monotonic() < deadline:
        names = {name for name, _ in scrape(served.sdk_metrics_url)}
        if any(name.startswith("temporal_workflow_task") for name in names):
            break
        time.sleep(1)
    assert any(name.startswith("temporal_workflow_task") for name in names), sorted(names)[:40]
    assert any(name.startswith("temporal_sticky_cache") for name in names), sorted(names)[:40]
