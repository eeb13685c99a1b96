"""Check a scheme file before the engine runs it: every problem named with its place in the file and what to do.

`check_scheme(raw_or_path)` parses the scheme with the very models the engine loads it with (`model.py`,
`lifecycle.py`), one item at a time so that one bad item does not hide the others, and then checks what the
models alone cannot: that every name the file uses exists (terms, parameters, versions, besluiten, states,
steps of the step library, conditions of `domain/deadlines.py`, consequences, region kinds), that dates run
in order, that the parameters the rules read have the unit and the shape those rules expect, that every
value and step has a legal source, and that nothing is declared twice (`check_rules.py`, `check_units.py`,
`check_order.py`).

A finding's place is a path into the file as loaded, counted from 0: `steps[3].allowed_from[1]` is the
second state of the fourth `[[steps]]`. Levels: `error` (the engine would refuse to load the file or would
fail on it), `warning` (it loads, but something is probably wrong), `note` (worth knowing: an unconfirmed
source, a value the checker cannot judge). Pure: the only file read is the one the caller names, and the
shipped schemes, which the engine reads anyway.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any, Mapping

from pydantic import BaseModel, ValidationError

from domain.regulation import check_order, check_rules, check_units
from domain.regulation.check_findings import Finding, Findings, Level, Parsed, stringify_keys
from domain.regulation.calendar import Regulation
from domain.regulation.lifecycle import ApplicationRound, DeadlineRule, RegionKindRule, SchemeInfo, Step
from domain.regulation.procedures import Procedure
from domain.regulation.model import Besluit, Parameter, RegulationData, RegulationVersion, Term


# The sections of a scheme file that are lists of tables, and the model of one item of each.
SECTIONS: dict[str, type[BaseModel]] = {
    "versions": RegulationVersion,
    "terms": Term,
    "parameters": Parameter,
    "besluiten": Besluit,
    "steps": Step,
    "application_rounds": ApplicationRound,
    "deadlines": DeadlineRule,
    "region_kinds": RegionKindRule,
    "procedures": Procedure,
}
REQUIRED = ("name", "scheme", "versions", "terms", "parameters")


def check_scheme(raw_or_path: Mapping[str, Any] | Path | str, *, shipped: Mapping[str, Path] | None = None) -> list[Finding]:
    """Every problem of a scheme file (a path, or the TOML as loaded), errors first, each in file order.

    `shipped` maps the id of every shipped scheme to its file (default: the engine's own `data/schemes/`):
    a file that is not one of them may not take one of their ids."""
    findings = Findings()
    path: Path | None = None
    if isinstance(raw_or_path, (str, Path)):
        path = Path(raw_or_path)
        try:
            raw: Any = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            findings.error("", f"not valid TOML: {error}", "correct the syntax at the line and column named", "file.toml")
            return list(findings)
        except RecursionError:  # arrays or tables nested thousands deep: more than the parser can hold
            findings.error("", "nested too deeply to be read as TOML", "start from a shipped scheme file: its values "
                           "are nested a few levels at most", "file.toml")
            return list(findings)
        except (OSError, UnicodeDecodeError) as error:
            findings.error("", f"cannot read {path}: {error}", "name a readable scheme file (UTF-8 TOML)", "file.read")
            return list(findings)
    else:
        raw = raw_or_path
    if not isinstance(raw, Mapping):
        findings.error("", "a scheme file is a TOML document with tables", "start from a shipped scheme file", "file.shape")
        return list(findings)
    parsed = parse(stringify_keys(dict(raw)), findings)
    check_rules.check_references(parsed, findings)
    check_units.check_parameters(parsed, findings)
    check_order.check_dates(parsed, findings)
    check_order.check_uniqueness(parsed, findings)
    check_order.check_sources(parsed, findings)
    check_order.check_shipped_id(parsed, findings, path, shipped)
    if not any(f.level is Level.ERROR for f in findings):
        _check_as_engine_loads(parsed.raw, findings)
    order = {Level.ERROR: 0, Level.WARNING: 1, Level.NOTE: 2}
    return sorted(findings, key=lambda f: order[f.level])  # stable: file order within a level


def parse(raw: dict[str, Any], findings: Findings) -> Parsed:
    """Each section's items with their model, one at a time: a broken item is a finding, the rest still parse."""
    known = set(RegulationData.model_fields)
    for key in raw:
        if key not in known:
            findings.error(key, f"unknown section {key!r}", f"remove it or correct its name; a scheme file has {', '.join(sorted(known))}", "file.section")
    for key in REQUIRED:
        if key not in raw:
            findings.error(key, f"the file has no `{key}`", f"add `{key}` (see a shipped scheme file and the README: How to add a scheme)", "file.section")
    if "name" in raw and not isinstance(raw["name"], str):
        findings.error("name", "the name is not text", 'write name = "Subsidieregeling ..."', "file.shape")
    scheme = _one(SchemeInfo, raw["scheme"], "scheme", findings) if "scheme" in raw else None
    items: dict[str, dict[int, Any]] = {}
    for section, model in SECTIONS.items():
        entries = raw.get(section, [])
        if not isinstance(entries, list):
            findings.error(section, f"`{section}` is not a list of tables", f"write each as [[{section}]]", "file.shape")
            continue
        items[section] = {}
        for index, entry in enumerate(entries):
            item = _one(model, entry, f"{section}[{index}]", findings)
            if item is not None:
                items[section][index] = item
    return Parsed(raw=raw, scheme=scheme, items=items)


def _one(model: type[BaseModel], entry: Any, place: str, findings: Findings) -> Any:
    try:
        item = model.model_validate(entry)
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            where = place + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in detail["loc"])
            findings.error(where, _problem(detail), _hint(detail, model), f"model.{detail['type']}")
        return None
    return item if _strict(model, entry, place, findings) else None


