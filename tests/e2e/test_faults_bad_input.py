"""Fault suite, bad input: well over a hundred wrong requests and command lines against a running engine
(`sto serve`). Each gets a clear error (HTTP 4xx with a problem+json body naming the problem; the CLI a non-zero exit
with the README's code and a message naming the option or field) and nothing is written: the event store
holds exactly as many records after every one of them as before.
"""

from __future__ import annotations

import json

import pytest

from adapters.operators.tokens import TokenStore
from tests.e2e.conftest import sto_cli
from tests.e2e.grant_bodies import body, take

pytestmark = [pytest.mark.temporal, pytest.mark.slow]

CODE, INDEX = "STO-E2E-BAD", 61
NEW = "STO-E2E-BAD-NEW"  # never created: every pre-registration of it below is invalid
NOBODY = "STO-E2E-NOBODY-BAD"


def documents(**changes) -> dict:
    docs = body("apply", INDEX)["documents"]
    docs.update(changes)
    return docs


def line(**changes) -> dict:
    first = dict(documents()["begroting"][0])
    first.update(changes)
    return first


def vooraanmelding(**changes) -> dict:
    fields = body("pre-register", INDEX + 100)
    fields.update(changes)
    return fields


def penvoerder(**changes) -> dict:
    return {**vooraanmelding()["penvoerder"], **changes}


R = {"reason": "ongeldige invoer (test)"}
AT = "2019-04-01T10:00:00+02:00"
GRANTS = f"/v1/grants/{CODE}"

