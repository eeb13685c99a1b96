"""The API keeps the API Design Rules (version 2), in-process (FastAPI TestClient, in-memory store): every error
of every kind is `application/problem+json` (RFC 9457) with the status of the one error table, every answer
carries `API-Version`, a trailing slash is 404 (no redirect), invalid input is 400 naming each field, an
unsupported method 405 with `Allow`, query keys are camelCase, and every path begins with /v1."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

import adapters.engine.grants_client  # noqa: F401  (registers the engine's error kinds)
from adapters.http.app import create_app
from adapters.http.context import ApiSettings
from adapters.http.versioning import API_VERSION
from adapters.engine.temporal import TemporalSettings, free_port
from adapters.operators.error_table import TABLE
from domain.errors import ERRORS, DomainError, TransitionRefused

PROBLEM = "application/problem+json"
STANDARD = {"type", "title", "status", "detail", "instance"}
FACTS = {"region_code": "STO-R001", "expected_version": 1, "actual_version": 2, "rule": "r", "source": "s",
         "status": "approved", "command_id": "c-1", "first_type": "AcceptApplication", "field": "reason",
         "day": "2019-01-01", "first": "2019-02-01"}


@pytest.fixture
def api():  # one app per test: the test of 429 locks its client out
    nowhere = TemporalSettings(address=f"127.0.0.1:{free_port()}")  # no Temporal listens there
    app = create_app(ApiSettings(database_url="memory:", max_body_bytes=2000, auth_failure_limit=2,
                                 temporal=nowhere, command_timeout_seconds=3))
    issue = app.state.api.tokens.issue
    tokens = {role: issue(f"{role} rules", role, "STO-R001" if role == "region" else None, created_by="tests").token
              for role in ("operator", "auditor", "region")}

    @app.get("/v1/raise/{code}", include_in_schema=False)
    def raise_kind(code: str):  # every kind of domain error, as the routes raise them
        cls = ERRORS[code]
        error = cls.__new__(cls)  # each kind with its facts set, whatever its constructor asks
        DomainError.__init__(error, f"a {code} happened", hint="do the next thing")
        for name, value in FACTS.items():
            setattr(error, name, value)
        raise error

    @app.get("/v1/refuse", include_in_schema=False)
    def refuse():
        raise TransitionRefused("lifecycle.transition", "not now", "Subsidieregeling STO, art. 9", hint="wait",
                                status="pre_registered")

    @app.get("/v1/crash", include_in_schema=False)
    def crash():
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, {role: {"Authorization": f"Bearer {t}"} for role, t in tokens.items()}


def assert_problem(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM, answer.headers["content-type"]
    assert answer.headers["api-version"] == API_VERSION
    body = answer.json()
    assert STANDARD <= set(body), body
    assert body["status"] == status and body["code"] == code and body["type"] == f"urn:sto:problem:{code.replace('_', '-')}"
    assert body["instance"] == answer.request.url.path and body["title"] and body["detail"]
    return body


def test_every_kind_of_domain_error_is_a_problem_with_the_status_of_the_one_table(api):
    client, who = api
    kinds = [code for code in TABLE if code in ERRORS]
    assert {"transition_refused", "stale_version", "grant_not_found", "invalid_input", "engine_unavailable"} <= set(kinds)
    for code in kinds:
        body = assert_problem(client.get(f"/v1/raise/{code}", headers=who["operator"]), TABLE[code].http_status, code)
        assert body["detail"] and body["hint"], code  # each kind says what happened and what to do next


def test_a_refusal_carries_its_rule_source_hint_and_the_grants_status_as_extension_members(api):
    client, who = api
    body = assert_problem(client.get("/v1/refuse", headers=who["operator"]), 409, "transition_refused")
    assert (body["rule"], body["source"], body["hint"], body["grantStatus"]) == (
        "lifecycle.transition", "Subsidieregeling STO, art. 9", "wait", "pre_registered")


def test_each_error_of_the_api_itself_is_a_problem_too(api):
    client, who = api
    assert_problem(client.get("/v1/regions"), 401, "unauthorized")
    assert_problem(client.get("/v1/regions", headers=who["region"]), 403, "forbidden")
    assert_problem(client.get("/v1/grants/STO-R404", headers=who["operator"]), 404, "grant_not_found")
    assert_problem(client.get("/v1/no-such-thing", headers=who["operator"]), 404, "not_found")
    assert_problem(client.put("/v1/regions", headers=who["operator"]), 405, "method_not_allowed")
    assert_problem(client.get("/v1/audit/verify", headers=who["auditor"]), 409, "no_audit_chain")
    too_big = client.post("/v1/grants/STO-R001/accept", content=b"x" * 3000, headers={**who["operator"], "Content-Type": "application/json"})
    assert_problem(too_big, 413, "payload_too_large")
    assert_problem(client.get("/v1/crash", headers=who["operator"]), 500, "internal_error")
    sent = client.post("/v1/grants/STO-R001/accept", json={"reason": "aanvraag compleet"}, headers=who["operator"])
    assert_problem(sent, 503, "engine_unavailable")  # Temporal is not there: nothing sent
    bad = {"Authorization": "Bearer sto_12345678_" + "x" * 43}
    assert [client.get("/v1/me", headers=bad).status_code for _ in range(2)] == [401, 401]
    limited = assert_problem(client.get("/v1/me", headers=bad), 429, "too_many_failed_authentications")
    assert limited["hint"]


def test_invalid_input_is_400_with_every_failing_field_named(api):
    client, who = api
    body = assert_problem(client.post("/v1/grants/STO-R001/report", headers=who["operator"],
                                      json={"reason": "", "number": 7, "spent_cents": "veel", "colour": "red"}), 400, "invalid_input")
    params = {(p["in"], p["name"]) for p in body["invalidParams"]}
    assert {("body", "reason"), ("body", "number"), ("body", "spent_cents"), ("body", "colour"), ("body", "summary")} <= params
    assert all(p["reason"] for p in body["invalidParams"])
    query = assert_problem(client.get("/v1/deadlines", params={"within": "soon", "asOf": "gisteren"}, headers=who["operator"]),
                           400, "invalid_input")
    assert {(p["in"], p["name"]) for p in query["invalidParams"]} == {("query", "within"), ("query", "asOf")}


def test_every_answer_carries_the_api_version_header(api):
    client, who = api
    for path in ("/", "/v1/openapi.json", "/v1/health", "/v1/me", "/v1/regions", "/docs", "/static/app.js", "/nowhere"):
        assert client.get(path, headers=who["operator"]).headers["api-version"] == API_VERSION, path
    assert re.fullmatch(r"\d+\.\d+\.\d+", API_VERSION)


@pytest.mark.parametrize("path", ["/v1/regions/", "/v1/me/", "/v1/grants/STO-R001/", "/v1/openapi.json/", "/v1/"])
def test_a_trailing_slash_is_404_and_never_a_redirect(api, path):
    client, who = api
    answer = client.get(path, headers=who["operator"], follow_redirects=False)
    assert_problem(answer, 404, "not_found")
    assert "location" not in answer.headers


def test_a_method_the_endpoint_does_not_take_is_405_naming_the_allowed_ones(api):
    client, who = api
    for method, path, allowed in [("DELETE", "/v1/regions", "GET"), ("POST", "/v1/grants/STO-R001", "GET"),
                                  ("GET", "/v1/grants/STO-R001/accept", "POST"), ("PUT", "/v1/openapi.json", "GET")]:
        answer = client.request(method, path, headers=who["operator"])
        body = assert_problem(answer, 405, "method_not_allowed")
        assert allowed in answer.headers["allow"].split(", ") and allowed in body["hint"], (method, path)


def test_paths_are_versioned_and_kebab_case_and_query_keys_camel_case(api):
    client, _ = api
    document = client.get("/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        assert path.startswith("/v1/"), path
        for segment in path.split("/")[1:]:
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*|\{[a-z][A-Za-z]*\}", segment), path
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    assert re.fullmatch(r"[a-z][A-Za-z0-9]*", parameter["name"]), (path, parameter["name"])
