"""The main job: the STO programme replayed through the real workflows, counted back from the store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_asyncio

from adapters.replay.engine import replay

pytestmark = [pytest.mark.temporal, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
REPO = Path(__file__).resolve().parents[2]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def outcome(tmp_path_factory):
    # sandboxed here (`sto demo` runs without the sandbox for speed): the sandbox would catch a
    # non-deterministic call on a path only the replay takes
    return await replay(tmp_path_factory.mktemp("demo") / "demo", sandboxed=True)


async def test_the_replay_reproduces_the_counts_of_the_real_programme(outcome):
    counts = {m.name: m.count for m in outcome.summary.milestones}
    assert all(m.count == m.expected for m in outcome.summary.milestones if m.expected is not None), counts
    assert counts["vooraanmeldingen before 1 November 2018"] == 87
    assert counts["applications in period 1 (1–31 March 2019)"] == 78
    assert counts["approved in round 1, before 1 July 2019"] == 45
    assert counts["start in January 2020"] == 71
    assert counts["approved in total"] == 78
    assert outcome.summary.statuses == {"determined": 78, "lapsed": 9}


async def test_the_money_stays_within_the_ceilings_the_cap_and_the_2024_budget(outcome):
    s = outcome.summary
    for kind, granted in s.granted_2020_2023_cents.items():
        assert 0 < granted <= s.ceilings_cents[kind]
    assert 0 < s.extension["granted_cents"] <= s.extension["budget_cents"]
    assert s.extension["max_share_of_2020_2023"] <= 0.25
    assert s.vaststelling["regions"] == 78 and s.vaststelling["lowered_for_cofinancing"] > 0
    total = sum(s.granted_2020_2023_cents.values()) + s.extension["granted_cents"]
    assert s.vaststelling["determined_cents"] + s.vaststelling["reclaimed_cents"] == total


async def test_the_workflows_sent_reminders_and_applied_consequences(outcome):
    s = outcome.summary
    assert s.reminders_sent > 500 and s.reminder_failures == 0
    assert len(list(outcome.outbox.glob("*.eml"))) == s.reminders_sent
    assert s.consequences["GrantLapsed"] == 9  # the regions that never applied
    late = next(m for m in s.milestones if m.name.startswith("progress report 1")).note
    assert s.consequences["DecisionBecameFinal"] > 0
    assert f"{s.consequences['DeadlineMissed']} late" == late  # each late report 1 was first recorded as missed


async def test_the_report_has_a_timeline_chart(outcome):
    page = outcome.report.read_text()
    assert "<svg" in page and "approved in period 3" in page and "application_period_1" in page


async def test_auditors_and_operators_can_read_the_replayed_store(outcome):
    def sto(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "adapters.cli.main", "--database-url", outcome.database_url, *args],
            cwd=REPO, capture_output=True, text=True, timeout=120,
        )

    regions = sto("regions", "--json")
    assert regions.returncode == 0, regions.stderr
    assert len(json.loads(regions.stdout)["regions"]) == 87
    verify = sto("audit", "verify", "--json")
    assert verify.returncode == 0, verify.stdout
    history = sto("audit", "history", "STO-R001", "--json")
    assert history.returncode == 0 and json.loads(history.stdout)
