"""Booleans are never numbers: JSON's `true` is no rate of 1 cent, in any field of any command or of a document a
command carries (pydantic's lax mode would read true as 1 and false as 0). What else was taken for a number (12,
"12", 12.0) still is; fields that are booleans stay booleans."""

from __future__ import annotations

import typing
from typing import Any, Literal

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from adapters.http.app import create_app
from adapters.http.context import ApiSettings
from domain import commands as c

CANDIDATES = (1, 2, 0, 3, 2020, 2024, 12_500)  # one of these is inside every number field's bounds


def _models(annotation: Any) -> list[type[BaseModel]]:
    found = [annotation] if isinstance(annotation, type) and issubclass(annotation, BaseModel) else []
    for arg in typing.get_args(annotation):
        found += _models(arg)
    return found


def _declares_bool(annotation: Any) -> bool:
    if annotation is bool:
        return True
    return typing.get_origin(annotation) is not Literal and any(_declares_bool(a) for a in typing.get_args(annotation))


def every_field() -> list[tuple[str, FieldInfo]]:
    """Every field of every command, and of every model inside one (documents, cost lines, amounts per year)."""
    found: list[tuple[str, FieldInfo]] = []
    seen: set[type[BaseModel]] = set()

    def walk(model: type[BaseModel], path: str) -> None:
        for name, info in model.model_fields.items():
            found.append((f"{path}.{name}", info))
            for inner in _models(info.annotation):
                if inner not in seen:
                    seen.add(inner)
                    walk(inner, f"{path}.{name}")

    for command in c.COMMAND_TYPES.values():
        walk(command, command.__name__)
    return found


FIELDS = every_field()
NOT_BOOLEAN = [(path, info) for path, info in FIELDS if not _declares_bool(info.annotation)]


def _number_in_bounds(adapter: TypeAdapter) -> int | None:
    for number in CANDIDATES:
        try:
            if adapter.validate_python(number) == number:
                return number
        except ValidationError:
            continue
    return None


NUMBERS = [(path, info) for path, info in NOT_BOOLEAN
           if _number_in_bounds(TypeAdapter(typing.Annotated[info.annotation, info])) is not None]


def test_the_walk_finds_the_number_fields_of_the_commands_and_their_documents():
    paths = {path for path, _ in NUMBERS}
    assert {"RecordHourlyRateChange.rate_cents", "SubmitApplication.period", "WithdrawGrant.expected_version",
            "SubmitApplication.documents.begroting.unit_price_cents",
        "SubmitApplication.documents.pupil_counts.pupils", "ApproveGrant.granted_per_year.year",
        "IssueDecisionLetter.size"} <= paths
    assert len(NUMBERS) >= 40


@pytest.mark.parametrize("path, info", NOT_BOOLEAN, ids=[path for path, _ in NOT_BOOLEAN])
def test_no_field_that_is_not_a_boolean_takes_true_or_false(path, info):
    adapter = TypeAdapter(typing.Annotated[info.annotation, info])
    for value in (True, False):
        with pytest.raises(ValidationError):
            adapter.validate_python(value)
        with pytest.raises(ValidationError):
            adapter.validate_json("true" if value else "false")


@pytest.mark.parametrize("path, info", NUMBERS, ids=[path for path, _ in NUMBERS])
def test_every_number_field_still_takes_the_numbers_it_took(path, info):
    adapter = TypeAdapter(typing.Annotated[info.annotation, info])
    number = _number_in_bounds(adapter)
    assert adapter.validate_python(number) == number
    assert adapter.validate_json(str(number)) == number
    if typing.get_origin(info.annotation) is not Literal:  # a choice (1, 2 or 3) never took anything but the number
        assert adapter.validate_python(str(number)) == number  # a string of digits, as before
        assert adapter.validate_python(float(number)) == number


def test_the_fields_that_are_booleans_still_take_true_and_false():
    booleans = [path for path, info in FIELDS if _declares_bool(info.annotation)]
    assert "RecordAdvice.positive" in booleans
    assert c.RecordAdvice.model_fields["positive"].annotation is bool


@pytest.fixture(scope="module")
def api():
    app = create_app(ApiSettings(database_url="memory:"))
    with TestClient(app) as client:
        tokens = app.state.api.tokens  # the app's own (its store is in memory)
        yield client, {"Authorization": f"Bearer {tokens.issue('op.jansen', 'operator', created_by='tests').token}"}


@pytest.mark.parametrize("body, field", [
    ({"reason": "nieuw uurtarief", "rate_cents": True}, "rate_cents"),
    ({"reason": "nieuw uurtarief", "rate_cents": False}, "rate_cents"),
    ({"reason": "nieuw uurtarief", "rate_cents": 6500, "expected_version": True},
     "expected_version"),
], ids=["rate true", "rate false", "expected version true"])
def test_the_api_answers_a_boolean_amount_with_400_naming_the_field_and_sends_nothing(api, body, field):
    client, operator = api
    answer = client.post("/v1/grants/STO-R001/hourly-rate", headers=operator, json=body)
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert problem["code"] == "invalid_input" and "nothing was sent" in problem["title"]
    assert [(p["name"], p["reason"]) for p in problem["invalidParams"]] == [(field, "Value error, a number, not true or false")]
