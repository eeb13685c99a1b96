"""The form of each transition on the back-office page, derived from its command's fields.

Simple fields become inputs (text, number, yes/no, a choice, a date); lists of text become one-per-line
text areas; documents, amounts per year and other structures become JSON text areas with an example.
`command_id` is not a field of the form: the page makes one per opened form, so sending the same form again
is a safe retry; `expected_version` is the version the page shows, so a stale page is refused (409).
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from dataclasses import dataclass

from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo

from adapters.operators.transitions import Transition

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
    "effective_at": "2019-04-01T10:00:00+02:00",
}


@dataclass(frozen=True)
class FormField:
    name: str
    kind: str  # text | number | yesno | choice | date | datetime | lines | json
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
