"""Every error as Problem Details (`application/problem+json`, adapters.http.problems) that says what went wrong
and what to do next, with the status of the one table (adapters/operators/error_table.py).

400 invalid input (every failing field in `invalidParams`), 401 no valid token, 403 wrong role or region, 404 unknown
grant or endpoint (a trailing slash too: no redirects), 405 a method the endpoint does not take (with `Allow`),
409 refused by a rule (with `rule` and `source`) or a conflict, 413 a body too large, 429 too many failed tokens
from one address, 503 the engine does not answer. Nothing is written on any of them: input is checked before a
command is built, and a command that a rule refuses is refused by the workflow's validator before anything enters
its history.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters.http.problems import MEDIA_TYPE, Problem, domain_extensions, from_field, invalid_param, problem_body
from adapters.logging import get_logger
from adapters.operators.error_table import meaning
from domain.errors import DomainError

log = get_logger(__name__)


class ApiError(Exception):
    """An error of the API itself (authentication, access, unknown parameters): a kind of the error table."""

    def __init__(self, code: str, message: str, hint: str, headers: dict[str, str] | None = None, **extensions: Any):
        super().__init__(message)
        self.code = code
        self.status_code = meaning(code).http_status
        self.message = message
        self.hint = hint
        self.extensions = extensions
        self.headers = headers


def status_for(error: DomainError) -> int:
    """The HTTP status of a domain error: one table for the CLI and the API (adapters/operators/error_table.py)."""
    return meaning(error.code).http_status


def problem(request: Request, code: str, detail: str, hint: str | None = None, *, headers: dict[str, str] | None = None,
            **extensions: Any) -> JSONResponse:
    body = problem_body(code, detail, request.url.path, hint, **extensions)
    return JSONResponse(body, status_code=body["status"], headers=headers, media_type=MEDIA_TYPE)


def _params(errors: list[dict[str, Any]], *, located: bool) -> list[dict[str, str]]:
    """pydantic's errors as invalid parameters; `located`: the first part of each location is body/query/path."""
    params = []
    for error in errors:
        parts = [str(part) for part in error["loc"]]
        location = parts.pop(0) if located and parts else "body"
        params.append(invalid_param(location, ".".join(parts), error["msg"]))
    return params


def invalid(request: Request, params: list[dict[str, str]]) -> JSONResponse:
    names = ", ".join(f"{p['in']}.{p['name']}" if p["name"] != p["in"] else p["in"] for p in params)
    return problem(request, "invalid_input", f"{len(params)} invalid field(s): {names}",
                   "correct the fields named in invalidParams and send the request again", invalidParams=params)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return problem(request, error.code, error.message, error.hint, headers=error.headers, **error.extensions)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> JSONResponse:
        return problem(request, error.code, error.message, error.hint, **domain_extensions(error.to_dict()))

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        return invalid(request, _params(list(error.errors()), located=True))

    @app.exception_handler(ValidationError)
    async def command_invalid(request: Request, error: ValidationError) -> JSONResponse:
        return invalid(request, _params(list(error.errors()), located=False))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        headers = getattr(error, "headers", None)
        if error.status_code == 400:  # a body FastAPI could not even decode: invalid input like any other
            return invalid(request, [from_field("body", f"{error.detail}: send UTF-8 JSON")])
        if error.status_code == 404:
            return problem(request, "not_found", f"{request.url.path} is no endpoint of this API",
                           "see /v1/openapi.json (or /docs) for the endpoints; paths end without a slash", headers=headers)
        if error.status_code == 405:
            allowed = (headers or {}).get("Allow", "")
            return problem(request, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}",
                           f"use {allowed}" if allowed else "see /v1/openapi.json for the methods", headers=headers)
        return problem(request, "internal_error", str(error.detail), None, headers=headers, status=error.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("http.unexpected_error", path=request.url.path, error=type(error).__name__)
        return problem(request, "internal_error", f"{type(error).__name__}: the server failed",
                       "report this with the time of the request")


def documented(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: documented("invalid input: `invalidParams` names each wrong field"),
    401: documented("no valid bearer token"),
    403: documented("the token's role or region may not do this"),
    429: documented("too many failed tokens from this address lately: wait `Retry-After` seconds"),
}
GRANT_NOT_FOUND = documented("no grant for this region")
