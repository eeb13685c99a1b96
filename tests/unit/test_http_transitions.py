"""The transitions catalogue that the CLI, the API and the page share; the business clock; the page's forms."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.engine.business_clock import BusinessClock, clock_from_env, parse_business_time
from adapters.cli.grant import app as grant_cli
from adapters.cli.work import app as work_cli
from adapters.http.app import create_app
from adapters.http.context import ApiSettings
from adapters.http.forms import form_fields
from adapters.http.page import page
from adapters.operators.transitions import BY_COMMAND_TYPE, TRANSITIONS, WORK_TRANSITIONS, allowed_transitions
from domain import commands as c
from domain.timekeeping import AMSTERDAM, UTC
from domain.values import GrantStatus, Role


@pytest.fixture(scope="module")
def api_paths():
    app = create_app(ApiSettings(database_url="memory:"))
    yield {(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item}
    app.state.api.close()


def test_every_command_but_the_engines_own_is_a_transition_of_the_cli_the_api_and_the_page(api_paths):
    from domain.regulation.check_rules import ENGINE_OWN_STEPS

    # the stage commands are the engine's own steps to a scheme file (never declared there) but an operator's work
    engines_alone = ENGINE_OWN_STEPS - {command.__name__ for command in c.CASE_COMMANDS}
    assert engines_alone == {"ApplyDeadlineConsequence", "IssueDecisionLetter"}
    assert set(BY_COMMAND_TYPE) == set(c.COMMAND_TYPES) - engines_alone
    cli_names = {command.name for command in grant_cli.registered_commands}  # sto grant NAME
    work_names = {command.name for command in work_cli.registered_commands}  # sto work NAME: the stages and claims
    html = page()
    for name in TRANSITIONS:
        assert name in (work_names if name in WORK_TRANSITIONS else cli_names), name
        assert ("POST", f"/v1/grants/{{region}}/{name}") in api_paths
        assert f'<template id="form-{name}">' in html


def test_the_transitions_possible_now_follow_the_lifecycle_table():
    assert allowed_transitions(GrantStatus.APPLICATION_SUBMITTED) == ["request-repair", "accept", "reject", "withdraw"]
    assert allowed_transitions("in_objection") == ["decide-objection", "withdraw"]
    assert allowed_transitions(GrantStatus.DETERMINED) == [] and allowed_transitions(None) == []


def test_a_transition_builds_its_command_with_the_senders_actor_and_refuses_unknown_fields():
    actor = c.Actor(name="op.jansen", role=Role.OPERATOR)
    command = TRANSITIONS["object"].build("sto-r001", actor, {"reason": "bezwaar ontvangen", "grounds": "te laag"})
    assert isinstance(command, c.FileObjection) and command.region_code == "STO-R001" and command.actor == actor
    assert set(TRANSITIONS["object"].own_fields()) == {"grounds"}
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        TRANSITIONS["accept"].build("STO-R001", actor, {"reason": "x", "amount_cents": 5})


def test_the_business_epoch_puts_business_time_in_the_past_and_lets_it_run_on():
    now = dt.datetime(2026, 11, 28, 12, tzinfo=UTC)
    clock = BusinessClock.starting_at(dt.datetime(2018, 10, 15, 10, tzinfo=AMSTERDAM), now=now)
    assert clock.offset_seconds == (dt.datetime(2018, 10, 15, 8, tzinfo=UTC) - now).total_seconds()
    assert clock.today() >= dt.date(2018, 10, 15) and clock.now() < now
    assert clock_from_env("").offset_seconds == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-03-15", dt.datetime(2019, 3, 15, 9, tzinfo=AMSTERDAM)),
        ("2019-03-15T10:30", dt.datetime(2019, 3, 15, 10, 30, tzinfo=AMSTERDAM)),
        ("2019-03-15T10:30:00+00:00", dt.datetime(2019, 3, 15, 10, 30, tzinfo=UTC)),
    ],
)
def test_business_times_without_an_offset_are_amsterdam_time(text, expected):
    assert parse_business_time(text) == expected


def test_a_business_time_that_is_not_iso_says_how_to_write_it():
    with pytest.raises(ValueError, match="use e.g. 2019-03-15T10:00:00"):
        parse_business_time("15-03-2019", "--effective-at")


def test_each_form_asks_for_the_fields_of_its_command_in_fitting_inputs():
    kinds = {f.name: (f.kind, f.required) for f in form_fields(TRANSITIONS["advise"])}
    assert kinds == {
        "reason": ("text", True), "effective_at": ("datetime", False), "positive": ("yesno", True),
        "criteria": ("json", True), "ranking_score": ("number", False),
    }
    apply = {f.name: f for f in form_fields(TRANSITIONS["apply"])}
    assert apply["period"].choices == ("1", "2", "3") and apply["documents"].kind == "json"
    assert {f.name: f.kind for f in form_fields(TRANSITIONS["request-repair"])}["missing"] == "lines"
    assert all(f.name not in ("command_id", "expected_version") for t in TRANSITIONS.values() for f in form_fields(t))
