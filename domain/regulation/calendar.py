"""The regulation in force on a date, and deadlines that explain themselves.

`Regulation.in_force(day)` answers "which rules were in force on date D" in one call. A value set by a
version is in force from the version's effective date until a later version sets another. Amendments
with `applies_to_running` move the deadlines of grants already running; the explanation of every
deadline names the original date, the instruments that moved it, the roll-forward rule and the
resulting date.
"""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any


from domain.regulation.model import (
    Addressee,
    Amendment,
    Besluit,
    Parameter,
    ParameterValue,
    RegulationData,
    RegulationVersion,
    RollForward,
    Term,
    TermKind,
    TermValue,
)
from domain.regulation.answers import DeadlineInfo, ParameterInForce, RegulationInForce, UnknownRule
from domain.regulation.termijnen import resolve_roll_forward
from domain.timekeeping import end_of_day

SCHEMES_DIR = Path(__file__).parent / "data" / "schemes"



class Regulation:
    """Read access to the regulation data, always as of a date."""

    def __init__(self, data: RegulationData):
        self.data = data
        self._versions = {v.id: v for v in data.versions}
        self._terms = {t.key: t for t in data.terms}
        self._params = {p.key: p for p in data.parameters}
        self._besluiten = {b.kind: b for b in data.besluiten}
        # The data is immutable, so answers per (key, day) can be kept: the workflows ask the same
        # questions at every wake-up.
        self._term_cache: dict[tuple[str, date], DeadlineInfo | None] = {}
        self._param_cache: dict[tuple[str, date], ParameterInForce | None] = {}

    # --- loading and publishing -------------------------------------------------------------

    @classmethod
    def from_toml(cls, path: Path) -> "Regulation":
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
        return cls(RegulationData.model_validate(_stringify_table_keys(raw)))

    def with_amendment(self, amendment: Amendment) -> "Regulation":
        """A new regulation with `amendment` published: its version and the values it sets."""
        if self.data.scheme is not None and amendment.scheme is not None and amendment.scheme != self.data.scheme.id:
            raise ValueError(f"the amendment is for the scheme {amendment.scheme!r}, not {self.data.scheme.id!r}")
        if amendment.version.id in self._versions:
            if self._versions[amendment.version.id] == amendment.version:
                return self  # already published: publishing is idempotent
            raise ValueError(f"another version with id {amendment.version.id!r} is already published")
        unknown = [k for k in amendment.terms if k not in self._terms] + [
            k for k in amendment.parameters if k not in self._params
        ]
        if unknown:
            raise ValueError(
                f"the amendment sets unknown terms or parameters: {', '.join(unknown)} "
                "(an amendment that creates a term carries it in new_terms / new_parameters)"
            )
        terms = [
            t.model_copy(update={"values": [*t.values, amendment.terms[t.key]]}) if t.key in amendment.terms else t
            for t in self.data.terms
        ]
        params = [
            p.model_copy(update={"values": [*p.values, amendment.parameters[p.key]]})
            if p.key in amendment.parameters
            else p
            for p in self.data.parameters
        ]
        return Regulation(self._with_data(
            versions=[*self.data.versions, amendment.version],
            terms=[*terms, *amendment.new_terms],
            parameters=[*params, *amendment.new_parameters],
        ))

    def without_versions(self, *version_ids: str) -> "Regulation":
        """The regulation as it stood before the given versions were published (tests, what-if)."""
        drop = set(version_ids)
        terms = []
        for t in self.data.terms:
            values = [v for v in t.values if v.version not in drop]
            if values:
                terms.append(t.model_copy(update={"values": values}))
        params = []
        for p in self.data.parameters:
            values = [v for v in p.values if v.version not in drop]
            if values:
                params.append(p.model_copy(update={"values": values}))
        return Regulation(self._with_data(
            versions=[v for v in self.data.versions if v.id not in drop], terms=terms, parameters=params,
        ))

    def _with_data(self, **changes: Any) -> RegulationData:
        """The same scheme with other versions, terms and parameters, validated again."""
        fields = {name: getattr(self.data, name) for name in RegulationData.model_fields}
        return RegulationData(**{**fields, **changes})

    def amendment_of(self, version_id: str) -> Amendment:
        """The version `version_id` with every value it sets, as one publishable amendment."""
        version = self.version(version_id)

        def created(values: list[Any]) -> bool:
            return all(v.version == version_id for v in values)

        scheme = self.data.scheme
        return Amendment(
            version=version,
            # amendments of the legacy scheme name none, as they were published before there were schemes
            scheme=None if scheme is None or scheme.recorded_before_schemes else scheme.id,
            terms={
                t.key: v for t in self.data.terms if not created(t.values) for v in t.values if v.version == version_id
            },
            parameters={
                p.key: v
                for p in self.data.parameters
                if not created(p.values)
                for v in p.values
                if v.version == version_id
            },
            new_terms=[t for t in self.data.terms if created(t.values)],
            new_parameters=[p for p in self.data.parameters if created(p.values)],
        )

    # --- questions ---------------------------------------------------------------------------

    def version(self, version_id: str) -> RegulationVersion:
        try:
            return self._versions[version_id]
        except KeyError:
            raise UnknownRule(f"no regulation version {version_id!r}") from None

    def versions_in_force(self, day: date) -> list[RegulationVersion]:
        return sorted((v for v in self.data.versions if v.effective <= day), key=lambda v: (v.effective, v.id))

    def change_dates(self) -> list[date]:
        """The days on which some version takes effect: the moments a running grant must re-plan."""
        return sorted({v.effective for v in self.data.versions})

    def has_term(self, key: str, day: date) -> bool:
        return self._term_or_none(key, day) is not None

    def term(self, key: str, day: date) -> DeadlineInfo:
        info = self._term_or_none(key, day)
        if info is None:
            term = self._term(key)
            first = min(self._versions[v.version].effective for v in term.values)
            raise UnknownRule(f"{term.title} is not in force on {day.isoformat()} (first from {first.isoformat()})")
        return info

    def _term_or_none(self, key: str, day: date) -> DeadlineInfo | None:
        cache_key = (key, day)
        if cache_key not in self._term_cache:
            term = self._term(key)
            value = self._value_in_force(term.values, day)
            self._term_cache[cache_key] = None if value is None else self._resolve(term, value, day)
        return self._term_cache[cache_key]

    def param(self, key: str, day: date) -> ParameterInForce:
        found = self._param_or_none(key, day)
        if found is None:
            if key not in self._params:
                raise UnknownRule(f"the regulation has no parameter {key!r}")
            raise UnknownRule(f"{self._params[key].title} is not in force on {day.isoformat()}")
        return found

    def has_param(self, key: str, day: date) -> bool:
        return key in self._params and self._param_or_none(key, day) is not None

    def _param_or_none(self, key: str, day: date) -> ParameterInForce | None:
        cache_key = (key, day)
        if cache_key not in self._param_cache:
            param = self._params.get(key)
            value = None if param is None else self._value_in_force(param.values, day)
            self._param_cache[cache_key] = None if value is None else _param_in_force(param, value)
        return self._param_cache[cache_key]

    def in_force(self, day: date) -> RegulationInForce:
        terms = []
        for term in self.data.terms:
            value = self._value_in_force(term.values, day)
            if value is not None:
                terms.append(self._resolve(term, value, day))
        params = []
        for param in self.data.parameters:
            value = self._value_in_force(param.values, day)
            if value is not None:
                params.append(_param_in_force(param, value))
        terms.sort(key=lambda d: (d.start or d.due, d.due, d.key))
        return RegulationInForce(
            as_of=day, name=self.data.name, versions=self.versions_in_force(day), terms=terms, parameters=params
        )

    def relative_deadline(
        self,
        key: str,
        title: str,
        param_key: str,
        counted_from: date,
        day: date,
        *,
        days: int | None = None,
        addressee: Addressee | None = None,
        required_step: str | None = None,
        consequence: str | None = None,
        counted_from_label: str,
        title_nl: str | None = None,
    ) -> DeadlineInfo:
        """A term counted in days from an event (objection period, repair period), with Atw roll-forward.
        `title_nl`: its Dutch name, as the back office and the calendar show it (default: `title`)."""
        param = self.param(param_key, day)
        length = days if days is not None else int(param.value)
        original = counted_from + timedelta(days=length)
        rule = param.roll_forward or RollForward.NONE
        roll = resolve_roll_forward(original, rule, param.roll_forward_reason or "")
        explanation = [
            f"{length} days from {counted_from_label} {counted_from.isoformat()} ({param.source}) "
            f"gives {original.isoformat()}.",
            roll.explain(),
            f"Last day: {roll.result.isoformat()}, end of day Europe/Amsterdam.",
        ]
        return DeadlineInfo(
            key=key,
            title=title,
            title_nl=title_nl or title,
            kind=TermKind.DEADLINE,
            original=original,
            due=roll.result,
            due_at=end_of_day(roll.result),
            wording=f"{length} dagen",
            source=param.source,
            version=param.version,
            roll_forward=rule,
            moved_by_atw=roll.moved,
            amended=False,
            explanation=explanation,
            addressee=addressee,
            required_step=required_step,
            consequence=consequence,
        )

    def besluit(self, kind: str) -> Besluit:
        """The declaration of a kind of besluit (its objection term and source)."""
        try:
            return self._besluiten[kind]
        except KeyError:
            raise UnknownRule(f"the regulation declares no besluit of kind {kind!r}") from None

    # --- internals -------------------------------------------------------------------------

    def _term(self, key: str) -> Term:
        try:
            return self._terms[key]
        except KeyError:
            raise UnknownRule(f"the regulation has no term {key!r}") from None

    def _value_in_force(self, values: list[Any], day: date) -> Any:
        """The value set by the latest version that took effect on or before `day`."""
        best = None
        best_key: tuple[date, int] | None = None
        for index, value in enumerate(values):
            effective = self._versions[value.version].effective
            if effective <= day and (best_key is None or (effective, index) >= best_key):
                best, best_key = value, (effective, index)
        return best

    def _resolve(self, term: Term, value: TermValue, day: date) -> DeadlineInfo:
        version = self._versions[value.version]
        roll = resolve_roll_forward(value.date, value.roll_forward, value.roll_forward_reason)
        earlier = [
            v
            for v in term.values
            if v is not value and self._versions[v.version].effective <= version.effective
        ]
        earlier.sort(key=lambda v: self._versions[v.version].effective)
        explanation: list[str] = []
        if earlier:
            chain = " -> ".join(
                f"{v.date.isoformat()} ({self._versions[v.version].title}, {self._versions[v.version].signed.isoformat()})"
                for v in earlier
            )
            explanation.append(
                f"Originally {chain}; moved to {value.date.isoformat()} by {version.title} "
                f"({version.signed.isoformat()})"
                + (" for grants already running." if value.applies_to_running else " for new grants only.")
            )
        else:
            explanation.append(f"Set to {value.date.isoformat()} ('{value.wording}') by {version.title}.")
        explanation.append(roll.explain())
        if term.kind is not TermKind.MILESTONE:
            explanation.append(f"Last day: {roll.result.isoformat()}, end of day Europe/Amsterdam.")
        if value.note:
            explanation.append(value.note)
        later = [v for v in term.values if self._versions[v.version].effective > day]
        for v in later:
            explanation.append(
                f"Not yet in force on {day.isoformat()}: {self._versions[v.version].title} "
                f"will set {v.date.isoformat()} from {self._versions[v.version].effective.isoformat()}."
            )
        return DeadlineInfo(
            key=term.key,
            title=term.title,
            title_nl=term.title_nl,
            kind=term.kind,
            start=value.start,
            original=value.date,
            due=roll.result,
            due_at=end_of_day(roll.result),
            wording=value.wording,
            source=value.source.label(),
            version=value.version,
            roll_forward=value.roll_forward,
            moved_by_atw=roll.moved,
            atw_alternative=roll.atw_alternative,
            amended=bool(earlier),
            explanation=explanation,
            addressee=term.addressee,
            required_step=term.required_step,
            consequence=term.consequence,
            confirmed=value.source.confirmed,
            note=value.note,
        )


def _param_in_force(param: Parameter, value: ParameterValue) -> ParameterInForce:
    return ParameterInForce(
        key=param.key,
        title=param.title,
        unit=param.unit,
        value=value.value,
        version=value.version,
        source=value.source.label(),
        period_start=value.period_start,
        period_end=value.period_end,
        roll_forward=value.roll_forward,
        roll_forward_reason=value.roll_forward_reason,
        note=value.note,
    )


def _stringify_table_keys(raw: Any) -> Any:
    """TOML tables keyed by year come back with str keys already; keep everything JSON-shaped."""
    if isinstance(raw, dict):
        return {str(k): _stringify_table_keys(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_stringify_table_keys(v) for v in raw]
    return raw
