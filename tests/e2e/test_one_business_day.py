"""One clock: under STO_BUSINESS_EPOCH every read that defaults to "today" takes the same business day, in
the CLI (`sto deadlines`, `sto budget`, `sto calendar`, `sto grant show`) and in the HTTP API."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import sto_cli
from tests.e2e.grant_bodies import take

pytestmark = [pytest.mark.temporal]

CODE, INDEX = "STO-E2E-TODAY", 81


@pytest.fixture
def sto(served, monkeypatch):
    with sto_cli(served, monkeypatch, actor="op.today") as run:
        yield run


def test_the_cli_and_the_api_agree_on_the_business_day(served, sto):
    token = served.token("operator", "op.today")
    with served.client(token) as op:
        take(op, CODE, INDEX, "pre-register")
        api_days = {op.get("/v1/deadlines").json()["as_of"], op.get("/v1/budget").json()["as_of"]}
    cli_days = set()
    for args in (["deadlines"], ["budget"], ["calendar"], ["grant", "show", CODE]):
        result = sto(*args, "--json")
        assert result.exit_code == 0, result.stdout + result.stderr
        cli_days.add(json.loads(result.stdout)["as_of"])
    assert len(api_days | cli_days) == 1, (api_days, cli_days)
    (day,) = api_days | cli_days
    assert day.startswith("2018-10"), "the business day of STO_BUSINESS_EPOCH (15 October 2018), not the real one"
