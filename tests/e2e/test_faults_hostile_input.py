"""Fault suite, hostile input: values that once wedged a grant or broke every read (2^63 and 10^30 cents,
a date in 2099, a reason of a megabyte, control characters) are refused as invalid input before anything
reaches the engine; nothing is stored; afterwards every read answers 200 and the grant takes its next step (its
verlening drafted by a beoordelaar and taken through its stages by others of the organisation register).
Through the real interfaces: HTTP against `sto serve`, and the CLI.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sto_cli
from tests.e2e.grant_bodies import STEPS, body, take
from tests.support.stages_e2e import pass_stages_api

pytestmark = [pytest.mark.temporal, pytest.mark.slow]

CODE, INDEX = "STO-E2E-HOSTILE", 71
OPERATOR = "op.visser"  # a beoordelaar of the organisation register
R = {"reason": "vijandige invoer (test)", "effective_at": "2019-06-20T10:00:00+02:00"}
G = f"/v1/grants/{CODE}"
YEARS = [{"year": 2020, "amount_cents": 100}]

HOSTILE: list[tuple[str, str, dict, str]] = [
    ("approve 2^63 cents", "approve", {**R, "granted_per_year": [{"year": 2020, "amount_cents": 2**63}]}, "amount_cents"),
    ("approve 10^30 cents", "approve", {**R, "granted_per_year": [{"year": 2020, "amount_cents": 10**30}]}, "amount_cents"),
    ("approve EUR 1 billion and a cent", "approve", {**R, "granted_per_year": [{"year": 2020, "amount_cents": 10**11 + 1}]}, "amount_cents"),
    ("report spent 2^63", "report", {**R, "number": 1, "summary": "x", "spent_cents": 2**63, "cofinancing_realised_cents": 0}, "spent_cents"),
    ("hourly rate 10^30", "hourly-rate", {**R, "rate_cents": 10**30}, "rate_cents"),
    ("extension 2^63", "grant-extension", {**R, "amount_cents": 2**63}, "amount_cents"),
    ("effective in 2099", "approve", {**R, "granted_per_year": YEARS, "effective_at": "2099-01-01T10:00:00+01:00"}, "effective_at"),
    ("effective in 9999", "approve", {**R, "granted_per_year": YEARS, "effective_at": "9999-12-31T10:00:00+01:00"}, "effective_at"),
    ("sent on in 2099", "approve", {**R, "granted_per_year": YEARS, "sent_on": "2099-01-01"}, "sent_on"),
    ("reason of a megabyte", "withdraw", {**R, "reason": "x" * 1_000_000}, "reason"),
    ("reason with NUL", "withdraw", {**R, "reason": "nul\x00byte"}, "reason"),
    ("reason with ESC", "withdraw", {**R, "reason": "\x1b[31mrood\x1b[0m"}, "reason"),
    ("reason with a bidi override", "withdraw", {**R, "reason": "abc\u202edcba"}, "reason"),
    ("grounds with a line separator", "object", {**R, "grounds": "a\u2028b"}, "grounds"),
    ("criterion on two lines", "advise", {**R, "positive": True, "criteria": [{"criterion": "a\nb", "judgement": "sufficient"}]}, "criterion"),
]

READS = ["/v1/regions", "/v1/budget", "/v1/deadlines", G, f"{G}/history", f"{G}/deadlines", "/v1/calendar"]


@pytest.fixture(scope="module")
def operator(served):
    token = served.token("operator", OPERATOR)
    with served.client(token) as op:
        take(op, CODE, INDEX, "pre-register", "apply", "accept", "advise")
    return token


def test_hostile_values_are_refused_as_invalid_input_store_nothing_and_every_read_stays_200(served, operator):
    auditor = served.token("auditor", "aud.hostile")
    before = served.settled_events()
    failures = []
    with served.client(operator) as op:
        for name, transition, request, field in HOSTILE:
            response = op.post(f"{G}/{transition}", json=request)
            text = response.text.lower()
            if response.status_code not in (400, 413) or field not in text:
                failures.append(f"{name}: {response.status_code} {response.text[:200]}")
            if served.stored_events() != before:
                failures.append(f"{name}: the store changed")
                before = served.stored_events()
        for path in READS:
            response = op.get(path)
            if response.status_code != 200:
                failures.append(f"read {path}: {response.status_code} {response.text[:200]}")
        approved = op.post(f"{G}/approve", json=body("approve", INDEX))
        if approved.status_code != 200 or approved.json()["events"] != ["BesluitDrafted"]:
            failures.append(f"the grant's next step: {approved.status_code} {approved.text[:200]}")
    if not failures:  # the verlening drafted; interne controle and the signature under mandate by others
        signed = pass_stages_api(served, CODE, "ApproveGrant", STEPS["approve"])[-1]
        if signed["status"] != "approved":
            failures.append(f"the verlening's stages: {signed}")
    with served.client(auditor) as aud:
        verified = aud.get("/v1/audit/verify")
        if verified.status_code != 200 or verified.json().get("ok") is not True:
            failures.append(f"audit verify: {verified.status_code} {verified.text[:200]}")
    assert not failures, "\n".join(failures)


@pytest.fixture
def sto(served, monkeypatch):
    with sto_cli(served, monkeypatch, actor=OPERATOR) as run:
        yield run


def test_hostile_values_on_the_command_line_exit_2_and_store_nothing(served, operator, sto):
    reason = ["--reason", "vijandig (test)", "--json"]
    cases = [
        ("rate 2^63", ["grant", "hourly-rate", CODE, *reason, "--rate-cents", str(2**63)], "rate_cents"),
        ("extension 10^30", ["grant", "grant-extension", CODE, *reason, "--amount-cents", str(10**30)], "amount_cents"),
        ("effective in 2099", ["grant", "withdraw", CODE, *reason, "--effective-at", "2099-01-01T10:00"], "effective_at"),
        ("reason with ESC", ["grant", "withdraw", CODE, "--reason", "\x1b[2Jweg", "--json"], "reason"),
        ("reason of 100 kB", ["grant", "withdraw", CODE, "--reason", "y" * 100_000, "--json"], "reason"),
    ]
    before = served.settled_events()  # the verlening of the test before: its letter, not this test's doing
    failures = []
    for name, args, field in cases:
        result = sto(*args)
        output = (result.stdout + result.stderr).lower()
        if result.exit_code != 2 or field not in output:
            failures.append(f"{name}: exit {result.exit_code}: {output[:300]}")
        if served.stored_events() != before:
            failures.append(f"{name}: the store changed")
    assert not failures, "\n".join(failures)
