"""Who may do what: bearer tokens (adapters.operators.tokens) checked before anything else, then the route's access.

Every API route is a `GuardedRoute` with one `Access`:
- OPERATOR: operators only (every transition);
- STAFF: operators and auditors (overviews, budget, verify);
- GRANT: operators, auditors, and the token of the grant's own region (one grant, its deadlines, history, as-of);
- ANYONE: any valid token (who am I, the regulation calendar);
- PUBLIC: no token (health).
The check runs before the request's parameters and body are read, so 401 and 403 come before 400, and a
region token learns nothing about other regions (not even whether they exist). A client address with too many
failed tokens lately gets 429 before its token is even looked at (adapters.http.limits).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Callable

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from adapters.http.errors import ApiError
from adapters.http.limits import client_key
from adapters.http.problems import invalid_param
from adapters.operators.tokens import TokenInfo
from domain.values import Role

ACCESS_KEY = "x-sto-access"


class Access(StrEnum):
    OPERATOR = "operator"
    STAFF = "staff"
    GRANT = "grant"
    ANYONE = "anyone"
    PUBLIC = "public"

    @property
    def description(self) -> str:
        return {
            Access.OPERATOR: "Operators only.",
            Access.STAFF: "Operators and auditors.",
            Access.GRANT: "Operators, auditors, and the token of this grant's own region.",
            Access.ANYONE: "Any valid token.",
            Access.PUBLIC: "No token needed.",
        }[self]

    def allows(self, token: TokenInfo, region_code: str | None) -> bool:
        if self is Access.OPERATOR:
            return token.role is Role.OPERATOR
        if self is Access.STAFF:
            return token.role in (Role.OPERATOR, Role.AUDITOR)
        if self is Access.GRANT:
            if token.role is Role.REGION:
                return region_code is not None and region_code.strip().upper() == token.region_code
            return token.role in (Role.OPERATOR, Role.AUDITOR)
        return True


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A token from `sto token create --role operator|auditor|region [--region R] --name NAME`.",
)


def access(level: Access) -> dict[str, Any]:
    """The `openapi_extra` of a route: its access level, also shown in the OpenAPI document."""
    return {ACCESS_KEY: level.value}


def unauthorized(message: str) -> ApiError:
    return ApiError(
        "unauthorized", message,
        "send `Authorization: Bearer <token>` with a token from `sto token create`; ask an operator for a new one if yours was revoked",
        headers={"WWW-Authenticate": "Bearer"},
    )


def too_many_failures(retry_after: int) -> ApiError:
    return ApiError(
        "too_many_failed_authentications",
        "too many requests from this address came with a token that is not valid; its tokens are not checked for now",
        f"wait {retry_after} s (Retry-After) and send a valid token; ask an operator for a new one if yours was revoked",
        headers={"Retry-After": str(retry_after)},
    )


def authenticate(request: Request) -> TokenInfo:
    """The holder of the request's bearer token; a token that names nobody counts against the client's address."""
    limiter = request.app.state.api.auth_failures
    address = client_key(request.client.host if request.client else None)
    wait = limiter.retry_after(address)
    if wait is not None:
        raise too_many_failures(wait)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("this endpoint needs a bearer token")  # no token tried: nothing to count
    info = request.app.state.api.tokens.verify(token.strip())
    if info is None:
        limiter.failed(address)
        raise unauthorized("the bearer token is not valid (unknown, malformed or revoked)")
    return info


def authorize(level: Access, token: TokenInfo, region_code: str | None) -> None:
    if level.allows(token, region_code):
        return
    if token.role is Role.REGION and level is Access.GRANT:
        message = f"a token of region {token.region_code} reads only that region's grant"
    else:
        message = f"role {token.role.value} may not do this: {level.description.lower()}"
    raise ApiError("forbidden", message, "use a token with the right role (or region)")


def principal(request: Request) -> TokenInfo:
    """The token holder of this request (set by GuardedRoute); use as a dependency."""
    return request.state.principal


def _query_names(dependant: Dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def refuse_unknown_query(request: Request, known: set[str]) -> None:
    """A misspelt parameter (`?asof=`) must not be ignored silently: the answer would be about another day."""
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        takes = ", ".join(sorted(known)) or "no query parameters"
        raise ApiError(
            "invalid_input", f"unknown query parameter(s): {', '.join(map(repr, unknown))}",
            f"this endpoint takes {takes} (query keys are camelCase)",
            invalidParams=[invalid_param("query", name, "unknown parameter") for name in unknown],
        )


class GuardedRoute(APIRoute):
    """Authenticate and authorize before FastAPI reads parameters and body; refuse unknown query parameters."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()
        level = Access((self.openapi_extra or {}).get(ACCESS_KEY, Access.STAFF.value))
        known = _query_names(self.dependant)

        async def guarded(request: Request):
            if level is not Access.PUBLIC:
                token = authenticate(request)
                authorize(level, token, request.path_params.get("region"))
                request.state.principal = token
            refuse_unknown_query(request, known)
            return await handler(request)

        return guarded
