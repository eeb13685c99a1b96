"""The API's answers before any workflow is involved (in-process, in-memory store): 401 before 403 before 400,
problem+json bodies for every error, unknown query parameters refused, OpenAPI at /docs and /v1/openapi.json."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from adapters.http.app import create_app
from adapters.http.context import ApiSettings


@pytest.fixture(scope="module")
def api():
    app = create_app(ApiSettings(database_url="memory:"))
    tokens = app.state.api.tokens
    issued = {
        role: tokens.issue(f"{role} test", role, "STO-R001" if role == "region" else None, created_by="tests").token
        for role in ("operator", "auditor", "region")
    }
    with TestClient(app) as client:
        yield client, issued


def headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def test_without_a_valid_token_the_answer_is_401_even_for_broken_input(api):
    client, _ = api
    for auth in ({}, {"Authorization": "Basic b3A6b3A="}, headers("sto_12345678_" + "x" * 43)):
        answer = client.post("/v1/grants/!!/apply", content=b"\xff not json", headers=auth)
        assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
        assert answer.json()["code"] == "unauthorized" and "sto token create" in answer.json()["hint"]


def test_a_wrong_role_or_region_is_403_before_the_input_is_read(api):
    client, issued = api
    assert client.post("/v1/grants/STO-R001/apply", content=b"{", headers=headers(issued["auditor"])).status_code == 403
    foreign = client.get("/v1/grants/STO-R002", headers=headers(issued["region"]))
    assert foreign.status_code == 403 and "STO-R001" in foreign.json()["detail"]


def test_invalid_input_is_400_naming_each_field(api):
    client, issued = api
    op = headers(issued["operator"])
    body = client.post("/v1/grants/STO-R001/approve", json={"reason": " ", "granted_per_year": "lots"}, headers=op).json()
    assert body["code"] == "invalid_input" and body["status"] == 400
    assert {(p["in"], p["name"]) for p in body["invalidParams"]} == {("body", "reason"), ("body", "granted_per_year")}
    undecodable = client.post("/v1/grants/STO-R001/accept", content=b"\xff\xfe", headers={**op, "Content-Type": "application/json"})
    assert undecodable.status_code == 400 and undecodable.json()["invalidParams"][0]["in"] == "body"
    misspelt = client.get("/v1/deadlines", params={"as_of": "2019-01-01"}, headers=op)  # query keys are camelCase
    assert misspelt.status_code == 400 and "asOf" in misspelt.json()["hint"]
    assert misspelt.json()["invalidParams"] == [{"name": "as_of", "in": "query", "reason": "unknown parameter"}]
    early = client.get("/v1/budget", params={"asOf": "1999-01-01"}, headers=op)
    assert early.status_code == 400 and early.json()["invalidParams"][0]["name"] == "asOf"
    path = client.get("/v1/grants/not%20a%20code", headers=op)
    assert path.status_code == 400 and path.json()["invalidParams"][0] == {**path.json()["invalidParams"][0], "in": "path", "name": "region"}


def test_unknown_grants_routes_and_methods_answer_in_json(api):
    client, issued = api
    op = headers(issued["operator"])
    assert client.get("/v1/grants/STO-R404", headers=op).json()["code"] == "grant_not_found"
    assert client.get("/v1/grants/STO-R404/history", headers=op).status_code == 404
    assert client.get("/v1/nothing-here").json()["code"] == "not_found"
    assert client.delete("/v1/regions", headers=op).json()["code"] == "method_not_allowed"


def test_the_in_memory_store_has_no_chain_to_verify(api):
    client, issued = api
    answer = client.get("/v1/audit/verify", headers=headers(issued["auditor"]))
    assert answer.status_code == 409 and answer.json()["code"] == "no_audit_chain"


def test_the_openapi_document_and_its_docs_page_are_served(api):
    client, _ = api
    answer = client.get("/v1/openapi.json")  # no token
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "*"
    document = answer.json()
    assert document["info"]["version"] == "1.0.0" == answer.headers["api-version"]
    assert {"name", "email", "url"} <= set(document["info"]["contact"])
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    approve = document["paths"]["/v1/grants/{region}/approve"]["post"]
    assert approve["x-sto-access"] == "operator"
    assert approve["responses"]["409"]["content"] == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert "422" not in approve["responses"] and "400" in approve["responses"]
    assert all(path.startswith("/v1/") for path in document["paths"])
    preflight = client.options("/v1/openapi.json", headers={"Origin": "https://elders.example", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
    assert client.get("/docs").status_code == 200