# (case, method, path, token, request, status, words the JSON body must contain)
# request: a dict is sent as JSON; bytes/str as the raw body.
API_CASES: list[tuple[str, str, str, str, object, int, tuple[str, ...]]] = [
    # who is asking
    ("no token", "POST", f"{GRANTS}/accept", "none", R, 401, ("token",)),
    ("unknown token", "POST", f"{GRANTS}/accept", "bogus", R, 401, ("token",)),
    ("basic auth", "POST", f"{GRANTS}/accept", "basic", R, 401, ("token",)),
    ("revoked token", "POST", f"{GRANTS}/accept", "revoked", R, 401, ("token",)),
    ("auditor sends a transition", "POST", f"{GRANTS}/accept", "auditor", R, 403, ("operator",)),
    ("region sends a transition", "POST", f"{GRANTS}/accept", "region", R, 403, ("operator",)),
    ("region lists all regions", "GET", "/v1/regions", "region", None, 403, ("forbidden",)),
    ("region reads another grant", "GET", f"/v1/grants/{NOBODY}", "region", None, 403, ("forbidden",)),
    ("region reads another grant's history", "GET", f"/v1/grants/{NOBODY}/history", "region", None, 403, ("forbidden",)),
    ("region reads the budget", "GET", "/v1/budget", "region", None, 403, ("forbidden",)),
    # where
    ("unknown transition", "POST", f"{GRANTS}/fly", "operator", R, 404, ("not_found",)),
    ("unknown endpoint", "GET", "/v1/nothing-here", "operator", None, 404, ("not_found",)),
    ("GET on a transition", "GET", f"{GRANTS}/accept", "operator", None, 405, ("method",)),
    ("region code with spaces", "POST", "/v1/grants/bad%20code/accept", "operator", R, 400, ("region",)),
    ("region code of one character", "POST", "/v1/grants/X/accept", "operator", R, 400, ("region",)),
    ("region code too long", "POST", f"/v1/grants/{'A' * 40}/accept", "operator", R, 400, ("region",)),
    ("region code with a dot", "POST", "/v1/grants/STO.R1/accept", "operator", R, 400, ("region",)),
    # the body as such
    ("body not JSON", "POST", f"{GRANTS}/accept", "operator", b"reason=now", 400, ("body",)),
    ("body a JSON array", "POST", f"{GRANTS}/accept", "operator", b"[]", 400, ("body",)),
    ("body a JSON string", "POST", f"{GRANTS}/accept", "operator", b'"accept"', 400, ("body",)),
    ("body empty", "POST", f"{GRANTS}/accept", "operator", b"", 400, ("body",)),
    ("body truncated JSON", "POST", f"{GRANTS}/accept", "operator", b'{"reason": "x"', 400, ("body",)),
    ("body not UTF-8", "POST", f"{GRANTS}/accept", "operator", b'{"reason": "\xff\xfe"}', 400, ("body",)),
    # the fields every transition has
    ("reason missing", "POST", f"{GRANTS}/accept", "operator", {}, 400, ("reason",)),
    ("reason empty", "POST", f"{GRANTS}/accept", "operator", {"reason": ""}, 400, ("reason",)),
    ("reason blank", "POST", f"{GRANTS}/accept", "operator", {"reason": "   "}, 400, ("reason",)),
    ("reason a number", "POST", f"{GRANTS}/accept", "operator", {"reason": 5}, 400, ("reason",)),
    ("reason a list", "POST", f"{GRANTS}/accept", "operator", {"reason": ["a"]}, 400, ("reason",)),
    ("unknown field", "POST", f"{GRANTS}/accept", "operator", {**R, "colour": "red"}, 400, ("colour",)),
    ("actor in the body", "POST", f"{GRANTS}/accept", "operator", {**R, "actor": {"name": "x", "role": "system"}}, 400, ("actor",)),
    ("region_code in the body", "POST", f"{GRANTS}/accept", "operator", {**R, "region_code": NOBODY}, 400, ("region_code",)),
    ("command_id not a UUID", "POST", f"{GRANTS}/accept", "operator", {**R, "command_id": "abc"}, 400, ("command_id",)),
    ("command_id a number", "POST", f"{GRANTS}/accept", "operator", {**R, "command_id": 42}, 400, ("command_id",)),
    ("effective_at not a time", "POST", f"{GRANTS}/accept", "operator", {**R, "effective_at": "yesterday"}, 400, ("effective_at",)),
    ("effective_at without offset", "POST", f"{GRANTS}/accept", "operator", {**R, "effective_at": "2019-04-01T10:00:00"}, 400, ("effective_at",)),
    ("effective_at month 13", "POST", f"{GRANTS}/accept", "operator", {**R, "effective_at": "2019-13-01T10:00:00+02:00"}, 400, ("effective_at",)),
    ("effective_at a number", "POST", f"{GRANTS}/accept", "operator", {**R, "effective_at": True}, 400, ("effective_at",)),
    ("expected_version negative", "POST", f"{GRANTS}/accept", "operator", {**R, "expected_version": -1}, 400, ("expected_version",)),
    ("expected_version a word", "POST", f"{GRANTS}/accept", "operator", {**R, "expected_version": "two"}, 400, ("expected_version",)),
    ("expected_version a fraction", "POST", f"{GRANTS}/accept", "operator", {**R, "expected_version": 1.5}, 400, ("expected_version",)),
    # request-repair
    ("repair: missing empty", "POST", f"{GRANTS}/request-repair", "operator", {**R, "missing": []}, 400, ("missing",)),
    ("repair: missing blank item", "POST", f"{GRANTS}/request-repair", "operator", {**R, "missing": [" "]}, 400, ("missing",)),
    ("repair: missing absent", "POST", f"{GRANTS}/request-repair", "operator", R, 400, ("missing",)),
    ("repair: 0 days", "POST", f"{GRANTS}/request-repair", "operator", {**R, "missing": ["begroting"], "repair_days": 0}, 400, ("repair_days",)),
    ("repair: 91 days", "POST", f"{GRANTS}/request-repair", "operator", {**R, "missing": ["begroting"], "repair_days": 91}, 400, ("repair_days",)),
    ("repair: days a word", "POST", f"{GRANTS}/request-repair", "operator", {**R, "missing": ["begroting"], "repair_days": "week"}, 400, ("repair_days",)),
    # advise
    ("advise: no criteria", "POST", f"{GRANTS}/advise", "operator", {**R, "positive": True, "criteria": []}, 400, ("criteria",)),
    ("advise: criteria absent", "POST", f"{GRANTS}/advise", "operator", {**R, "positive": True}, 400, ("criteria",)),
    ("advise: unknown judgement", "POST", f"{GRANTS}/advise", "operator", {**R, "positive": True, "criteria": [{"criterion": "regiovisie", "judgement": "great"}]}, 400, ("judgement",)),
    ("advise: blank criterion", "POST", f"{GRANTS}/advise", "operator", {**R, "positive": True, "criteria": [{"criterion": "", "judgement": "sufficient"}]}, 400, ("criterion",)),
    ("advise: score 101", "POST", f"{GRANTS}/advise", "operator", {**R, "positive": True, "criteria": [{"criterion": "a", "judgement": "sufficient"}], "ranking_score": 101}, 400, ("ranking_score",)),
    ("advise: score -1", "POST", f"{GRANTS}/advise", "operator", {**R, "positive": True, "criteria": [{"criterion": "a", "judgement": "sufficient"}], "ranking_score": -1}, 400, ("ranking_score",)),
    ("advise: positive maybe", "POST", f"{GRANTS}/advise", "operator", {**R, "positive": "maybe", "criteria": [{"criterion": "a", "judgement": "sufficient"}]}, 400, ("positive",)),
    # approve / reject
    ("approve: no years", "POST", f"{GRANTS}/approve", "operator", {**R, "granted_per_year": []}, 400, ("granted_per_year",)),
    ("approve: year 2031", "POST", f"{GRANTS}/approve", "operator", {**R, "granted_per_year": [{"year": 2031, "amount_cents": 1}]}, 400, ("year",)),
    ("approve: negative amount", "POST", f"{GRANTS}/approve", "operator", {**R, "granted_per_year": [{"year": 2020, "amount_cents": -5}]}, 400, ("amount_cents",)),
    ("approve: amounts a word", "POST", f"{GRANTS}/approve", "operator", {**R, "granted_per_year": "lots"}, 400, ("granted_per_year",)),
    ("approve: sent_on not a date", "POST", f"{GRANTS}/approve", "operator", {**R, "granted_per_year": [{"year": 2020, "amount_cents": 1}], "sent_on": "someday"}, 400, ("sent_on",)),
    ("reject: no reasons", "POST", f"{GRANTS}/reject", "operator", {**R, "reasons": []}, 400, ("reasons",)),
    ("reject: blank reason", "POST", f"{GRANTS}/reject", "operator", {**R, "reasons": [""]}, 400, ("reasons",)),
    # objections
    ("object: grounds blank", "POST", f"{GRANTS}/object", "operator", {**R, "grounds": " "}, 400, ("grounds",)),
    ("object: grounds absent", "POST", f"{GRANTS}/object", "operator", R, 400, ("grounds",)),
    ("decide-objection: outcome maybe", "POST", f"{GRANTS}/decide-objection", "operator", {**R, "outcome": "maybe"}, 400, ("outcome",)),
    # reports, extension, rates
    ("report: number 3", "POST", f"{GRANTS}/report", "operator", {**R, "number": 3, "summary": "s", "spent_cents": 1, "cofinancing_realised_cents": 1}, 400, ("number",)),
    ("report: spent negative", "POST", f"{GRANTS}/report", "operator", {**R, "number": 1, "summary": "s", "spent_cents": -1, "cofinancing_realised_cents": 1}, 400, ("spent_cents",)),
    ("report: summary blank", "POST", f"{GRANTS}/report", "operator", {**R, "number": 1, "summary": "", "spent_cents": 1, "cofinancing_realised_cents": 1}, 400, ("summary",)),
    ("extension-plan: plan absent", "POST", f"{GRANTS}/extension-plan", "operator", R, 400, ("plan",)),
    ("extension-plan: nothing requested", "POST", f"{GRANTS}/extension-plan", "operator", {**R, "plan": {"summary": "p", "requested_cents": 0}}, 400, ("requested_cents",)),
    ("grant-extension: zero", "POST", f"{GRANTS}/grant-extension", "operator", {**R, "amount_cents": 0}, 400, ("amount_cents",)),
    ("grant-extension: a word", "POST", f"{GRANTS}/grant-extension", "operator", {**R, "amount_cents": "many"}, 400, ("amount_cents",)),
    ("hourly-rate: zero", "POST", f"{GRANTS}/hourly-rate", "operator", {**R, "rate_cents": 0}, 400, ("rate_cents",)),
    ("hourly-rate: fraction", "POST", f"{GRANTS}/hourly-rate", "operator", {**R, "rate_cents": 55.5}, 400, ("rate_cents",)),
    ("final-report: no years", "POST", f"{GRANTS}/final-report", "operator", {**R, "summary": "s", "realised_per_year": [], "cofinancing_realised_cents": 1}, 400, ("realised_per_year",)),
    ("final-report: negative co-financing", "POST", f"{GRANTS}/final-report", "operator", {**R, "summary": "s", "realised_per_year": [{"year": 2020, "amount_cents": 1}], "cofinancing_realised_cents": -1}, 400, ("cofinancing_realised_cents",)),
    # apply: the documents
    ("apply: period 4", "POST", f"{GRANTS}/apply", "operator", {**R, "period": 4, "documents": documents()}, 400, ("period",)),
    ("apply: period a word", "POST", f"{GRANTS}/apply", "operator", {**R, "period": "one", "documents": documents()}, 400, ("period",)),
    ("apply: no documents", "POST", f"{GRANTS}/apply", "operator", {**R, "period": 1}, 400, ("documents",)),
    ("apply: empty begroting", "POST", f"{GRANTS}/apply", "operator", {**R, "period": 1, "documents": documents(begroting=[])}, 400, ("begroting",)),
    ("apply: empty activiteitenplan", "POST", f"{GRANTS}/apply", "operator", {**R, "period": 1, "documents": documents(activiteitenplan=[])}, 400, ("activiteitenplan",)),
    ("apply: blank regiovisie", "POST", f"{GRANTS}/apply", "operator", {**R, "period": 1, "documents": documents(regiovisie=" ")}, 400, ("regiovisie",)),
    ("apply: no pupil counts", "POST", f"{GRANTS}/apply", "operator", {**R, "period": 1, "documents": documents(pupil_counts=[])}, 400, ("pupil_counts",)),
    ("apply: pupils counted twice", "POST", f"{GRANTS}/apply", "operator", {**R, "period": 1, "documents": documents(pupil_counts=documents()["pupil_counts"][:1] * 2)}, 400, ("counted twice",)),
    ("apply: BRIN of two characters", "POST", f"{GRANTS}/apply", "operator", {**R, "period": 1, "documents": documents(pupil_counts=[{**documents()["pupil_counts"][0], "brin": "12"}])}, 400, ("brin",)),
    ("apply: negative quantity", "POST", f"{GRANTS}/apply", "operator", {**R, "period": 1, "documents": documents(begroting=[line(quantity="-1")])}, 400, ("quantity",)),
    ("apply: unknown sector", "POST", f"{GRANTS}/apply", "operator", {**R, "period": 1, "documents": documents(begroting=[line(sector="hbo")])}, 400, ("sector",)),
    ("apply: price zero", "POST", f"{GRANTS}/apply", "operator", {**R, "period": 1, "documents": documents(begroting=[line(unit_price_cents=0)])}, 400, ("unit_price_cents",)),
    ("apply: year 2017", "POST", f"{GRANTS}/apply", "operator", {**R, "period": 1, "documents": documents(begroting=[line(year=2017)])}, 400, ("year",)),
    ("apply: unknown document field", "POST", f"{GRANTS}/apply", "operator", {**R, "period": 1, "documents": documents(appendix="x")}, 400, ("appendix",)),
    ("apply: 11,000 pupils", "POST", f"{GRANTS}/apply", "operator", {**R, "period": 1, "documents": documents(pupil_counts=[{**documents()["pupil_counts"][0], "pupils": 11_000}])}, 400, ("pupils",)),
    # pre-register a new region
    ("pre-register: unknown kind", "POST", f"/v1/grants/{NEW}/pre-register", "operator", vooraanmelding(kind="big"), 400, ("kind",)),
    ("pre-register: e-mail without @", "POST", f"/v1/grants/{NEW}/pre-register", "operator", vooraanmelding(penvoerder=penvoerder(email="nope")), 400, ("email",)),
    ("pre-register: bevoegd gezag of 3 digits", "POST", f"/v1/grants/{NEW}/pre-register", "operator", vooraanmelding(penvoerder=penvoerder(bevoegd_gezag="123")), 400, ("bevoegd_gezag",)),
    ("pre-register: BRIN of two characters", "POST", f"/v1/grants/{NEW}/pre-register", "operator", vooraanmelding(vmbo_schools=["12"]), 400, ("vmbo_schools",)),
    ("pre-register: partner without name", "POST", f"/v1/grants/{NEW}/pre-register", "operator", vooraanmelding(partners=[{"name": "", "kind": "company"}]), 400, ("name",)),
    ("pre-register: partner of unknown kind", "POST", f"/v1/grants/{NEW}/pre-register", "operator", vooraanmelding(partners=[{"name": "X", "kind": "friend"}]), 400, ("kind",)),
    ("pre-register: no region name", "POST", f"/v1/grants/{NEW}/pre-register", "operator", {k: v for k, v in vooraanmelding().items() if k != "region_name"}, 400, ("region_name",)),
    ("pre-register: dated before the regulation", "POST", f"/v1/grants/{NEW}/pre-register", "operator", vooraanmelding(effective_at="2000-01-01T12:00:00+01:00"), 409, ("regulation.not_in_force", "source")),
    ("pre-register: after the vooraanmelding closed", "POST", f"/v1/grants/{NEW}/pre-register", "operator", vooraanmelding(effective_at="2018-11-01T09:00:00+01:00"), 409, ("vooraanmelding.deadline", "source")),
    ("pre-register: a later expected version", "POST", f"/v1/grants/{NEW}/pre-register", "operator", vooraanmelding(expected_version=3), 409, ("version",)),
    # refused by a rule, or a conflict (the grant has applied in period 1 and waits for acceptance)
    ("advise before acceptance", "POST", f"{GRANTS}/advise", "operator", {**R, "positive": True, "criteria": [{"criterion": "a", "judgement": "sufficient"}], "effective_at": AT}, 409, ("rule", "source")),
    ("approve before advice", "POST", f"{GRANTS}/approve", "operator", {**R, "granted_per_year": [{"year": 2020, "amount_cents": 1}], "effective_at": AT}, 409, ("rule", "source")),
    ("determine without a final report", "POST", f"{GRANTS}/determine", "operator", {**R, "effective_at": AT}, 409, ("rule", "source")),
    ("extension without a grant", "POST", f"{GRANTS}/grant-extension", "operator", {**R, "amount_cents": 1, "effective_at": AT}, 409, ("rule", "source")),
    ("apply twice in period 1", "POST", f"{GRANTS}/apply", "operator", {**R, "period": 1, "documents": documents(), "effective_at": "2019-03-20T10:00:00+01:00"}, 409, ("rule", "source")),
    ("a second vooraanmelding", "POST", f"{GRANTS}/pre-register", "operator", body("pre-register", INDEX), 409, ("rule",)),
    ("accept before the application", "POST", f"{GRANTS}/accept", "operator", {**R, "effective_at": "2019-03-01T10:00:00+01:00"}, 409, ("rule", "source")),
    ("accept a stale version", "POST", f"{GRANTS}/accept", "operator", {**R, "expected_version": 1, "effective_at": AT}, 409, ("expectedVersion", "actualVersion")),
    ("accept an unknown grant", "POST", f"/v1/grants/{NOBODY}/accept", "operator", {**R, "effective_at": AT}, 404, ("grant_not_found",)),
    # reads
    ("read an unknown grant", "GET", f"/v1/grants/{NOBODY}", "operator", None, 404, ("grant_not_found",)),
    ("asOf not a date", "GET", f"{GRANTS}?asOf=someday", "operator", None, 400, ("asOf",)),
    ("asOf before the programme", "GET", f"{GRANTS}?asOf=1900-01-01", "operator", None, 400, ("asOf",)),
    ("asOf long after", "GET", f"{GRANTS}/deadlines?asOf=2999-01-01", "operator", None, 400, ("asOf",)),
    ("status of no kind", "GET", "/v1/regions?status=flying", "operator", None, 400, ("status",)),
    ("within negative", "GET", "/v1/deadlines?within=-1", "operator", None, 400, ("within",)),
    ("within a word", "GET", "/v1/deadlines?within=soon", "operator", None, 400, ("within",)),
    ("unknown query parameter", "GET", "/v1/regions?colour=red", "operator", None, 400, ("colour",)),
    ("as-of day not a date", "GET", f"{GRANTS}/as-of/someday", "operator", None, 400, ("day",)),
    ("calendar asOf not a date", "GET", "/v1/calendar?asOf=31-12-2019", "auditor", None, 400, ("asOf",)),
]


