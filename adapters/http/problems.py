"""Every error of the API as Problem Details (RFC 9457, `application/problem+json`), as the API Design Rules want.

The standard members: `type` (a URN per kind of error), `title` (the kind's summary from the one table of
adapters/operators/error_table.py), `status` (the HTTP status from that table), `detail` (what went wrong, this
time) and `instance` (the request's path). Extension members carry what the old `{"error", "message", "hint"}`
bodies carried: `code` (the kind, as the CLI's `--json` names it), `hint` (what to do next), for a refusal
`rule`, `source` and `grantStatus`, for invalid input `invalidParams` (each failing field: `name`, `in`,
`reason`), and the facts of a conflict (`regionCode`, `expectedVersion`, `actualVersion`, `commandId`, ...).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from adapters.operators.error_table import meaning

MEDIA_TYPE = "application/problem+json"
LOCATIONS = ("body", "query", "path", "header", "cookie")
RENAMED = {"status": "grantStatus", "details": "invalidParams"}  # members whose domain name the RFC uses otherwise


class InvalidParam(BaseModel):
    """One field of the request that failed."""

    model_config = ConfigDict(populate_by_name=True)

    name: str = Field(description="the field, dotted within its location (e.g. `granted_per_year.0.year`)")
    location: str = Field(alias="in", description="body, query, path or header")
    reason: str = Field(description="what is wrong with it")


class Problem(BaseModel):
    """An error (RFC 9457 Problem Details) with what to do next."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description="the kind of error, as a URN (`urn:sto:problem:<code>`)")
    title: str = Field(description="the kind of error, in words")
    status: int = Field(description="the HTTP status of this answer")
    detail: str = Field(description="what went wrong, this time")
    instance: str = Field(description="the path of the request")
    code: str = Field(description="the kind of error, as the CLI's `--json` names it (e.g. transition_refused)")
    hint: str | None = Field(None, description="what to do next")
    rule: str | None = Field(None, description="the rule that refused the command (a refusal)")
    source: str | None = Field(None, description="the legal source of that rule (a refusal)")
    grantStatus: str | None = Field(None, description="the grant's status when it was refused (a refusal)")
    invalidParams: list[InvalidParam] | None = Field(None, description="every failing field (invalid input)")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def invalid_param(location: str, name: str, reason: str) -> dict[str, str]:
    return {"name": name or location, "in": location, "reason": reason}


def from_field(field: str, reason: str) -> dict[str, str]:
    """An invalid parameter from a dotted field (`body.reason`, `query.asOf`; a bare name is in the body)."""
    location, _, rest = field.partition(".")
    if location in LOCATIONS:
        return invalid_param(location, rest, reason)
    return invalid_param("body", field, reason)


def problem_body(code: str, detail: str, instance: str, hint: str | None = None, *, status: int | None = None,
                 **extensions: Any) -> dict[str, Any]:
    """The body of the problem `code` (a kind of error_table.py); extensions with value None are left out."""
    kind = meaning(code)
    body: dict[str, Any] = {
        "type": f"urn:sto:problem:{code.replace('_', '-')}",
        "title": kind.summary[:1].upper() + kind.summary[1:],
        "status": status or kind.http_status,
        "detail": detail,
        "instance": instance,
        "code": code,
    }
    if hint:
        body["hint"] = hint
    for name, value in extensions.items():
        if value is not None:
            body[name] = value
    return body


def domain_extensions(data: dict[str, Any]) -> dict[str, Any]:
    """A domain error's `to_dict()` as extension members: `details` as invalidParams, names in camelCase."""
    extensions: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("error", "message", "hint"):
            continue
        if key == "details" and value is not None:
            value = [from_field(str(d.get("field", "body")), str(d.get("problem", ""))) for d in value]
        extensions[RENAMED.get(key, camel(key))] = value
    return extensions
