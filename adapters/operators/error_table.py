"""One table: what each kind of domain error means to a program, as a CLI exit code and as an HTTP status.

Read by the CLI (adapters/cli/output.py) and the HTTP API (adapters/http/errors.py) alike; the kinds are the
codes of domain/errors.py and of the engine client (adapters/engine/sender.py), and the API's own (authentication,
unknown endpoints, limits). The API answers each as `application/problem+json` with the kind as `code` and the
summary as `title` (adapters/http/problems.py).
"""

from __future__ import annotations

from typing import NamedTuple


class Meaning(NamedTuple):
    exit_code: int
    http_status: int
    summary: str


EXIT_FAILED = 1

TABLE: dict[str, Meaning] = {
    "invalid_input": Meaning(2, 400, "the command is wrong; nothing was sent"),
    "transition_refused": Meaning(3, 409, "a rule forbids it (rule, source, hint)"),
    "concurrency_conflict": Meaning(4, 409, "another writer was first: reload and retry"),
    "stale_version": Meaning(4, 409, "your expected version is stale: reload and retry"),
    "command_id_reused": Meaning(4, 409, "the command id belongs to another command"),
    "grant_busy": Meaning(4, 409, "too many commands for this grant under way; nothing was sent: retry"),
    "grant_not_ready": Meaning(4, 409, "the grant is still being created: retry"),
    "grant_not_found": Meaning(5, 404, "no such grant"),
    "grant_not_yet_existing": Meaning(5, 409, "the grant did not exist yet on that day"),
    "unknown_token": Meaning(5, 404, "no such token"),
    "no_calendar_secret": Meaning(5, 404, "no active calendar secret for this region"),
    "unknown_subscription": Meaning(5, 404, "no such webhook subscription"),
    "no_audit_chain": Meaning(EXIT_FAILED, 409, "this store keeps no audit chain (in memory)"),
    "engine_unavailable": Meaning(6, 503, "the engine (Temporal) cannot be reached; nothing was sent"),
    "unauthenticated": Meaning(6, 503, "the worker does not hold this process's engine key"),
    "store_unavailable": Meaning(6, 503, "the event store's database cannot be reached; nothing was written"),
    "installation_fact_unrecorded": Meaning(6, 503, "the store's installation facts could not be recorded: start again"),
    "replay_stalled": Meaning(6, 503, "the replay's time-skipping server stopped moving; what was stored is consistent"),
    "outcome_unknown": Meaning(7, 504, "sent, no answer in time: retry with the same command id"),
    "engine_fault": Meaning(EXIT_FAILED, 500, "the engine failed on this command; nothing was written"),
    # the API's own kinds: a CLI that reaches the store directly never meets these
    "unauthorized": Meaning(EXIT_FAILED, 401, "no valid bearer token"),
    "forbidden": Meaning(EXIT_FAILED, 403, "the token's role or region may not do this"),
    "not_found": Meaning(EXIT_FAILED, 404, "no such endpoint"),
    "method_not_allowed": Meaning(EXIT_FAILED, 405, "the endpoint does not take this method"),
    "payload_too_large": Meaning(EXIT_FAILED, 413, "the request body is too large"),
    "too_many_failed_authentications": Meaning(EXIT_FAILED, 429, "too many failed tokens from this address lately"),
    "internal_error": Meaning(EXIT_FAILED, 500, "the server failed"),
}
UNKNOWN = Meaning(EXIT_FAILED, 500, "an error of another kind")


def meaning(code: str) -> Meaning:
    return TABLE.get(code, UNKNOWN)
