"""Every error as a JSON body that says what went wrong and what to do next, with the fitting status code.

401 no valid token, 403 wrong role or region, 404 unknown grant, 409 refused by a rule (with rule and
source) or a conflict, 413 a body too large, 422 invalid input, 429 too many failed tokens from one address,
503 the engine does not answer. Nothing is written on any of them:
input is checked before a command is built, and a command that a rule refuses is refused by the workflow's
validator before anything enters its history.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters.logging import get_logger
from adapters.operators.error_table import meaning
from domain.errors import DomainError

log = get_logger(__name__)


class FieldProblem(BaseModel):
    field: str
    problem: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(extra="allow")

    error: str
    message: str
    hint: str | None = None
    rule: str | None = None
    source: str | None = None
    status: str | None = None
    details: list[FieldProblem] | None = None


class ApiError(Exception):
    """An error of the API itself (authentication, access, unknown parameters), with its status code."""

    def __init__(self, status_code: int, error: str, message: str, hint: str, headers: dict[str, str] | None = None,
                 **extra: Any):
        super().__init__(message)
        self.status_code = status_code
        self.body = {"error": error, "message": message, "hint": hint, **extra}
        self.headers = headers


def status_for(error: DomainError) -> int:
    """The HTTP status of a domain error: one table for the CLI and the API (adapters/operators/error_table.py)."""
    return meaning(error.code).http_status


def _problems(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"field": ".".join(str(part) for part in e["loc"]) or "body", "problem": e["msg"]} for e in errors]


def invalid_body(problems: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "error": "invalid_input",
        "message": f"{len(problems)} invalid field(s)",
        "details": problems,
        "hint": "correct the fields named in details and send the request again",
    }


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(error.body, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> JSONResponse:
        return JSONResponse(error.to_dict(), status_code=status_for(error))

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(invalid_body(_problems(list(error.errors()))), status_code=422)

    @app.exception_handler(ValidationError)
    async def command_invalid(request: Request, error: ValidationError) -> JSONResponse:
        return JSONResponse(invalid_body(_problems(error.errors())), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400:  # a body FastAPI could not even decode: invalid input like any other
            body = invalid_body([{"field": "body", "problem": f"{error.detail}: send UTF-8 JSON"}])
            return JSONResponse(body, status_code=422)
        name = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        hint = "see /docs for the endpoints and their methods" if error.status_code in (404, 405) else None
        return JSONResponse({"error": name, "message": str(error.detail), "hint": hint}, status_code=error.status_code,
                            headers=getattr(error, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("http.unexpected_error", path=request.url.path, error=type(error).__name__)
        return JSONResponse(
            {"error": "internal_error", "message": f"{type(error).__name__}: the server failed", "hint": "report this with the time of the request"},
            status_code=500,
        )


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no valid bearer token"},
    403: {"model": ErrorBody, "description": "the token's role or region may not do this"},
    422: {"model": ErrorBody, "description": "invalid input: `details` names each wrong field"},
    429: {"model": ErrorBody, "description": "too many failed tokens from this address lately: wait `Retry-After` seconds"},
}
