"""The form of each transition on the back-office page, derived from its command's fields, and how what was typed
in it becomes the command's fields (`read_form`).

Simple fields become inputs (text, number, yes/no, a choice, a date); lists of text become one-per-line
text areas; documents, amounts per year and other structures become JSON text areas with an example.
`command_id` is not a field of the form: the page makes one per opened form, so sending the same form again
is a safe retry; `expected_version` is the version the page shows, so a stale page is refused (409).

Dates are asked with date inputs. A business time (`effective_at`: kind "datetime") is asked as a business date
too, and `business_time` turns it into the moment: a day before today is 09:00 that day in Europe/Amsterdam, as
`sto grant ... --effective-at 2019-04-01` takes a date alone (adapters.engine.business_clock.parse_business_time);
today is the business clock's now, as when the field is left empty (09:00 could lie before a step recorded
earlier today, which the rule time.business_order refuses). A form has no time-of-day field.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import types
import typing
from dataclasses import dataclass, field

from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo

from adapters.operators.transitions import Transition
from domain.timekeeping import AMSTERDAM

HIDDEN = ("command_id", "expected_version")
YEARS = '[{"year": 2020, "amount_cents": 100000000}, {"year": 2021, "amount_cents": 100000000}]'
PLAN = '{"summary": "Plan 2024", "requested_cents": 25000000, "cost_lines": []}'
EXAMPLES = {
    "penvoerder": '{"name": "Stichting VO Gooi", "bevoegd_gezag": "40001", "email": "penvoerder@gooi.example"}',
    "partners": '[{"name": "Bouwgroep Gooi", "kind": "company"}]',
    "documents": '{"regiovisie": "...", "activiteitenplan": [{"title": "..."}], "begroting": [...], '
    '"cofinancing": [...], "pupil_counts": [...]}',
    "criteria": '[{"criterion": "regiovisie", "judgement": "sufficient", "remark": ""}]',
    "granted_per_year": YEARS,
    "realised_per_year": YEARS,
    "plan": PLAN,
    "extension_plan": PLAN,
}
BUSINESS_HOUR = dt.time(9)  # a business date alone is 09:00 that day in Amsterdam, as the CLI reads it
DUTCH_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")  # 1-4-2019: a browser without date inputs


@dataclass(frozen=True)
class FormField:
    name: str
    kind: str  # text | number | yesno | choice | date | datetime (asked as a date) | lines | json
    required: bool
    choices: tuple[str, ...] = ()
    example: str = ""

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")


def _unwrap(annotation: typing.Any) -> typing.Any:
    """`X | None` -> X; `Annotated[X, ...]` -> X."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _kind(annotation: typing.Any) -> tuple[str, tuple[str, ...]]:
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if annotation is AwareDatetime:
        return "datetime", ()
    if origin is typing.Literal:
        return "choice", tuple(str(a) for a in typing.get_args(annotation))
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return "choice", tuple(str(m.value) for m in annotation)
        if issubclass(annotation, bool):
            return "yesno", ()
        if issubclass(annotation, int):
            return "number", ()
        if issubclass(annotation, dt.datetime):
            return "datetime", ()
        if issubclass(annotation, dt.date):
            return "date", ()
        if issubclass(annotation, str):
            return "text", ()
        if issubclass(annotation, BaseModel):
            return "json", ()
    if origin is list:
        (item,) = typing.get_args(annotation) or (str,)
        return ("lines", ()) if _unwrap(item) is str else ("json", ())
    return "json", ()


def form_field(name: str, info: FieldInfo) -> FormField:
    kind, choices = _kind(info.annotation)
    return FormField(name, kind, info.is_required(), choices, EXAMPLES.get(name, ""))


def form_fields(transition: Transition) -> list[FormField]:
    return [form_field(name, info) for name, info in transition.fields().items() if name not in HIDDEN]


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with a value typed in a form, named like one of pydantic's errors (`loc`, `type`, `ctx`)."""

    loc: tuple[str | int, ...]
    type: str
    ctx: dict[str, typing.Any] = field(default_factory=dict)


def read_date(text: str) -> dt.date | None:
    """The day of a date input (2019-04-01), or typed the Dutch way (1-4-2019); None when it is no date."""
    text = text.strip()
    try:
        if found := DUTCH_DATE.fullmatch(text):
            day, month, year = map(int, found.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def business_time(day: dt.date, today: dt.date) -> dt.datetime | None:
    """The business time of a step dated `day` on the form: 09:00 that day in Amsterdam; today: None, which the
    sender reads as the business clock's now (module docstring)."""
    return None if day == today else dt.datetime.combine(day, BUSINESS_HOUR, tzinfo=AMSTERDAM)


def _read(kind: str, name: str, text: str, today: dt.date) -> tuple[typing.Any, FieldProblem | None]:
    """One typed value as the command's field wants it; what pydantic can check itself is left to it."""
    if kind in ("date", "datetime"):
        day = read_date(text)
        if day is None:
            return None, FieldProblem((name,), "date_parsing")
        return (business_time(day, today) if kind == "datetime" else day.isoformat()), None
    if kind == "number":
        plain = text.strip()
        return (int(plain) if re.fullmatch(r"-?\d+", plain) else plain), None
    if kind == "yesno":
        return {"true": True, "false": False}.get(text, text), None
    if kind == "choice":
        return (int(text) if text.isdigit() else text), None
    if kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()], None
    if kind == "json":
        try:
            return json.loads(text), None
        except ValueError:
            return None, FieldProblem((name,), "json_invalid")
    return text, None


def read_form(transition: Transition, values: dict[str, typing.Any], incomplete: typing.Iterable[str],
              today: dt.date) -> tuple[dict[str, typing.Any], list[FieldProblem]]:
    """The command's fields from what was typed in the form of `transition` (text per field; a field left empty
    is left out) and what is wrong with it that pydantic would not say in its own terms. `incomplete` names the
    date inputs the browser could not read a whole date from (it gives their value as empty)."""
    kinds = {f.name: f.kind for f in form_fields(transition)}
    fields: dict[str, typing.Any] = {}
    problems = [FieldProblem((name,), "date_incomplete") for name in incomplete if name in kinds]
    flagged = {p.loc[0] for p in problems}
    for name, value in values.items():
        if name in flagged:
            continue
        if not isinstance(value, str) or name not in kinds:
            fields[name] = value  # not typed in this form: the command checks it (and names it if it is not its own)
            continue
        if not value.strip():
            continue
        read, problem = _read(kinds[name], name, value, today)
        if problem:
            problems.append(problem)
        elif read is not None:
            fields[name] = read
    return fields, problems
