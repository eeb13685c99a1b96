"""What a scheme check finds (`check.py`): a finding with its level, place, problem and what to do."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from domain.regulation.lifecycle import SchemeInfo


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Finding:
    level: Level
    place: str  # where in the file, e.g. steps[3].allowed_from[1]; "" for the file as a whole
    problem: str
    hint: str  # what to do
    rule: str  # which check found it, e.g. reference.term

    def to_dict(self) -> dict[str, str]:
        return {**asdict(self), "level": self.level.value}


@dataclass
class Parsed:
    """The items that parsed, each under its index in the file (the ones that did not are findings already)."""

    raw: dict[str, Any]
    scheme: SchemeInfo | None
    items: dict[str, dict[int, Any]]

    def section(self, name: str) -> list[tuple[int, Any]]:
        return sorted(self.items.get(name, {}).items())

    def keyed(self, name: str, attr: str) -> dict[Any, tuple[int, Any]]:
        """The parsed items of a section by one of their fields: the first item of each key, with its index."""
        found: dict[Any, tuple[int, Any]] = {}
        for index, item in self.section(name):
            found.setdefault(getattr(item, attr), (index, item))
        return found

    def declared(self, name: str, attr: str) -> set[Any]:
        """Every key of a section as written, parsed or not (so that one broken item does not hide the name)."""
        entries = self.raw.get(name, [])
        names = [e.get(attr) for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
        return {n for n in names if isinstance(n, (str, int))}


class Findings(list[Finding]):
    def add(self, level: Level, place: str, problem: str, hint: str, rule: str) -> None:
        self.append(Finding(level, place, problem, hint, rule))

    def error(self, place: str, problem: str, hint: str, rule: str) -> None:
        self.add(Level.ERROR, place, problem, hint, rule)

    def warning(self, place: str, problem: str, hint: str, rule: str) -> None:
        self.add(Level.WARNING, place, problem, hint, rule)

    def note(self, place: str, problem: str, hint: str, rule: str) -> None:
        self.add(Level.NOTE, place, problem, hint, rule)


def stringify_keys(raw: Any) -> Any:
    """As the engine loads a file: table keys as text (a TOML table keyed by year has int-like keys)."""
    if isinstance(raw, dict):
        return {str(k): stringify_keys(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return [stringify_keys(v) for v in raw]
    return raw


def listed(names: set[Any]) -> str:
    return ", ".join(sorted(str(n) for n in names if n is not None)) or "none"
