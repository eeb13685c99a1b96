"""End to end over HTTP: `sto serve` (dev server, worker, API); tokens from `sto token create`; an operator takes
a grant from vooraanmelding through application and advice and drafts its verlening, which others of the
organisation register take through its stages (interne controle, the signature under mandate); the region and the
auditor read it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.e2e.grant_bodies import STEPS, body, take
from tests.support.stages_e2e import pass_stages_api

pytestmark = [pytest.mark.temporal, pytest.mark.slow]

CODE = "STO-E2E-LIFE"
INDEX = 11


def sto_token(served, *args: str) -> dict:
    """`sto token create ... --json` as the operator at the keyboard would run it."""
    env = {**os.environ, "STO_DATABASE_URL": served.database_url, "STO_ACTOR": "beheerder.smit"}
    done = subprocess.run([sys.executable, "-m", "adapters.cli.main", "token", "create", *args, "--json"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_an_operator_drafts_the_verlening_others_take_its_stages_the_region_sees_it_and_the_auditor_sees_who(served):
    operator = sto_token(served, "--role", "operator", "--name", "op.jansen")  # a beoordelaar of the register
    assert (operator["role"], operator["created_by"]) == ("operator", "beheerder.smit")
    region, auditor = served.token("region", "penvoerder e2e", CODE), served.token("auditor", "accountant.bakker")

    with served.client(operator["token"]) as op:
        results = take(op, CODE, INDEX, "pre-register", "apply", "accept", "advise", "approve")
    assert [r["status"] for r in results] == [
        "pre_registered", "application_submitted", "under_assessment", "advised", "advised",
    ]
    assert [r["version"] for r in results] == [1, 2, 3, 4, 5]
    drafted = results[-1]  # the verlening is drafted, not taken: it waits in its next stage
    assert drafted["events"] == ["BesluitDrafted"]
    assert (drafted["waiting"]["stage"], drafted["waiting"]["role"], drafted["waiting"]["drafted"]) == (
        "interne_controle", "interne_controle", True)

    stages = pass_stages_api(served, CODE, "ApproveGrant", STEPS["approve"])  # ic.smit, then co.de-vries signs
    assert [(s["events"], s["status"], s["version"]) for s in stages] == [
        (["StagePassed"], "advised", 6), (["BesluitSigned", "GrantApproved", "AdvancesScheduled"], "approved", 9),
    ]
    assert stages[0]["waiting"]["stage"] == "ondertekening"
    assert stages[-1]["waiting"] is None  # signed: no besluit waits in a stage, and none is due now
    assert stages[-1]["allowed_transitions"] == [
        "object", "report", "extension-plan", "grant-extension", "hourly-rate", "final-report", "withdraw", "melding",
        "lower",
    ]

    with served.client(region) as own:
        grant = own.get(f"/v1/grants/{CODE.lower()}", params={"asOf": "2019-06-21"})
        assert grant.status_code == 200, grant.text
        view = grant.json()
        assert view["status"] == "approved" and view["money"]["granted_cents"] == 380_000_000
        next_deadline = view["deadlines"][0]
        assert next_deadline["key"].startswith("objection_period") and next_deadline["due"] > "2019-06-21"
        assert "6:7" in next_deadline["source"]  # Awb art. 6:7, the objection period
        deadlines = own.get(f"/v1/grants/{CODE}/deadlines", params={"asOf": "2019-06-21"}).json()
        assert deadlines["deadlines"] == view["deadlines"]
        own_history = own.get(f"/v1/grants/{CODE}/history")
        assert own_history.status_code == 200  # a penvoerder sees its own file, without DUS-I's stages
        assert [e["event"] for e in own_history.json()["events"]][:5] == [
            "VooraanmeldingReceived", "ApplicationSubmitted", "ApplicationAccepted", "AdviceRecorded", "GrantApproved",
        ]
        refused = own.post(f"/v1/grants/{CODE}/object", json={"reason": "bezwaar", "grounds": "te laag"})
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"

    served.settled_events()  # the verlening's letter: made by the grant's workflow just after its answer
    with served.client(auditor) as audit:
        history = audit.get(f"/v1/grants/{CODE}/history").json()["events"]
        as_of = audit.get(f"/v1/grants/{CODE}/as-of/2019-06-10").json()
        verified = audit.get("/v1/audit/verify").json()
    assert [(e["event"], e["actor"], e["role"]) for e in history] == [
        ("VooraanmeldingReceived", "op.jansen", "operator"),
        ("ApplicationSubmitted", "op.jansen", "operator"),
        ("ApplicationAccepted", "op.jansen", "operator"),
        ("AdviceRecorded", "op.jansen", "operator"),
        ("BesluitDrafted", "op.jansen", "operator"),  # eerste beoordeling: the draft
        ("StagePassed", "ic.smit", "operator"),  # interne controle
        ("BesluitSigned", "co.de-vries", "operator"),  # signed under the afdelingshoofd's mandate
        ("GrantApproved", "co.de-vries", "operator"),  # ... which takes the besluit
        ("AdvancesScheduled", "co.de-vries", "operator"),  # and schedules its advances (the money ledger)
        ("DecisionLetterIssued", "sto-engine", "system"),
    ]
    assert history[-1]["facts"]["besluit_kind"] == "approval"
    assert history[7]["facts"]["granted_per_year"] == {"2020": 100_000_000, "2021": 100_000_000, "2022": 90_000_000, "2023": 90_000_000}
    assert as_of["grant"]["status"] == "advised" and as_of["version"] == 4
    assert verified["ok"] is True and verified["problem"] is None


def test_a_refused_transition_answers_409_with_rule_and_source_and_writes_nothing(served):
    with served.client(served.token("operator", "op.refusal")) as op:
        take(op, "STO-E2E-REFUSE", 12, "pre-register")
        before = served.settled_events()
        refused = op.post("/v1/grants/STO-E2E-REFUSE/approve", json=body("approve", 12))
        stale = op.post("/v1/grants/STO-E2E-REFUSE/apply", json=body("apply", 12, expected_version=7))
        unknown = op.post("/v1/grants/STO-E2E-NOBODY/accept", json=body("accept", 12))
        invalid = op.post("/v1/grants/STO-E2E-REFUSE/apply", json=body("apply", 12, period=4))
        after = served.stored_events()
    assert refused.status_code == 409
    assert refused.json()["rule"] == "lifecycle.transition" and "Subsidieregeling" in refused.json()["source"]
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert stale.json()["actualVersion"] == 1
    assert unknown.status_code == 404 and unknown.json()["code"] == "grant_not_found"
    assert invalid.status_code == 400 and invalid.json()["invalidParams"][0] == {"name": "period", "in": "body", "reason": invalid.json()["invalidParams"][0]["reason"]}
    assert after == before


def test_sending_the_same_command_id_twice_records_it_once(served):
    with served.client(served.token("operator", "op.retry")) as op:
        take(op, "STO-E2E-RETRY", 13, "pre-register")
        step = body("apply", 13, command_id="6f1c0c52-8d7e-4b7e-9a37-2f0d3f7f1a01")
        first = op.post("/v1/grants/STO-E2E-RETRY/apply", json=step).json()
        again = op.post("/v1/grants/STO-E2E-RETRY/apply", json=step).json()
    assert (first["version"], first["duplicate"]) == (2, False)
    assert (again["version"], again["command_id"]) == (2, first["command_id"])


def test_a_grant_that_has_ended_refuses_every_transition_with_the_rule_that_says_why(served):
    with served.client(served.token("operator", "op.ending")) as op:
        take(op, "STO-E2E-ENDED", 14, "pre-register")
        ended = op.post("/v1/grants/STO-E2E-ENDED/withdraw", json={"reason": "regio trekt zich terug", "effective_at": "2018-10-21T10:00:00+02:00"})
        assert ended.json()["status"] == "withdrawn" and ended.json()["allowed_transitions"] == []
        before = served.settled_events()
        after_the_end = op.post("/v1/grants/STO-E2E-ENDED/apply", json=body("apply", 14))
    assert after_the_end.status_code == 409, after_the_end.text
    assert (after_the_end.json()["rule"], after_the_end.json()["grantStatus"]) == ("lifecycle.transition", "withdrawn")
    assert served.stored_events() == before
