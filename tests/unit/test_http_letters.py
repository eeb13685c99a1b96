"""The decision letters over HTTP (in-process, in-memory store): the region's own token lists and downloads its
letters (application/pdf, the recorded hash), another region's token gets 403, an unknown letter 404."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from adapters.http.app import create_app
from adapters.http.context import ApiSettings
from adapters.letters.issue import issue_letters
from tests.support.scripted import GrantScript


@pytest.fixture(scope="module")
def api():
    app = create_app(ApiSettings(database_url="memory:"))
    service = app.state.api.service
    service.installation.switch_on_letters()  # as the worker of `sto serve` does when it starts on a new store
    mine, other = GrantScript(service, index=1), GrantScript(service, index=2)
    mine.to_rejected_in_period_1()
    other.to_approved()
    for script in (mine, other):
        issue_letters(service, None, script.code, None)
    tokens = app.state.api.tokens
    issued = {
        "operator": tokens.issue("op", "operator", None, created_by="tests").token,
        "region": tokens.issue("penvoerder", "region", mine.code, created_by="tests").token,
    }
    with TestClient(app) as client:
        yield client, issued, mine.code, other.code


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_region_lists_and_downloads_its_own_letters_with_the_recorded_hash(api):
    client, issued, mine, _ = api
    listed = client.get(f"/v1/grants/{mine}/letters", headers=auth(issued["region"]))
    assert listed.status_code == 200
    (letter,) = listed.json()["letters"]
    assert letter["kind"] == "rejection" and letter["objection_deadline"] == "2019-08-01"
    pdf = client.get(letter["href"], headers=auth(issued["region"]))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == letter["sha256"] and pdf.content.startswith(b"%PDF")
    assert client.get(letter["href"], headers=auth(issued["operator"])).content == pdf.content  # a reprint: same bytes


def test_a_region_cannot_fetch_another_regions_letter(api):
    client, issued, _, other = api
    theirs = client.get(f"/v1/grants/{other}/letters", headers=auth(issued["operator"])).json()["letters"][0]
    assert client.get(f"/v1/grants/{other}/letters", headers=auth(issued["region"])).status_code == 403
    assert client.get(theirs["href"], headers=auth(issued["region"])).status_code == 403


def test_a_letter_of_another_grant_or_an_unknown_hash_is_404(api):
    client, issued, mine, other = api
    theirs = client.get(f"/v1/grants/{other}/letters", headers=auth(issued["operator"])).json()["letters"][0]
    wrong = client.get(f"/v1/grants/{mine}/letters/{theirs['sha256']}", headers=auth(issued["operator"]))
    assert wrong.status_code == 404 and wrong.headers["content-type"].startswith("application/problem+json")
