"""The API's defences, in-process (FastAPI TestClient, in-memory store): the body size limit (413), the security
headers on every response, the limit on failed tokens per client address (429), and what a region's token sees
of its own grant (its history and as-of, never the global log position)."""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from adapters.http.app import create_app
from adapters.http.context import ApiSettings
from adapters.http.headers import PAGE_POLICY, docs_policy
from adapters.http.limits import MIB, FailedAuthLimiter, client_key
from adapters.http.server import uvicorn_config
from tests.support.scenarios import scripted_regions
from adapters.engine.temporal import free_port

BAD = {"Authorization": "Bearer sto_12345678_" + "x" * 43}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make(**settings) -> tuple[TestClient, dict[str, str]]:
    app = create_app(ApiSettings(database_url="memory:", **settings))
    issue = app.state.api.tokens.issue
    tokens = {
        "operator": issue("op.hardening", "operator", created_by="tests").token,
        "auditor": issue("aud.hardening", "auditor", created_by="tests").token,
        "region": issue("penvoerder R001", "region", "STO-R001", created_by="tests").token,
    }
    return TestClient(app), tokens


@pytest.fixture
def api():
    client, tokens = make(max_body_bytes=1000, auth_failure_limit=3, auth_failure_window_seconds=60)
    with client:
        yield client, tokens


# --- 1. the body size limit ------------------------------------------------------------------------------

def test_a_body_over_the_limit_is_413_with_the_error_body_whatever_the_token(api):
    client, tokens = api
    big = b'{"reason": "' + b"x" * 2000 + b'"}'
    for auth in (bearer(tokens["operator"]), {}, bearer(tokens["auditor"])):
        answer = client.post("/v1/grants/STO-R001/accept", content=big, headers={**auth, "Content-Type": "application/json"})
        assert answer.status_code == 413, answer.text
        body = answer.json()
        assert body["code"] == "payload_too_large" and f"{len(big)} bytes" in body["detail"] and "1000" in body["hint"]
        assert answer.headers["x-content-type-options"] == "nosniff" and answer.headers["cache-control"] == "no-store"


def test_a_chunked_body_is_counted_as_it_arrives(api):
    client, tokens = api

    def chunks(count: int):
        yield b'{"reason": "'
        for _ in range(count):
            yield b"y" * 100
        yield b'", "stray": 1}'

    headers = {**bearer(tokens["operator"]), "Content-Type": "application/json"}
    over = client.post("/v1/grants/STO-R001/accept", content=chunks(20), headers=headers)
    assert over.request.headers.get("transfer-encoding") == "chunked" and "content-length" not in over.request.headers
    assert over.status_code == 413 and over.json()["code"] == "payload_too_large"
    assert "larger than 1000 bytes" in over.json()["detail"]
    # under the limit the body reaches the route whole, up to its last chunk
    under = client.post("/v1/grants/STO-R001/accept", content=chunks(5), headers=headers)
    assert under.status_code == 400 and [(p["in"], p["name"]) for p in under.json()["invalidParams"]] == [("body", "stray")], under.text


def test_the_default_limit_is_one_mib_and_a_body_under_it_is_read():
    client, tokens = make()
    with client:
        headers = {**bearer(tokens["operator"]), "Content-Type": "application/json"}
        over = client.post("/v1/grants/STO-R001/accept", content=b" " * (MIB + 1), headers=headers)
        assert over.status_code == 413 and str(MIB) in over.json()["detail"]
        under = client.post("/v1/grants/STO-R001/accept", content=b'{"reason": 1}' + b" " * (MIB - 20), headers=headers)
        assert under.status_code == 400 and under.json()["invalidParams"][0]["name"] == "reason"


# --- 2. security headers ---------------------------------------------------------------------------------

SECURITY = {"x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/static/app.css", "/docs", "/redoc", "/v1/openapi.json",
                                  "/docs-assets/swagger-ui-bundle.js", "/healthz", "/no-such-page", "/v1/regions",
                                  "/v1/me", "/v1/grants/STO-R404", "/v1/no-such-endpoint"])
def test_every_response_carries_the_security_headers(api, path):
    client, tokens = api
    for auth in (bearer(tokens["operator"]), {}):
        answer = client.get(path, headers=auth)
        assert {name: answer.headers.get(name) for name in SECURITY} == SECURITY, (path, answer.status_code)
        policy = answer.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
        assert (answer.headers.get("cache-control") == "no-store") == path.startswith("/v1/"), path


def test_the_page_may_run_only_its_own_script_and_style_sheet(api):
    client, _ = api
    answer = client.get("/")
    assert answer.headers["content-security-policy"] == PAGE_POLICY
    assert "'unsafe-inline'" not in PAGE_POLICY and "'unsafe-eval'" not in PAGE_POLICY
    html = answer.text
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/app.js">']  # no inline script to allow
    assert "<style" not in html and " style=" not in html and not re.search(r"<[^>]*\son[a-z]+=", html)


