"""One failure codec: how a domain error crosses Temporal and comes back as the same error.

A refusal, conflict, stale version, unknown grant, not-ready grant, reused command id, invalid input or
engine fault becomes one `ApplicationError` whose type is the error's code and whose first detail is its
`to_dict()` (rule, source, hint and the rest). Activities raise it, the workflow passes it on, the client
turns it back with `domain_error`. Only a race between two writers is worth retrying.
"""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from domain.errors import ConcurrencyConflict, DomainError, EngineFault, StaleVersion, error_from_dict

RETRYABLE = frozenset({ConcurrencyConflict.code})


def to_failure(error: DomainError) -> ApplicationError:
    retryable = error.code in RETRYABLE and not isinstance(error, StaleVersion)
    return ApplicationError(str(error) or error.message, error.to_dict(), type=error.code, non_retryable=not retryable)


def domain_error(failure: ApplicationError) -> DomainError:
    """The domain error a failure carries; a failure of another kind becomes an EngineFault with its text."""
    details = failure.details[0] if failure.details else None
    if isinstance(details, dict) and "error" in details:
        return error_from_dict(details)
    return EngineFault(
        f"the engine failed: {failure.message}",
        hint="nothing was written; see the worker's log, then send the command again with the same command id",
    )


def non_retryable_types() -> list[str]:
    from domain.errors import ERRORS

    return sorted(code for code in ERRORS if code not in RETRYABLE) + ["TransitionRefused", "GrantNotFound", "CommandIdReused"]
