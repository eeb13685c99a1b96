"""Commands signed by the processes that hold the engine's key, checked by the worker before it writes.

The Temporal frontend takes updates from anyone who can reach it; the API's tokens and roles would mean
nothing if a command sent straight to the frontend were executed. So the CLI and the API sign every
operator command (HMAC-SHA256 over its command id and fingerprint, domain/idempotency.py) with the key
that `sto serve` / `sto worker` keep (`var/engine.key`, or STO_ENGINE_KEY), and the worker's
`execute_command` refuses an unsigned or wrongly signed one before it touches the store. Consequences of
deadlines are made by the workflow itself (actor "system") and carry no signature; they are still decided
by the domain on the stored state. A worker without a key (tests, the embedded replay) checks nothing.
In production, secure the frontend itself as well: mTLS client certificates and a namespace per
environment (README, "Running the engine").
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from domain import commands as c
from domain.errors import DomainError
from domain.idempotency import fingerprint
from domain.values import Role


class Unauthenticated(DomainError):
    code = "unauthenticated"


def signature(key: bytes, command_id: str, command_fingerprint: str) -> str:
    return hmac.new(key, f"{command_id}|{command_fingerprint}".encode(), hashlib.sha256).hexdigest()


class CommandCredentials:
    def __init__(self, key: bytes | None):
        self.key = key

    def sign(self, command: c.Command) -> str | None:
        """The signature of `command` as it is sent (None without a key)."""
        if self.key is None:
            return None
        return signature(self.key, command.command_id.hex, fingerprint(command))

    def verify(self, request: Any) -> None:
        """Raise Unauthenticated unless the request's command is signed with this key (or no key is set)."""
        if self.key is None:
            return
        command = request.command
        if command.actor.role is Role.SYSTEM and isinstance(command, c.ApplyDeadlineConsequence):
            return
        given = request.fingerprint
        # the workflow stamps the business time and the grant's scheme on a command that came without them
        stamped = [{}, {"effective_at": None}, {"scheme": None}, {"effective_at": None, "scheme": None}]
        stated = {fingerprint(command.model_copy(update=unstamp)) for unstamp in stamped}
        if request.signature and given in stated and hmac.compare_digest(
            request.signature, signature(self.key, command.command_id.hex, given)
        ):
            return
        raise Unauthenticated(
            f"{command.name} for {command.region_code} is not signed by a process that holds the engine's key; "
            "nothing was written",
            hint="send commands through the API or the CLI (`sto grant ...`), not straight to Temporal",
        )