def test_swagger_ui_may_run_exactly_its_inline_starter_script(api):
    client, _ = api
    answer = client.get("/docs")
    policy = answer.headers["content-security-policy"]
    inline = re.findall(r"<script>(.*?)</script>", answer.text, re.DOTALL)
    assert len(inline) == 1 and "SwaggerUIBundle(" in inline[0]
    assert policy == docs_policy(answer.text) and re.search(r"script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'(;|$)", policy)
    assert docs_policy(answer.text.replace("SwaggerUIBundle(", "evil(")) != policy  # the hash is of this script
    assert "'unsafe-inline'" not in policy
    redoc = client.get("/redoc").headers["content-security-policy"]
    assert "style-src 'self' 'unsafe-inline'" in redoc and "worker-src blob:" in redoc and "script-src 'self';" in redoc


# --- 3. failed authentications ---------------------------------------------------------------------------

def test_after_the_limit_of_failed_tokens_the_address_gets_429_even_with_a_valid_token(api):
    client, tokens = api
    for _ in range(3):
        assert client.get("/v1/regions", headers=BAD).status_code == 401
    limited = client.get("/v1/regions", headers=BAD)
    assert limited.status_code == 429
    body = limited.json()
    assert body["code"] == "too_many_failed_authentications" and body["detail"] and "Retry-After" in body["hint"]
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["cache-control"] == "no-store" and limited.headers["x-frame-options"] == "DENY"
    valid = client.get("/v1/regions", headers=bearer(tokens["operator"]))
    assert valid.status_code == 429  # the token is not even checked
    assert client.get("/healthz").status_code == 200  # no token needed, nothing limited
    assert client.app.openapi()["paths"]["/v1/regions"]["get"]["responses"]["429"]


def test_the_limit_is_per_client_address(api):
    client, tokens = api
    for _ in range(4):
        client.get("/v1/regions", headers=BAD)
    assert client.get("/v1/me", headers=bearer(tokens["auditor"])).status_code == 429
    with TestClient(client.app, client=("192.0.2.7", 40000)) as elsewhere:
        assert elsewhere.get("/v1/me", headers=bearer(tokens["auditor"])).status_code == 200
        assert elsewhere.get("/v1/me", headers=BAD).status_code == 401


def test_valid_tokens_and_missing_tokens_are_not_counted(api):
    client, tokens = api
    for _ in range(30):
        assert client.get("/v1/me", headers=bearer(tokens["region"])).status_code == 200
        assert client.get("/v1/me").status_code == 401  # no token tried: nothing guessed
    for _ in range(3):
        assert client.get("/v1/me", headers=BAD).status_code == 401
    assert client.get("/v1/me", headers=BAD).status_code == 429


def test_the_address_may_try_again_when_its_failures_leave_the_window():
    """The window is counted on the limiter's clock, here one the test moves: no real time to outwait."""
    client, tokens = make(auth_failure_limit=2, auth_failure_window_seconds=60)
    now = [1000.0]
    client.app.state.api.auth_failures = FailedAuthLimiter(2, 60, clock=lambda: now[0])
    with client:
        for _ in range(2):
            assert client.get("/v1/me", headers=BAD).status_code == 401
        now[0] += 59.5  # the first failure is still inside the window
        limited = client.get("/v1/me", headers=bearer(tokens["operator"]))
        assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
        now[0] += 0.6  # now it has left it
        assert client.get("/v1/me", headers=bearer(tokens["operator"])).status_code == 200
        assert client.get("/v1/me", headers=BAD).status_code == 401


def test_served_by_uvicorn_a_forwarded_for_header_from_loopback_names_no_new_client():
    """uvicorn believes X-Forwarded-For from 127.0.0.1 unless told not to: each request would be a new client."""
    settings = ApiSettings(database_url="memory:", port=free_port(), auth_failure_limit=3)
    server = uvicorn.Server(uvicorn_config(settings))  # as `sto serve` runs it
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 120  # only a hang takes that long
        while not server.started and time.monotonic() < deadline and thread.is_alive():
            time.sleep(0.05)
        assert server.started, f"uvicorn did not start (thread alive: {thread.is_alive()})"
        with httpx.Client(base_url=f"http://127.0.0.1:{settings.port}", timeout=10) as client:
            answers = [client.get("/v1/me", headers={**BAD, "X-Forwarded-For": f"10.9.{n}.1"}).status_code for n in range(5)]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert answers == [401, 401, 401, 429, 429]


def test_the_limiter_counts_every_failure_from_many_threads():
    limiter = FailedAuthLimiter(limit=800, window_seconds=60)
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        for _ in range(100):
            limiter.retry_after("203.0.113.1")
            limiter.failed("203.0.113.1")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert limiter.retry_after("203.0.113.1") == 60  # exactly 800 counted: the 800th closed the door
    assert limiter.retry_after("203.0.113.2") is None


def test_the_limiter_forgets_old_addresses_rather_than_growing_without_bound():
    limiter = FailedAuthLimiter(limit=1, window_seconds=60, max_addresses=100)
    for n in range(1000):
        limiter.failed(f"198.51.100.{n % 250}-{n}")
    assert len(limiter._failures) <= 100
    assert limiter.retry_after("198.51.100.249-999") == 60  # the newest stays


