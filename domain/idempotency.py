"""Idempotency as payment APIs have it: a command id names one command, once.

The same command id with the same command (every field but the id itself, as the sender sent it, before
the engine stamped a business time on it) is a retry: it returns the first result, marked `duplicate`.
The same id with another command, or with other fields, is refused (`CommandIdReused`) and writes nothing.
The fingerprint is recorded in every event the command caused, so the check holds across processes,
workflows and years.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson


# optional command fields added after commands were first fingerprinted: left out when not given, so that a
# retry of a command stored before keeps its fingerprint (scheme: 2026-11; revised_amount_cents: 2026-12)
ADDED_LATER = ("scheme", "revised_amount_cents")


def fingerprint(command: Any) -> str:
    """sha256 (hex, 32 characters) over the command's canonical JSON without its command id."""
    data = command.model_dump(mode="json", exclude={"command_id"})
    for added in ADDED_LATER:
        if data.get(added, "") is None:
            del data[added]  # as commands were fingerprinted before the field existed
    try:
        text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a number beyond 64 bits (the models bound every field; this keeps the hash total)
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(text).hexdigest()[:32]


def check_retry(receipt: Any, command: Any, command_fingerprint: str) -> None:
    """Raise CommandIdReused unless `command` repeats the command that `receipt` records."""
    from domain.errors import CommandIdReused

    if receipt.type != command.name:
        raise CommandIdReused(str(command.command_id), receipt.type, command.name)
    if receipt.fingerprint is not None and receipt.fingerprint != command_fingerprint:
        raise CommandIdReused(str(command.command_id), receipt.type, command.name, same_type=True)
