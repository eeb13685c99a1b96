"""Typed errors of the domain. Each says which rule, its legal source, and what to do next."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the domain raises on purpose.

    Each kind has a `code`; `to_dict` and `from_dict` carry it across any boundary (Temporal, HTTP, JSON)
    and back as the same error. `ERRORS` finds the class of a code."""

    code = "domain_error"

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:  # a kind of its own (a subclass without a code is read as its base)
            ERRORS[cls.code] = cls

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "hint": self.hint}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DomainError":
        error = cls.__new__(cls)
        DomainError.__init__(error, data.get("message", ""), hint=data.get("hint"))
        for key, value in data.items():
            if key not in ("error", "message", "hint"):
                setattr(error, key, value)
        return error


ERRORS: dict[str, type[DomainError]] = {}


def error_from_dict(data: dict[str, Any]) -> DomainError:
    """The domain error a dict of `to_dict` describes (an unknown code: a plain DomainError with its text)."""
    cls = ERRORS.get(str(data.get("error")), DomainError)
    return cls.from_dict(data)


class EngineFault(DomainError):
    """The engine failed on this command for a reason retrying cannot cure (a bug, a value it cannot store).
    Nothing was written; the grant takes other commands as before."""

    code = "engine_fault"


class GrantNotReady(DomainError):
    """The grant's workflow has not recorded its vooraanmelding yet."""

    code = "grant_not_ready"


class InvalidInput(DomainError):
    """The command itself is wrong (a field out of bounds, a date too far ahead): nothing was sent or written."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str, hint: str):
        super().__init__(message, hint=hint)
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "details": [{"field": self.field, "problem": self.message}]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "InvalidInput":
        details = data.get("details") or [{}]
        return cls(data.get("message", ""), field=details[0].get("field", "body"), hint=data.get("hint") or "")


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
        return cls(data.get("rule", "unknown"), data.get("message", ""), data.get("source", ""), hint=data.get("hint"),
                   status=data.get("status"))


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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ConcurrencyConflict":
        return cls(data.get("region_code", "?"), data.get("expected_version"), data.get("actual_version"))


class StaleVersion(ConcurrencyConflict):
    """The sender saw an older version than the grant has now (expected_version, like HTTP If-Match).

    Unlike a race between two writers, trying again cannot help: the sender must look again first.
    """

    code = "stale_version"


class GrantNotFound(DomainError):
    code = "grant_not_found"

    def __init__(self, region_code: str, hint: str | None = None):
        super().__init__(
            f"no grant for region {region_code}",
            hint=hint or "check the region code (`sto regions` lists them); a grant starts with its vooraanmelding",
        )
        self.region_code = region_code

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "region_code": self.region_code}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GrantNotFound":
        return cls(data.get("region_code", "?"))


class CommandIdReused(DomainError):
    """A command id that was already used for a different command."""

    code = "command_id_reused"

    def __init__(self, command_id: str, first_type: str, this_type: str, *, same_type: bool = False):
        used_for = f"another {first_type} (with other fields)" if same_type else first_type
        super().__init__(
            f"command id {command_id} was already used for {used_for}, not this {this_type}; nothing was written",
            hint="every new command needs a new command id; reuse an id only to retry the very same command "
            "with the very same fields",
        )
        self.command_id = command_id
        self.first_type = first_type

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "command_id": self.command_id, "first_type": self.first_type}
