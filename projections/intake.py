"""The intake checks of the read models: every number a handler takes from a payload is an integer that the
views' BIGINT columns hold, and the texts every read depends on are strings (projections/grant_rows.py says why).
A record whose values fail them raises UnstorableValue, and the projector quarantines it with its grant."""

from __future__ import annotations

from typing import Any, Callable

from domain.values import GrantStatus

Row = dict[str, Any]
Handler = Callable[[Row, dict[str, Any]], None]

MIN_INTEGER, MAX_INTEGER = -(2**63), 2**63 - 1  # what a BIGINT holds (SQLite INTEGER, PostgreSQL BIGINT)
STATUSES = frozenset(s.value for s in GrantStatus)


class UnstorableValue(ValueError):
    """A value from a payload that a grant row cannot hold: the record is quarantined, not projected."""


# The intake checks: a few bytecodes per value on the everyday path (`bit_length() < 64` is the BIGINT range
# but for -2**63 itself, which the exact check below lets through); the message that names the column is
# worked out only when a value fails.

def integers(columns: tuple[str, ...] | str, values: tuple) -> tuple:
    """`values` as they are, if each is an integer (not a float, bool or string) that a BIGINT holds.
    `columns` names them, one each, or one name for all (the years of `granted_per_year`)."""
    for value in values:
        if type(value) is not int or value.bit_length() > 63:
            break
    else:
        return values
    names = (columns,) * len(values) if type(columns) is str else columns
    for column, value in zip(names, values):
        if type(value) is not int:
            raise UnstorableValue(f"{column}: {type(value).__name__} {_shown(value)} is not an integer")
        if not MIN_INTEGER <= value <= MAX_INTEGER:
            raise UnstorableValue(f"{column}: {_shown(value)} is outside the signed 64-bit range the views store")
    return values


def cents(value: Any, column: str) -> int:
    if type(value) is int and value.bit_length() < 64:
        return value
    return integers((column,), (value,))[0]


def text(value: Any, column: str) -> str:
    if type(value) is str:
        return value
    raise UnstorableValue(f"{column}: {type(value).__name__} {_shown(value)} is not a string")


def status(value: Any) -> str:
    if value in STATUSES:
        return value
    raise UnstorableValue(f"status: {_shown(value)} is not a grant status")


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."
