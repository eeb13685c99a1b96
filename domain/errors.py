"""Typed errors of the domain. Each says which rule, its legal source, and what to do next."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "domain_error"

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "hint": self.hint}


class TransitionRefused(DomainError):
    """A rule forbids the command. Nothing was written."""

    code = "transition_refused"

    def __init__(self, rule: str, message: str, source: str, *, hint: str | None = None, status: str | None = None):
        super().__init__(message, hint=hint)
        self.rule = rule
        self.source = source
        self.status = status

    def __str__(self) -> str:
        text = f"refused by rule {self.rule}: {self.message} (source: {self.source})"
        return f"{text}. {self.hint}" if self.hint else text

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "rule": self.rule, "source": self.source, "status": self.status}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TransitionRefused":
        return cls(data["rule"], data["message"], data["source"], hint=data.get("hint"), status=data.get("status"))


class ConcurrencyConflict(DomainError):
    """Another writer changed the grant first. Nothing of this command was written."""

    code = "concurrency_conflict"

    def __init__(self, region_code: str, expected_version: int | None, actual_version: int | None):
        super().__init__(
            f"grant {region_code} was changed by another writer "
            f"(you worked on version {expected_version}, it is now at version {actual_version})",
            hint="reload the grant, check that your command still makes sense, and send it again with a new command id",
        )
        self.region_code = region_code
        self.expected_version = expected_version
        self.actual_version = actual_version

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "region_code": self.region_code,
            "expected_version": self.expected_version,
            "actual_version": self.actual_version,
        }


class StaleVersion(ConcurrencyConflict):
    """The sender saw an older version than the grant has now (expected_version, like HTTP If-Match).

    Unlike a race between two writers, trying again cannot help: the sender must look again first.
    """

    code = "stale_version"


class GrantNotFound(DomainError):
    code = "grant_not_found"

    def __init__(self, region_code: str):
        super().__init__(
            f"no grant for region {region_code}",
            hint="check the region code (`sto regions` lists them); a grant starts with its vooraanmelding",
        )
        self.region_code = region_code


class CommandIdReused(DomainError):
    """A command id that was already used for a different command."""

    code = "command_id_reused"

    def __init__(self, command_id: str, first_type: str, this_type: str):
        super().__init__(
            f"command id {command_id} was already used for {first_type}, not {this_type}",
            hint="every new command needs a new command id; reuse an id only to retry the very same command",
        )
