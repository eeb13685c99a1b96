"""What the views database said when it refused a value, for the quarantine's entry and the log."""

from __future__ import annotations

from typing import Any

from projections.grant_rows import JSON_COLUMNS, Row


def suspect(columns: tuple[str, ...], values: Row | tuple) -> str:
    """The column a refusal is most likely about, for the message: a value of a type no column takes, a NUL, a
    number out of range (the database's own message seldom names it)."""
    items = values.items() if isinstance(values, dict) else zip(columns, values)
    for column, value in items:
        if column in JSON_COLUMNS:
            continue
        if not (value is None or type(value) in (str, int, float)) or (type(value) is str and "\x00" in value) \
                or (type(value) is int and value.bit_length() > 63):
            return f" ({column})"
    return ""


def said(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"
