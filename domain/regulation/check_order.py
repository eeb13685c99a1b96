"""The scheme check's dates, uniqueness and sources: dates run in order, nothing is declared twice, every value
and step has a legal source, and a new scheme does not take the id of a shipped one."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any, Mapping

from domain.regulation.check_findings import Findings, Parsed, stringify_keys
from domain.regulation.model import TermKind
from domain.regulation.source import LegalSource


def check_dates(parsed: Parsed, findings: Findings) -> None:
    effective = {v.id: v.effective for _, v in parsed.section("versions")}
    for i, v in parsed.section("versions"):
        if v.effective < v.signed:
            findings.warning(f"versions[{i}].effective", f"version {v.id!r} takes effect ({v.effective}) before it was signed ({v.signed})",
                             "check both dates against the instrument (a retroactive effect is rare and should be noted in the summary)", "date.version")
    scheme = parsed.scheme
    if scheme is not None and scheme.lapses is not None and scheme.lapses <= scheme.in_force:
        findings.error("scheme.lapses", f"the scheme lapses ({scheme.lapses}) on or before it comes into force ({scheme.in_force})",
                       "correct in_force or lapses: a scheme is in force from in_force until the day before it lapses", "date.scheme")
    for i, t in parsed.section("terms"):
        for j, value in enumerate(t.values):
            where = f"terms[{i}].values[{j}]"
            if t.kind is TermKind.WINDOW and value.start is None:
                findings.error(f"{where}.start", f"window {t.key!r} has no first day", "add start = YYYY-MM-DD (the window's first day)", "date.window")
            if value.start is not None and value.start > value.date:
                findings.error(f"{where}.start", f"{t.key!r} starts on {value.start}, after its last day {value.date}",
                               "correct start or date: start is the first day, date the last (inclusive)", "date.window")
            since = effective.get(value.version)
            if since is not None and t.kind is not TermKind.MILESTONE and value.date < since:
                findings.warning(f"{where}.date", f"{t.key!r} ends on {value.date}, before its version {value.version!r} takes effect ({since})",
                                 "check the date and the version: a term cannot be set after it has passed", "date.term")
        _in_version_order(findings, f"terms[{i}]", t.key, t.values, effective)
    for i, p in parsed.section("parameters"):
        for j, value in enumerate(p.values):
            if value.period_start and value.period_end and value.period_start > value.period_end:
                findings.error(f"parameters[{i}].values[{j}].period_start", f"the period of {p.key!r} starts ({value.period_start}) after it ends ({value.period_end})",
                               "correct period_start or period_end", "date.period")
        _in_version_order(findings, f"parameters[{i}]", p.key, p.values, effective)
    _rounds_in_order(parsed, findings, effective)


def _in_version_order(findings: Findings, place: str, key: str, values: list[Any], effective: dict[str, dt.date]) -> None:
    """The values of one key come in the order their versions take effect, each version once."""
    seen: dict[str, int] = {}
    last: tuple[dt.date, str] | None = None
    for j, value in enumerate(values):
        if value.version in seen:
            findings.error(f"{place}.values[{j}].version", f"{key!r} has a second value from version {value.version!r} (first at values[{seen[value.version]}])",
                           "one value per version: remove one, or name the version that set the other", "unique.value")
            continue
        seen[value.version] = j
        since = effective.get(value.version)
        if since is None:
            continue
        if last is not None and since < last[0]:
            findings.warning(f"{place}.values[{j}].version", f"{key!r}: the value of {value.version!r} ({since}) comes after that of {last[1]!r} ({last[0]})",
                             "list the values in the order their versions take effect, so that the file reads as the history it is", "date.value_order")
        last = (since, value.version) if last is None or since >= last[0] else last


def _latest(term: Any, effective: dict[str, dt.date]) -> Any:
    return max(term.values, key=lambda v: (effective.get(v.version, dt.date.min), term.values.index(v)))


def _rounds_in_order(parsed: Parsed, findings: Findings, effective: dict[str, dt.date]) -> None:
    terms = {key: t for key, (_, t) in parsed.keyed("terms", "key").items()}
    rounds = {r.number: r for _, r in parsed.section("application_rounds")}
    for i, r in parsed.section("application_rounds"):
        window, decision = terms.get(r.window), terms.get(r.decision)
        if window is None or decision is None:
            continue  # named in references
        closes, decided = _latest(window, effective).date, _latest(decision, effective).date
        if decided < closes:
            findings.error(f"application_rounds[{i}].decision", f"round {r.number}'s decision term {r.decision!r} ends ({decided}) before its window {r.window!r} closes ({closes})",
                           "correct the dates or the terms named: DUS-I decides after the applications are in", "date.round")
        earlier = rounds.get(r.after_rejection_in) if r.after_rejection_in is not None else None
        if earlier is not None and earlier.decision in terms:
            rejected_by = _latest(terms[earlier.decision], effective).date
            if closes <= rejected_by:
                findings.warning(f"application_rounds[{i}].window", f"round {r.number} closes ({closes}) before round {earlier.number}'s decisions are due ({rejected_by})",
                                 "a region rejected in the earlier round may have no time to apply: check the dates", "date.round")


def check_uniqueness(parsed: Parsed, findings: Findings) -> None:
    _once(parsed, findings, "versions", "id", "version id")
    _once(parsed, findings, "besluiten", "kind", "kind of besluit")
    _once(parsed, findings, "steps", "command", "step")
    _once(parsed, findings, "application_rounds", "number", "round number")
    _once(parsed, findings, "deadlines", "term", "deadline term")
    _once(parsed, findings, "region_kinds", "kind", "region kind")
    first: dict[str, str] = {}
    for section in ("terms", "parameters"):
        for i, item in parsed.section(section):
            if item.key in first:
                findings.error(f"{section}[{i}].key", f"key {item.key!r} is declared again (first at {first[item.key]})",
                               "give each term and parameter its own key; a later value of the same key goes under its values", "unique.key")
            else:
                first[item.key] = f"{section}[{i}]"
    openers: dict[int | None, int] = {}
    for i, r in parsed.section("application_rounds"):
        if r.after_rejection_in in openers:
            which = "pre-registered regions" if r.after_rejection_in is None else f"regions rejected in round {r.after_rejection_in}"
            findings.warning(f"application_rounds[{i}]", f"a second round open to {which}: only the first (application_rounds[{openers[r.after_rejection_in]}]) is used",
                             "give each round its own after_rejection_in", "unique.round")
        else:
            openers[r.after_rejection_in] = i
    rounds = {r.window for _, r in parsed.section("application_rounds")} | {r.decision for _, r in parsed.section("application_rounds")}
    for i, d in parsed.section("deadlines"):
        if d.term in rounds:
            findings.warning(f"deadlines[{i}].term", f"term {d.term!r} is a window or decision term of an application round: the round's consequence applies, not {d.consequence.value!r}",
                             "remove this deadline, or name another term", "unique.deadline")


def _once(parsed: Parsed, findings: Findings, section: str, attr: str, what: str) -> None:
    first: dict[Any, int] = {}
    for i, item in parsed.section(section):
        key = getattr(item, attr)
        if key in first:
            findings.error(f"{section}[{i}].{attr}", f"{what} {key!r} is declared again (first at {section}[{first[key]}])",
                           f"declare each {what} once: merge the two or remove one", f"unique.{section}")
        else:
            first[key] = i


def check_sources(parsed: Parsed, findings: Findings) -> None:
    """Every value and step has a legal source; sources the file marks unconfirmed are listed as notes."""
    scheme_source = parsed.scheme.source.instrument if parsed.scheme else None

    def look(place: str, source: LegalSource | None, of: str = "") -> None:
        if source is None:
            return
        if not source.instrument.strip():
            findings.error(f"{place}.instrument", f"the source{of} names no instrument", "name the law, regulation or letter", "source.instrument")
        if not source.confirmed:
            label = source.model_copy(update={"confirmed": True}).label()
            findings.note(place, f"unconfirmed source{of}: {label}", "confirm it against the instrument, then remove confirmed = false", "source.unconfirmed")

    if parsed.scheme is not None:
        look("scheme.source", parsed.scheme.source)
    for section in ("versions", "besluiten"):
        for i, item in parsed.section(section):
            look(f"{section}[{i}].source", item.source, f" of {_name(item)}")
    for section in ("terms", "parameters"):
        for i, item in parsed.section(section):
            for j, value in enumerate(item.values):
                look(f"{section}[{i}].values[{j}].source", value.source, f" of {item.key} ({value.version})")
    for section, level in (("steps", findings.warning), ("region_kinds", findings.note)):
        for i, item in parsed.section(section):
            if item.source is None:
                name = _name(item)
                level(f"{section}[{i}]", f"{name} has no source of its own; it falls back to the scheme's ({scheme_source or 'none'})",
                      "add source = { instrument = ..., provision = ... } naming the article it rests on", "source.missing")
            look(f"{section}[{i}].source", item.source, f" of {_name(item)}")


def _name(item: Any) -> str:
    """What an item is called in a message: its id, command or kind, whichever it has."""
    return next((str(getattr(item, a)) for a in ("id", "command", "kind") if hasattr(item, a)), "")


def check_shipped_id(parsed: Parsed, findings: Findings, path: Path | None, shipped: Mapping[str, Path] | None) -> None:
    """A file that is not one of the shipped schemes may not take a shipped scheme's id."""
    if parsed.scheme is None:
        return
    if shipped is None:
        from domain.regulation.schemes import _files

        shipped = _files()
    own = shipped.get(parsed.scheme.id)
    if own is None or _same_file(path, own, parsed.raw):
        return
    findings.error("scheme.id", f"the shipped scheme {own.name} has the id {parsed.scheme.id!r} already",
                   f"give this scheme its own id (taken: {', '.join(sorted(shipped))})", "unique.scheme_id")


def _same_file(path: Path | None, own: Path, raw: dict[str, Any]) -> bool:
    if path is not None:
        return path.resolve() == own.resolve()
    with open(own, "rb") as fh:
        return stringify_keys(tomllib.load(fh)) == raw
