"""Every list pages (issue 25), in-process (FastAPI TestClient and the CLI on one store, no Temporal): a walk through
the pages of the grants list while grants are added lists no grant twice and skips none; `pageSize` above its
maximum and a cursor that is not one are 400 naming the parameter (exit 2 in the CLI); the next page is named by a
`Link` header and `_links.next.href`; the filters (status, stage, scheme, kind, a text, a deadline within N days)
narrow the list in the views database."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient

import adapters.engine.grants_client  # noqa: F401  (registers the engine's error kinds)
from adapters.engine.temporal import TemporalSettings, free_port
from adapters.http.app import create_app
from adapters.http.context import ApiSettings
from adapters.read_side.paging import (DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, GrantFilter, decode_cursor, encode_cursor,
                                       page_of)
from domain.errors import InvalidInput
from domain.values import RegionKind
from tests.support.scripted import GrantScript

PROBLEM = "application/problem+json"


def make_api(database_url: str):
    nowhere = TemporalSettings(address=f"127.0.0.1:{free_port()}")  # reads need no Temporal
    app = create_app(ApiSettings(database_url=database_url, temporal=nowhere, command_timeout_seconds=3))
    token = app.state.api.tokens.issue("paging", "operator", None, created_by="tests").token
    return app, {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api():
    app, who = make_api("memory:")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, who, app.state.api.service


def register(service, *indexes: int, kind: RegionKind = RegionKind.TECHNIEKREGIO) -> list[GrantScript]:
    grants = []
    for index in indexes:
        grant = GrantScript(service, index=index, kind=kind)
        grant.pre_register()
        grants.append(grant)
    return grants


def walk(client, who, url: str, adding=None) -> list[dict]:
    """Every page of `url`, following `_links.next.href` (and checking that the Link header says the same)."""
    found, pages = [], 0
    while url:
        answer = client.get(url, headers=who)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        found.extend(body["regions"])
        nxt = body["_links"].get("next")
        if nxt:
            assert answer.headers["link"] == f'<{nxt["href"]}>; rel="next"' and body["next_cursor"]
        else:
            assert "link" not in answer.headers and body["next_cursor"] is None
        url = nxt["href"] if nxt else None
        pages += 1
        if adding is not None:
            adding(pages)
    return found


def test_a_walk_through_the_pages_while_grants_are_added_lists_no_grant_twice_and_skips_none(api):
    client, who, service = api
    register(service, *range(1, 41))
    before = {r["region_code"] for r in client.get("/v1/regions", headers=who).json()["regions"]}
    assert len(before) == 40
    added: list[str] = []

    def add(page: int) -> None:  # between page fetches: grants before, among and after those listed
        for index in (40 + page, 200 + page, 500 + page):
            added.extend(g.code for g in register(service, index))

    listed = walk(client, who, "/v1/regions?pageSize=7", add)
    codes = [r["region_code"] for r in listed]
    assert len(codes) == len(set(codes)), "a grant listed twice"
    assert before <= set(codes), f"skipped: {sorted(before - set(codes))}"
    assert codes == sorted(codes)  # the order of the list: region code (then scheme, then grant)
    assert set(codes) <= before | set(added)


def test_without_page_size_the_first_page_holds_the_default_and_the_last_page_has_no_next(api):
    client, who, service = api
    register(service, *range(1, 4))
    body = client.get("/v1/regions", headers=who).json()
    assert body["page_size"] == DEFAULT_PAGE_SIZE >= 87 and len(body["regions"]) == 3
    assert body["next_cursor"] is None and "next" not in body["_links"] and body["_links"]["self"]["href"] == "/v1/regions"
    assert body["total"] == 3 and body["counts"]["pre_registered"] == 3


@pytest.mark.parametrize("path", ["/v1/regions", "/v1/deadlines", "/v1/schemes", "/v1/subscriptions"])
def test_a_page_size_above_the_maximum_or_below_one_is_400_naming_page_size(api, path):
    client, who, _ = api
    for size in (MAX_PAGE_SIZE + 1, 0, "ten"):
        answer = client.get(f"{path}?pageSize={size}", headers=who)
        assert answer.status_code == 400 and answer.headers["content-type"] == PROBLEM, answer.text
        body = answer.json()
        assert body["code"] == "invalid_input" and [p["name"] for p in body["invalidParams"]] == ["pageSize"]
        assert body["invalidParams"][0]["in"] == "query"
    assert client.get(f"{path}?pageSize={MAX_PAGE_SIZE}", headers=who).status_code == 200


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


TAMPERED = [
    "not a cursor!",  # not base64url
    "%%%",
    _b64(b"\xff\xfe"),  # not UTF-8
    _b64(b"[1, 2]"),  # JSON, but no cursor
    _b64(json.dumps({"v": 2, "k": ["STO-R001", "sto-2020-2024", "x"]}).encode()),  # another version
    _b64(json.dumps({"v": 1, "k": ["STO-R001"]}).encode()),  # too short for this list
    _b64(json.dumps({"v": 1, "k": [1, 2, 3]}).encode()),  # numbers where texts belong
    _b64(json.dumps({"v": 1, "k": ["a", None, "c"]}).encode()),
    encode_cursor(["2019-01-01", "STO-R001", "sto-2020-2024", "period_1"]),  # a cursor of the deadlines list
    "A" * 1001,  # too long
]


@pytest.mark.parametrize("cursor", TAMPERED)
def test_a_cursor_that_is_not_one_is_400_naming_the_cursor_never_500(api, cursor):
    client, who, service = api
    register(service, 1)
    answer = client.get("/v1/regions", params={"cursor": cursor}, headers=who)
    assert answer.status_code == 400 and answer.headers["content-type"] == PROBLEM, answer.text
    body = answer.json()
    assert body["code"] == "invalid_input" and [p["name"] for p in body["invalidParams"]] == ["cursor"], body
    assert body["hint"]


@pytest.mark.parametrize("path", ["/v1/deadlines", "/v1/schemes", "/v1/grants/STO-R001/history",
                                  "/v1/grants/STO-R001/letters", "/v1/grants/STO-R001/deadlines",
                                  "/v1/subscriptions"])
def test_every_other_collection_refuses_a_foreign_cursor_as_well(api, path):
    client, who, service = api
    register(service, 1)
    foreign = encode_cursor([1.5, True])  # the shape of no list
    answer = client.get(path, params={"cursor": foreign}, headers=who)
    assert answer.status_code == 400 and answer.json()["invalidParams"][0]["name"] == "cursor", answer.text


def test_every_collection_names_its_next_page_in_a_link_header_and_in_the_body(api):
    client, who, service = api
    grant = register(service, 1, 2)[0]
    grant.apply()
    for path, field in (("/v1/schemes", "schemes"), ("/v1/grants/STO-R001/history", "events"),
                        ("/v1/deadlines", "deadlines"), ("/v1/grants/STO-R001/deadlines", "deadlines")):
        whole = client.get(path, headers=who).json()[field]
        assert len(whole) >= (1 if path.endswith("R001/deadlines") else 2), (path, whole)
        seen, url = [], f"{path}?pageSize=1"
        while url:
            answer = client.get(url, headers=who)
            body = answer.json()
            assert len(body[field]) == 1 and body["page_size"] == 1
            seen.extend(body[field])
            url = body["_links"].get("next", {}).get("href")
            assert (answer.headers.get("link") is not None) == (url is not None)
        assert seen == whole, path


def test_the_openapi_document_declares_the_paging_parameters_and_the_link_header(api):
    client, _, _ = api
    doc = client.get("/v1/openapi.json").json()
    regions = doc["paths"]["/v1/regions"]["get"]
    names = {p["name"]: p for p in regions["parameters"]}
    assert {"pageSize", "cursor", "status", "stage", "scheme", "kind", "q", "within"} <= set(names)
    assert names["pageSize"]["schema"]["maximum"] == MAX_PAGE_SIZE
    assert regions["responses"]["200"]["headers"]["Link"] == {"$ref": "#/components/headers/Link"}
    assert "rel=\\\"next\\\"" in json.dumps(doc["components"]["headers"]["Link"])


def test_the_filters_narrow_the_list_in_the_views_database(api):
    client, who, service = api
    plain = register(service, 1, 2, 3, 4)
    poor = register(service, 5, 6, kind=RegionKind.TECHNIEKARME_REGIO)
    plain[0].apply()
    plain[1].apply()

    def codes(**params) -> list[str]:
        answer = client.get("/v1/regions", params=params, headers=who)
        assert answer.status_code == 200, answer.text
        return [r["region_code"] for r in answer.json()["regions"]]

    assert codes(status="application_submitted") == [plain[0].code, plain[1].code]
    assert codes(stage="application") == [g.code for g in plain + poor]
    assert codes(stage="ended") == []
    assert codes(kind="techniekarme_regio") == [g.code for g in poor]
    assert codes(kind="techniekarme_regio", status="pre_registered", pageSize=1) == [poor[0].code]
    assert codes(q=plain[2].code.lower()) == [plain[2].code]
    assert codes(q=plain[3].region.name.upper()[-6:]) == [plain[3].code] or plain[3].code in codes(q=plain[3].region.name[-6:])
    assert codes(q="100%_no_such") == []  # LIKE's wildcards are taken literally
    assert codes(scheme="sto-2020-2024") == [g.code for g in plain + poor]
    assert codes(scheme="sto-2025-2028") == []
    # a deadline within N days of the business day: every grant here has its application period's end ahead
    assert set(codes(within=3650)) == {g.code for g in plain + poor}
    for wrong in ({"stage": "done"}, {"kind": "Big Kind"}, {"within": -1}, {"q": "x" * 101}, {"scheme": "nope"}):
        answer = client.get("/v1/regions", params=wrong, headers=who)
        assert answer.status_code == 400 and answer.json()["invalidParams"][0]["name"] == next(iter(wrong)), wrong


def test_a_filtered_walk_pages_by_the_same_filters(api):
    client, who, service = api
    register(service, *range(1, 11))
    register(service, *range(11, 21), kind=RegionKind.TECHNIEKARME_REGIO)
    listed = walk(client, who, "/v1/regions?kind=techniekarme_regio&pageSize=3")
    assert [r["region_code"] for r in listed] == sorted(GrantScript(service, index=i).code for i in range(11, 21))


def test_cursors_are_read_strictly_and_pages_held_in_memory_follow_their_key():
    key = ("STO-R001", "sto-2020-2024", "0b0c")
    assert decode_cursor(encode_cursor(key), (str, str, str)) == key
    assert decode_cursor(None, (str,)) is None and decode_cursor("", (str,)) is None
    with pytest.raises(InvalidInput) as raised:
        decode_cursor(encode_cursor([1]), (str,), field="--after")
    assert raised.value.field == "--after"
    first = page_of(range(10), lambda n: (n,), 4, None)
    assert first.items == [0, 1, 2, 3] and first.next_key == (3,)
    last = page_of(range(10), lambda n: (n,), 4, (7,))
    assert last.items == [8, 9] and last.next_key is None and last.next_cursor is None
    assert GrantFilter().any() is False and GrantFilter(kind="x").any() is True


# --- the CLI: `sto regions --limit N --after CURSOR`, `sto deadlines` ---------------------------------------------

def cli(url: str, *args: str):
    from typer.testing import CliRunner

    from adapters.cli.context import STATE
    from adapters.cli.main import app

    STATE.__dict__.pop("service", None)
    STATE.extra.clear()
    try:
        return CliRunner().invoke(app, ["--database-url", url, *args])
    finally:
        STATE.__dict__.pop("service", None)
        STATE.extra.clear()


def test_the_cli_walks_the_pages_with_limit_and_after_while_grants_are_added(sqlite_url):
    from adapters.event_store.store import open_service

    service = open_service(sqlite_url)
    try:
        register(service, *range(1, 13))
        first = json.loads(cli(sqlite_url, "regions", "--json").stdout)
        before = {r["region_code"] for r in first["regions"]}
        assert len(before) == 12 and first["next_cursor"] is None
        codes, after, pages = [], None, 0
        while True:
            args = ["regions", "--limit", "5", "--json"] + (["--after", after] if after else [])
            done = cli(sqlite_url, *args)
            assert done.exit_code == 0, done.stdout
            view = json.loads(done.stdout)
            codes.extend(r["region_code"] for r in view["regions"])
            after = view["next_cursor"]
            pages += 1
            register(service, 100 + pages, 300 + pages)  # between the pages: new grants among and after those seen
            if after is None:
                break
        assert len(codes) == len(set(codes)) and before <= set(codes) and codes == sorted(codes)
        human = cli(sqlite_url, "regions", "--limit", "2")
        assert human.exit_code == 0 and "--after " in human.stdout  # says how to get the next page
        deadlines = json.loads(cli(sqlite_url, "deadlines", "--limit", "1", "--json").stdout)
        assert len(deadlines["deadlines"]) == 1 and deadlines["next_cursor"]
        again = json.loads(cli(sqlite_url, "deadlines", "--limit", "1", "--after", deadlines["next_cursor"], "--json").stdout)
        assert again["deadlines"] != deadlines["deadlines"]
    finally:
        service.close()


@pytest.mark.parametrize("args", [["regions", "--after", "garbage"], ["deadlines", "--after", encode_cursor(["x"])],
                                  ["regions", "--limit", str(MAX_PAGE_SIZE + 1)], ["regions", "--stage", "done"]])
def test_the_cli_refuses_a_bad_cursor_or_page_size_with_exit_2(sqlite_url, args):
    done = cli(sqlite_url, *args, "--json") if "--limit" not in args else cli(sqlite_url, *args)
    assert done.exit_code == 2, done.stdout
    if "--after" in args:
        body = json.loads(done.stdout)
        assert body["error"] == "invalid_input" and body["details"][0]["field"] == "--after"
