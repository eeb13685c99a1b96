"""The API's answers before any workflow is involved (in-process, in-memory store): 401 before 403 before 422,
JSON bodies for every error, unknown query parameters refused, OpenAPI at /docs and /openapi.json."""

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
        answer = client.post("/api/grants/!!/apply", content=b"\xff not json", headers=auth)
        assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
        assert answer.json()["error"] == "unauthorized" and "sto token create" in answer.json()["hint"]


def test_a_wrong_role_or_region_is_403_before_the_input_is_read(api):
    client, issued = api
    assert client.post("/api/grants/STO-R001/apply", content=b"{", headers=headers(issued["auditor"])).status_code == 403
    foreign = client.get("/api/grants/STO-R002", headers=headers(issued["region"]))
    assert foreign.status_code == 403 and "STO-R001" in foreign.json()["message"]


def test_invalid_input_is_422_naming_each_field(api):
    client, issued = api
    op = headers(issued["operator"])
    body = client.post("/api/grants/STO-R001/approve", json={"reason": " ", "granted_per_year": "lots"}, headers=op).json()
    assert body["error"] == "invalid_input" and {d["field"] for d in body["details"]} == {"body.reason", "body.granted_per_year"}
    undecodable = client.post("/api/grants/STO-R001/accept", content=b"\xff\xfe", headers={**op, "Content-Type": "application/json"})
    assert undecodable.status_code == 422 and undecodable.json()["details"][0]["field"].startswith("body")
    misspelt = client.get("/api/deadlines", params={"asof": "2019-01-01"}, headers=op)
    assert misspelt.status_code == 422 and "as_of" in misspelt.json()["hint"]
    assert client.get("/api/budget", params={"as_of": "1999-01-01"}, headers=op).status_code == 422
    assert client.get("/api/grants/not%20a%20code", headers=op).status_code == 422


def test_unknown_grants_routes_and_methods_answer_in_json(api):
    client, issued = api
    op = headers(issued["operator"])
    assert client.get("/api/grants/STO-R404", headers=op).json()["error"] == "grant_not_found"
    assert client.get("/api/grants/STO-R404/history", headers=op).status_code == 404
    assert client.get("/api/nothing-here").json()["error"] == "not_found"
    assert client.delete("/api/regions", headers=op).json()["error"] == "method_not_allowed"


def test_the_in_memory_store_has_no_chain_to_verify(api):
    client, issued = api
    answer = client.get("/api/audit/verify", headers=headers(issued["auditor"]))
    assert answer.status_code == 409 and answer.json()["error"] == "no_audit_chain"


def test_the_openapi_document_and_its_docs_page_are_served(api):
    client, _ = api
    document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert document["paths"]["/api/grants/{region}/approve"]["post"]["x-sto-access"] == "operator"
    assert "409" in document["paths"]["/api/grants/{region}/approve"]["post"]["responses"]
    assert client.get("/docs").status_code == 200
