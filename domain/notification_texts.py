"""The Dutch texts of the engine's messages: data beside the schemes (domain/regulation/data/texts/nl.toml,
section [notifications]), read once at import (never inside a workflow)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

TEXTS_FILE = Path(__file__).parent / "regulation" / "data" / "texts" / "nl.toml"

with open(TEXTS_FILE, "rb") as _fh:
    _ALL: dict[str, Any] = tomllib.load(_fh)
_TEXTS: dict[str, Any] = _ALL["notifications"]
_SCHEMES: dict[str, str] = _ALL.get("schemes", {})


def scheme_title(scheme_id: str) -> str:
    """The scheme's Dutch name (its id when the texts have none)."""
    return _SCHEMES.get(scheme_id, scheme_id)


def say(key: str, **values: Any) -> str:
    """The text `key` with its {placeholders} filled in."""
    return _TEXTS[key].format(**values)


def lines(key: str) -> list[str]:
    """A text of several lines (a closing)."""
    return list(_TEXTS[key])
