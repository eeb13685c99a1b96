"""The OpenAPI document as the API Design Rules want it (served at /v1/openapi.json, no token, any origin).

FastAPI's own document is amended once: contact and the semantic version in `info`; every error answer as
`application/problem+json` with the Problem schema (adapters.http.problems), 400 instead of FastAPI's 422 for
invalid input (and its HTTPValidationError schemas gone); the `API-Version` header declared on every answer; and
on every collection (an operation that takes `pageSize`: adapters/http/paging.py) the `Link` header of its next
page declared on its 200 answer.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from adapters.http.paging import LINK_HEADER
from adapters.http.problems import MEDIA_TYPE, camel
from adapters.http.versioning import API_VERSION, CONTACT

VERSION_HEADER = {
    "description": "the semantic version of the API that answered (API Design Rules /core/version-header)",
    "schema": {"type": "string", "example": API_VERSION},
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
FASTAPI_ONLY = ("HTTPValidationError", "ValidationError")


def _amend_responses(responses: dict[str, Any]) -> None:
    invalid = responses.pop("422", None)
    if invalid is not None and "400" not in responses:
        responses["400"] = {"description": "invalid input: `invalidParams` names each wrong field"}
    for status, answer in responses.items():
        if status == "default" or int(status) >= 400:
            answer["content"] = {MEDIA_TYPE: {"schema": PROBLEM_REF}}
        answer.setdefault("headers", {})["API-Version"] = {"$ref": "#/components/headers/API-Version"}


def document(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=API_VERSION, description=app.description, routes=app.routes,
                             tags=app.openapi_tags)
        schema["info"]["contact"] = dict(CONTACT)  # as data: FastAPI's model of it wants the email-validator package
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                _amend_responses(operation.get("responses", {}))
                if any(p.get("name") == "pageSize" for p in operation.get("parameters", [])):
                    ok = operation["responses"].get("200", {})
                    ok.setdefault("headers", {})["Link"] = {"$ref": "#/components/headers/Link"}
        components = schema.setdefault("components", {})
        for name in FASTAPI_ONLY:
            components.get("schemas", {}).pop(name, None)
        components.setdefault("headers", {})["API-Version"] = VERSION_HEADER
        components["headers"]["Link"] = LINK_HEADER
        app.openapi_schema = schema
    return app.openapi_schema


def operation_id(route: APIRoute) -> str:
    """An operation's id: its function's name in camelCase (`grant_deadlines` -> `grantDeadlines`)."""
    return camel(route.name)


def install(app: FastAPI) -> None:
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