@pytest.fixture(scope="module")
def world(served):
    operator = served.token("operator", "op.bad-input")
    with served.client(operator) as op:
        take(op, CODE, INDEX, "pre-register", "apply")
    store = TokenStore(served.database_url)
    try:
        revoked = store.issue("op.revoked", "operator", None, created_by="tests")
        store.revoke(revoked.info.token_id, revoked_by="tests")
    finally:
        store.close()
    return {
        "none": None, "bogus": "sto_not-a-real-token", "basic": None, "revoked": revoked.token,
        "operator": operator, "auditor": served.token("auditor", "aud.bad-input"),
        "region": served.token("region", "penvoerder bad-input", CODE),
    }


def _note(failures: list[str], name: str, problem: str | None, served, before: int) -> int:
    """Add the case's problem, and a write to the store if there was one; return the store's count now."""
    now = served.stored_events()
    if now != before:
        problem = (problem or "") + f" -- the store changed: {before} -> {now}"
    if problem:
        failures.append(f"{name}: {problem}")
    return now


def test_every_bad_api_request_gets_a_clear_4xx_and_writes_nothing(served, world):
    assert len(API_CASES) >= 100
    before = served.settled_events()
    failures = []
    for name, method, path, who, request, status, words in API_CASES:
        headers = {"Authorization": "Basic b3A6cHc="} if who == "basic" else {}
        with served.client(world[who]) as client:
            if isinstance(request, (bytes, str)):
                response = client.request(method, path, content=request, headers={**headers, "Content-Type": "application/json"})
            else:
                response = client.request(method, path, json=request, headers=headers)
        problem = None
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code != status:
            problem = f"status {response.status_code}, expected {status}: {response.text[:300]}"
        elif not isinstance(payload, dict) or not payload.get("code") or not payload.get("detail"):
            problem = f"no JSON error body: {response.text[:300]}"
        elif response.headers.get("content-type") != "application/problem+json" or payload.get("status") != status:
            problem = f"not a problem+json body with its status: {response.headers.get('content-type')} {response.text[:300]}"
        else:
            text = json.dumps(payload).lower()
            missing = [w for w in words if w.lower() not in text]
            if missing:
                problem = f"body does not mention {missing}: {response.text[:300]}"
        before = _note(failures, name, problem, served, before)
    assert not failures, "\n".join(failures)


