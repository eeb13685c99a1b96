"""The API's version, as the API Design Rules want it: the major version in every path (`/v1`), the full
semantic version in the `API-Version` header of every response and in the OpenAPI document, which is served
at `/v1/openapi.json`. docs/api-changelog.md says what changed in each version."""

from __future__ import annotations

API_VERSION = "1.0.0"
PREFIX = "/v" + API_VERSION.split(".")[0]
OPENAPI_URL = f"{PREFIX}/openapi.json"
CONTACT = {"name": "STO grant engine, beheer DUS-I back office", "email": "sto-engine@sto.example", "url": "https://sto.example/api"}


def is_api(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")
