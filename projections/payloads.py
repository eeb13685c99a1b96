"""Stored event payloads as plain dicts, without building domain objects.

The store keeps each event as JSON written by eventsourcing's JSON transcoder: dates, datetimes, UUIDs and
decimals are wrapped as `{"_type_": "date_iso", "_data_": "2019-06-20"}`. Handlers read the few wrapped
fields they need with `data()`; `plain()` unwraps a whole payload for display.
"""

from __future__ import annotations

from typing import Any, Callable

import orjson

Decode = Callable[[bytes], dict[str, Any]]

# Fields every grant event carries (eventsourcing's and ours): the rest is what is specific to the event.
COMMON_FIELDS = frozenset({
    "originator_id", "originator_version", "timestamp", "originator_topic", "actor", "role", "reason", "rule",
    "legal_basis", "effective_at", "command_id", "command_type",
})


def data(value: Any) -> Any:
    """The transcoded value inside a `{"_type_", "_data_"}` wrapper (an ISO string, a hex UUID), or the value."""
    if type(value) is dict and "_type_" in value:
        return value["_data_"]
    return value


def plain(value: Any) -> Any:
    """A payload with every transcoding wrapper replaced by its data: plain JSON for people and programs."""
    if type(value) is dict:
        if "_type_" in value and "_data_" in value:
            return plain(value["_data_"])
        return {k: plain(v) for k, v in value.items()}
    if type(value) is list:
        return [plain(v) for v in value]
    return value


def specific(payload: dict[str, Any]) -> dict[str, Any]:
    """The fields that are particular to the event (its facts), unwrapped."""
    return {k: plain(v) for k, v in payload.items() if k not in COMMON_FIELDS}


# A stored state as plain JSON (wrappers left in place): orjson, 3-4x the json module here. orjson.loads itself,
# not a function that calls it: one Python call less for each of a rebuild's million records.
decode_json: Decode = orjson.loads


def make_decoder(mapper: Any = None) -> Decode:
    """A fast decoder for stored states: JSON, after the mapper's cipher and compressor if it has them."""
    cipher = getattr(mapper, "cipher", None)
    compressor = getattr(mapper, "compressor", None)
    if cipher is None and compressor is None:
        return decode_json

    def decode(state: bytes) -> dict[str, Any]:
        if cipher is not None:
            state = cipher.decrypt(state)
        if compressor is not None:
            state = compressor.decompress(state)
        return orjson.loads(state)

    return decode
