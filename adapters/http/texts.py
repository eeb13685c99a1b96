"""The back office's Dutch texts: data beside the scheme's data (domain/regulation/data/texts/nl.toml), read once.

The page renders its fixed labels on the server from them, and its script gets them all as /texts/nl.json to
name statuses, region kinds, roles, transitions and errors in Dutch.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from typing import Any

LANGUAGE = "nl"


@cache
def texts(language: str = LANGUAGE) -> dict[str, Any]:
    source = files("domain.regulation") / "data" / "texts" / f"{language}.toml"
    return tomllib.loads(source.read_text(encoding="utf-8"))


def label(section: str, key: str, **values: Any) -> str:
    """The text `key` of `section`, with `{name}` filled in; the key itself when the data has no such text."""
    text = texts().get(section, {}).get(key, key)
    return text.format(**values) if values else text