# --- the CLI --------------------------------------------------------------------------------------


@pytest.fixture
def sto(served, monkeypatch):
    with sto_cli(served, monkeypatch, actor="op.bad-input") as run:
        yield run


def cli_cases(tmp_path) -> list[tuple[str, list[str], int, tuple[str, ...]]]:
    def file(name: str, content: str) -> str:
        path = tmp_path / name
        path.write_text(content)
        return str(path)

    docs = file("docs.json", json.dumps({"documents": documents()}))
    reason = ["--reason", "ongeldige invoer (test)"]
    return [
        ("no reason", ["grant", "accept", CODE], 2, ("--reason",)),
        ("no region", ["grant", "accept", *reason], 2, ("region",)),
        ("unknown transition", ["grant", "fly", CODE, *reason], 2, ("fly",)),
        ("unknown option", ["grant", "accept", CODE, *reason, "--colour", "red"], 2, ("--colour",)),
        ("empty reason", ["grant", "accept", CODE, "--reason", "", "--json"], 2, ("reason",)),
        ("blank reason", ["grant", "withdraw", CODE, "--reason", "   ", "--json"], 2, ("reason",)),
        ("effective time not a time", ["grant", "accept", CODE, *reason, "--effective-at", "gisteren", "--json"], 2, ("--effective-at",)),
        ("effective time month 13", ["grant", "accept", CODE, *reason, "--effective-at", "2019-13-01T10:00", "--json"], 2, ("--effective-at",)),
        ("command id not a UUID", ["grant", "accept", CODE, *reason, "--command-id", "abc"], 2, ("--command-id",)),
        ("expected version negative", ["grant", "accept", CODE, *reason, "--expected-version", "-1"], 2, ("--expected-version",)),
        ("expected version a word", ["grant", "accept", CODE, *reason, "--expected-version", "two"], 2, ("--expected-version",)),
        ("region code with a space", ["grant", "accept", "bad code", *reason, "--json"], 2, ("region_code",)),
        ("region code with a dot", ["grant", "accept", "STO.R1", *reason, "--json"], 2, ("region_code",)),
        ("period 5", ["grant", "apply", CODE, *reason, "--period", "5"], 2, ("--period",)),
        ("apply without documents", ["grant", "apply", CODE, *reason, "--period", "1", "--json"], 2, ("documents",)),
        ("file that does not exist", ["grant", "apply", CODE, *reason, "--file", str(tmp_path / "none.json"), "--json"], 2, ("cannot read",)),
        ("file not JSON", ["grant", "apply", CODE, *reason, "--file", file("bad.json", "{period: 1"), "--json"], 2, ("not json",)),
        ("file a JSON array", ["grant", "apply", CODE, *reason, "--file", file("list.json", "[1, 2]"), "--json"], 2, ("json object",)),
        ("file with an unknown field", ["grant", "accept", CODE, *reason, "--file", file("extra.json", '{"colour": "red"}'), "--json"], 2, ("colour",)),
        ("file with period 4", ["grant", "apply", CODE, *reason, "--file", file("p4.json", json.dumps({"period": 4, "documents": documents()})), "--json"], 2, ("period",)),
        ("file with empty begroting", ["grant", "apply", CODE, *reason, "--period", "1", "--file", file("eb.json", json.dumps({"documents": documents(begroting=[])})), "--json"], 2, ("begroting",)),
        ("year without amount", ["grant", "approve", CODE, *reason, "--year", "2020", "--json"], 2, ("--year",)),
        ("year amount a word", ["grant", "approve", CODE, *reason, "--year", "2020=veel", "--json"], 2, ("--year",)),
        ("year 2031", ["grant", "approve", CODE, *reason, "--year", "2031=100", "--json"], 2, ("year",)),
        ("sent on not a date", ["grant", "approve", CODE, *reason, "--year", "2020=100", "--sent-on", "morgen"], 2, ("--sent-on",)),
        ("repair without what is missing", ["grant", "request-repair", CODE, *reason, "--json"], 2, ("missing",)),
        ("repair in 0 days", ["grant", "request-repair", CODE, *reason, "--missing", "begroting", "--repair-days", "0"], 2, ("--repair-days",)),
        ("criterion without judgement", ["grant", "advise", CODE, *reason, "--positive", "--criterion", "regiovisie", "--json"], 2, ("--criterion",)),
        ("criterion judged great", ["grant", "advise", CODE, *reason, "--positive", "--criterion", "regiovisie=great", "--json"], 2, ("judgement",)),
        ("ranking score 101", ["grant", "advise", CODE, *reason, "--ranking-score", "101"], 2, ("--ranking-score",)),
        ("hourly rate 0", ["grant", "hourly-rate", CODE, *reason, "--rate-cents", "0"], 2, ("--rate-cents",)),
        ("extension of 0", ["grant", "grant-extension", CODE, *reason, "--amount-cents", "0"], 2, ("--amount-cents",)),
        ("progress report 3", ["grant", "report", CODE, *reason, "--number", "3"], 2, ("--number",)),
        ("objection outcome maybe", ["grant", "decide-objection", CODE, *reason, "--outcome", "maybe"], 2, ("--outcome",)),
        ("pre-register kind big", ["grant", "pre-register", NEW, *reason, "--kind", "big"], 2, ("--kind",)),
        ("pre-register e-mail", ["grant", "pre-register", NEW, *reason, "--file", file("v1.json", json.dumps(vooraanmelding(penvoerder=penvoerder(email="nope")))), "--json"], 2, ("email",)),
        ("pre-register BRIN", ["grant", "pre-register", NEW, *reason, "--file", file("v2.json", json.dumps(vooraanmelding())), "--school", "12", "--json"], 2, ("vmbo_schools",)),
        ("pre-register partner", ["grant", "pre-register", NEW, *reason, "--partner", "Bouwbedrijf", "--json"], 2, ("--partner",)),
        ("show an unknown grant", ["grant", "show", NOBODY, "--json"], 5, ("grant_not_found",)),
        ("history of an unknown grant", ["grant", "history", NOBODY, "--json"], 5, ("grant_not_found",)),
        ("show as of month 13", ["grant", "show", CODE, "--as-of", "2019-13-01"], 2, ("--as-of",)),
        ("calendar as of nonsense", ["calendar", "--as-of", "gisteren"], 2, ("--as-of",)),
        ("transition of an unknown grant", ["grant", "accept", NOBODY, *reason, "--effective-at", AT, "--json"], 5, ("grant_not_found",)),
        ("advise before acceptance", ["grant", "advise", CODE, *reason, "--positive", "--criterion", "regiovisie=sufficient", "--effective-at", AT, "--json"], 3, ("rule", "source")),
        ("determine too early", ["grant", "determine", CODE, *reason, "--effective-at", AT, "--json"], 3, ("rule", "source")),
        ("apply twice", ["grant", "apply", CODE, *reason, "--period", "1", "--file", docs, "--effective-at", "2019-03-20T10:00", "--json"], 3, ("rule", "source")),
        ("stale expected version", ["grant", "accept", CODE, *reason, "--expected-version", "1", "--effective-at", AT, "--json"], 4, ("expected_version", "actual_version")),
    ]


def test_every_bad_command_line_exits_with_its_code_and_names_the_problem(served, world, sto, tmp_path):
    cases = cli_cases(tmp_path)
    assert len(cases) + len(API_CASES) >= 140
    before = served.settled_events()
    failures = []
    for name, args, code, words in cases:
        result = sto(*args)
        output = (result.stdout + result.stderr).lower().replace("\n", " ")
        problem = None
        if result.exit_code != code:
            problem = f"exit {result.exit_code}, expected {code}: {output[:300]} {result.exception!r}"
        else:
            missing = [w for w in words if w.lower() not in output]
            if missing:
                problem = f"output does not mention {missing}: {output[:400]}"
            elif "--json" in args and result.stdout.strip().startswith("{"):
                if not json.loads(result.stdout).get("error"):
                    problem = f"--json gave no error body: {result.stdout[:300]}"
            elif "--json" in args and code != 2:
                problem = f"--json gave no JSON: {result.stdout[:300]}"
        before = _note(failures, name, problem, served, before)
    assert not failures, "\n".join(failures)