def test_an_ipv6_client_counts_by_its_64_network():
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1" and client_key("127.0.0.1") == "127.0.0.1"
    assert client_key(None) == "unknown"


def test_the_limits_must_make_sense():
    with pytest.raises(ValueError):
        FailedAuthLimiter(limit=0)


# --- 4 and 5. a region's own file -------------------------------------------------------------------------

@pytest.fixture
def grants():
    client, tokens = make()
    scripted_regions(client.app.state.api.service, 2)  # STO-R001 and STO-R002, each in its life
    with client:
        yield client, tokens


def test_a_region_reads_its_own_history_and_as_of_but_no_other_regions(grants):
    client, tokens = grants
    own = bearer(tokens["region"])
    history = client.get("/v1/grants/sto-r001/history", headers=own)
    assert history.status_code == 200, history.text
    assert history.json()["region_code"] == "STO-R001" and history.json()["events"][0]["event"] == "VooraanmeldingReceived"
    as_of = client.get("/v1/grants/STO-R001/as-of/2019-06-10", headers=own)
    assert as_of.status_code == 200 and as_of.json()["region_code"] == "STO-R001"
    for path in ("/v1/grants/STO-R002/history", "/v1/grants/STO-R002/as-of/2019-06-10", "/v1/grants/STO-R404/history",
                 "/v1/audit/verify", "/v1/regions", "/v1/deadlines"):
        refused = client.get(path, headers=own)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden", path


def test_a_region_never_sees_the_global_log_position_but_staff_do(grants):
    client, tokens = grants
    reads = ("/v1/grants/STO-R001", "/v1/grants/STO-R001/deadlines", "/v1/grants/STO-R001/history",
             "/v1/grants/STO-R001/as-of/2019-06-10")
    before = {path: client.get(path, headers=bearer(tokens["region"])).json() for path in reads}
    for view in before.values():
        assert "position" not in repr(view), view
    assert before["/v1/grants/STO-R001"]["version"] >= 1  # the grant's own version instead
    scripted_regions(client.app.state.api.service, 1, first=3)  # another region's grant changes
    after = {path: client.get(path, headers=bearer(tokens["region"])).json() for path in reads}
    assert after == before  # nothing in a region's view moves with the others
    staff = client.get("/v1/grants/STO-R001", headers=bearer(tokens["auditor"])).json()
    assert staff["position"] > 0
    events = client.get("/v1/grants/STO-R001/history", headers=bearer(tokens["operator"])).json()["events"]
    assert all(event["position"] > 0 for event in events)


def test_a_region_sees_its_besluiten_but_not_the_stages_drafts_and_claims_of_its_case(grants):
    client, tokens = grants
    from domain import commands as c
    from domain.values import Role
    from tests.support.scripted import GrantScript, at

    service = client.app.state.api.service
    waiting = GrantScript(service, index=1)  # STO-R001, approved through its stages; now a lowering drafted, and claimed
    service.execute(c.LowerGrant(region_code=waiting.code, actor=c.Actor(name="op.visser", role=Role.OPERATOR),
                                 reason="melding: minder activiteiten", effective_at=at(2023, 12, 1),
                                 granted_per_year=[{"year": 2023, "amount_cents": 100_000_00}]))
    service.execute(c.ClaimCase(region_code=waiting.code, actor=c.Actor(name="ic.smit", role=Role.OPERATOR),
                                reason="oppakken", effective_at=at(2023, 12, 1)))
    internal = {"BesluitDrafted", "StagePassed", "BesluitSigned", "CaseClaimed"}
    staff = {e["event"] for e in client.get("/v1/grants/STO-R001/history", headers=bearer(tokens["auditor"])).json()["events"]}
    own = {e["event"] for e in client.get("/v1/grants/STO-R001/history", headers=bearer(tokens["region"])).json()["events"]}
    assert internal <= staff and not internal & own and "GrantApproved" in own
    as_of = client.get("/v1/grants/STO-R001/as-of/2023-12-02", headers=bearer(tokens["region"])).json()["grant"]
    assert "claim" not in as_of and "case" not in as_of and all("stages" not in b for b in as_of["besluiten"])
    assert all(b["signature"] for b in as_of["besluiten"] if b["kind"] == "approval")  # the letter's signature: theirs
    assert not {"ClaimCase", "PassStage"} & set(as_of["allowed_commands"])
    assert client.get("/v1/grants/STO-R001/as-of/2023-12-02", headers=bearer(tokens["operator"])).json()["grant"]["claim"]
    grant = client.get("/v1/grants/STO-R001", headers=bearer(tokens["region"])).json()
    assert "waiting" not in grant and "work_transitions" not in grant
    staff_view = client.get("/v1/grants/STO-R001", headers=bearer(tokens["operator"])).json()
    assert staff_view["waiting"]["claimed_by"] == "ic.smit" and "release" in staff_view["work_transitions"]
