"""Every step of every scheme file can be sent through the CLI, the API and the page, and nothing else is
offered for a scheme than the steps it has."""

from __future__ import annotations

import pytest

from adapters.cli.grant import app as grant_cli
from adapters.http.app import create_app
from adapters.http.context import ApiSettings
from adapters.http.page import page
from adapters.operators.transitions import BY_COMMAND_TYPE, allowed_transitions
from domain.regulation.schemes import scheme, scheme_ids
from domain.values import GrantStatus


@pytest.fixture(scope="module")
def api_posts():
    app = create_app(ApiSettings(database_url="memory:"))
    yield {path for path, item in app.openapi()["paths"].items() if "post" in item}
    app.state.api.close()


@pytest.mark.parametrize("scheme_id", scheme_ids())
def test_every_step_of_a_scheme_is_a_transition_of_the_cli_the_api_and_the_page(scheme_id, api_posts):
    cli = {command.name for command in grant_cli.registered_commands}
    html = page()
    for step in scheme(scheme_id).data.steps:
        assert step.command in BY_COMMAND_TYPE, f"{scheme_id}: step {step.command} has no transition"
        name = BY_COMMAND_TYPE[step.command].name
        assert name in cli, f"{scheme_id}: `sto grant {name}` is missing"
        assert any(path.endswith(f"/{name}") and "{region" in path for path in api_posts), f"{scheme_id}: no API path for {name}"
        assert f'<template id="form-{name}">' in html, f"{scheme_id}: the page has no form for {name}"


@pytest.mark.parametrize("scheme_id", scheme_ids())
def test_only_the_steps_of_the_grants_scheme_are_offered(scheme_id):
    regulation = scheme(scheme_id)
    declared = {BY_COMMAND_TYPE[s.command].name for s in regulation.data.steps if s.command in BY_COMMAND_TYPE}
    for status in GrantStatus:
        offered = set(allowed_transitions(status, regulation))
        assert offered <= declared
        expected = {BY_COMMAND_TYPE[s.command].name for s in regulation.data.steps if status in s.allowed_from}
        assert offered == expected, status


def test_the_schemes_differ_in_what_they_offer_an_approved_grant():
    old = set(allowed_transitions(GrantStatus.APPROVED, scheme("sto-2020-2024")))
    new = set(allowed_transitions(GrantStatus.APPROVED, scheme("sto-2025-2028")))
    assert {"extension-plan", "grant-extension", "report"} <= old - new
    assert "detailed-plan" in new - old