def _strict(model: type[BaseModel], entry: dict[str, Any], place: str, findings: Findings) -> bool:
    """What the models let pass but a scheme may not say: blank names and titles, a date written as a number
    (pydantic reads 0 as 1 January 1970). True when the entry has none of these."""
    clean = True
    for name, field in model.model_fields.items():
        value = entry.get(name)
        annotation = field.annotation
        if annotation is str and isinstance(value, str) and not value.strip():
            findings.error(f"{place}.{name}", "blank text", f"write the {name}, or remove the item", "model.blank")
            clean = False
        elif annotation in (dt.date, dt.date | None) and isinstance(value, (int, float)) and not isinstance(value, bool):
            findings.error(f"{place}.{name}", f"{value!r} is a number, not a date", "write a TOML date, YYYY-MM-DD", "model.date")
            clean = False
        nested = [a for a in getattr(annotation, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)]
        if nested and isinstance(value, list):
            for index, sub in enumerate(value):
                if isinstance(sub, dict):
                    clean = _strict(nested[0], sub, f"{place}.{name}[{index}]", findings) and clean
    return clean


def _problem(detail: Mapping[str, Any]) -> str:
    kind = detail["type"]
    if kind == "missing":
        return "required field missing"
    if kind == "extra_forbidden":
        return "unknown field"
    value = detail.get("input")
    if kind == "enum":
        return f"{value!r} is not one of the names the engine knows here"
    shown = repr(value) if not isinstance(value, (dict, list)) or len(repr(value)) < 80 else type(value).__name__
    return f"{shown}: {detail['msg']}"


def _hint(detail: Mapping[str, Any], model: type[BaseModel]) -> str:
    kind = detail["type"]
    if kind == "missing":
        return f"add `{detail['loc'][-1]}`"
    if kind == "extra_forbidden":
        owner = _owner(model, detail["loc"])
        fields = f"; the fields of {owner.__name__} are {', '.join(owner.model_fields)}" if owner else ""
        return f"remove `{detail['loc'][-1]}` or correct its spelling{fields}"
    if kind == "enum":
        return f"use one of {detail.get('ctx', {}).get('expected', 'the names the engine knows')}"
    if kind.startswith("date"):
        return "write a date as a TOML date, YYYY-MM-DD"
    if kind == "string_pattern_mismatch":
        return f"write it to match {detail.get('ctx', {}).get('pattern')}"
    return "correct the value as the message says"


def _owner(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model that owns the last field of `loc` (a nested item's model, e.g. LegalSource under `source`)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        args = [a for a in getattr(annotation, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)]
        current = args[0] if args else annotation
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _check_as_engine_loads(raw: dict[str, Any], findings: Findings) -> None:
    """The last word: the whole file through the engine's own model, as `Regulation.from_toml` loads it, and the
    rules in force asked for on every day a value changes (what `sto calendar` and every workflow ask)."""
    try:
        regulation = Regulation(RegulationData.model_validate(raw))
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            where = ".".join(str(p) for p in detail["loc"])
            findings.error(where, f"the engine refuses the file: {detail['msg']}", "correct what the message names", "model.whole")
        return
    for day in regulation.change_dates():
        try:
            regulation.in_force(day)
        except (LookupError, ValueError, TypeError, ArithmeticError) as error:
            findings.error("", f"the engine cannot say which rules are in force on {day}: {error}",
                           "correct the values that take effect that day", "model.in_force")
            return


def has_errors(findings: list[Finding]) -> bool:
    return any(f.level is Level.ERROR for f in findings)
