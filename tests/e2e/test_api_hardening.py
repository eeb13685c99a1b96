"""The API's defences against `sto serve` over HTTP, as an outside probe meets them: an oversized body is 413
(and nothing is written), every response carries the security headers and the pages keep working under their
Content-Security-Policy (headless Chromium), failed tokens lock their client address out for a while (even on
loopback), and a region reads its own file without seeing the global log move. (That X-Forwarded-For from
127.0.0.1 names no new client is tested in tests/unit/test_http_hardening.py: here it would lock out 127.0.0.1.)

Locked-out clients connect from their own loopback addresses (127.0.9.x), so the other tests, from 127.0.0.1,
are not locked out with them."""

from __future__ import annotations

import pytest

from adapters.http.limits import MIB
from tests.e2e.grant_bodies import take
from tests.e2e.test_api_access import client_from
from tests.e2e.test_backoffice_page import browser, chromium  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.temporal, pytest.mark.slow]

BIG, OWN, OTHER = "STO-E2E-HARD-BIG", "STO-E2E-HARD-OWN", "STO-E2E-HARD-OTHER"
BAD = "sto_12345678_" + "x" * 43
SECURITY = {"x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
# ReDoc's bundle links its logo on a CDN: blocked, and nothing the page needs (test_backoffice_page says so too)
REDOC_LOGO = "img-src https://cdn.redoc.ly/"


def test_a_body_over_one_mib_is_413_with_the_error_body_and_writes_nothing(served):
    with served.client(served.token("operator", "op.hardening")) as op:
        take(op, BIG, 71, "pre-register")
        before = served.settled_events()
        reason = "x" * (2 * MIB)
        declared = op.post(f"/v1/grants/{BIG}/accept", json={"reason": reason})
        chunked = op.post(f"/v1/grants/{BIG}/accept", content=iter([b'{"reason": "', reason.encode(), b'"}']),
                          headers={"Content-Type": "application/json"})
        huge = op.post(f"/v1/grants/{BIG}/accept", content=b" " * (40 * MIB), headers={"Content-Type": "application/json"})
        still_there = op.get(f"/v1/grants/{BIG}")  # the same connection pool keeps working
    assert chunked.request.headers.get("transfer-encoding") == "chunked"
    for answer in (declared, chunked, huge):
        assert answer.status_code == 413, answer.text
        assert answer.json()["code"] == "payload_too_large" and str(MIB) in answer.json()["detail"] and answer.json()["hint"]
        assert answer.headers["x-frame-options"] == "DENY" and answer.headers["cache-control"] == "no-store"
    assert still_there.status_code == 200 and still_there.json()["status"] == "pre_registered"
    assert served.stored_events() == before


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/docs", "/redoc", "/v1/openapi.json", "/healthz", "/v1/regions",
                                  "/v1/grants/STO-E2E-HARD-NOBODY", "/nowhere"])
def test_every_served_response_carries_the_security_headers(served, path):
    with served.client(served.token("auditor", "aud.headers")) as client:
        answer = client.get(path)
    assert {name: answer.headers.get(name) for name in SECURITY} == SECURITY
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert (answer.headers.get("cache-control") == "no-store") == path.startswith("/v1/")


def test_twenty_failed_tokens_lock_the_address_out_and_a_valid_token_does_not_open_it(served):
    operator = served.token("operator", "op.locked-out")
    with client_from(served, "127.0.9.1") as prober:
        first = [prober.get("/v1/regions", headers={"Authorization": f"Bearer {BAD}{n}"}).status_code for n in range(20)]
        then = [prober.get("/v1/regions", headers={"Authorization": f"Bearer {BAD}{n}"}) for n in range(200)]
        with_valid = prober.get("/v1/regions", headers={"Authorization": f"Bearer {operator}"})
    assert first == [401] * 20
    assert {answer.status_code for answer in then} == {429}
    body = then[0].json()
    assert body["code"] == "too_many_failed_authentications" and body["detail"] and body["hint"]
    assert 1 <= int(then[-1].headers["retry-after"]) <= 60
    assert with_valid.status_code == 429  # not even checked
    with served.client(operator) as elsewhere:  # another address (127.0.0.1) is not locked out
        assert elsewhere.get("/v1/regions").status_code == 200


def test_a_region_reads_its_own_file_and_nothing_in_it_moves_when_another_grant_changes(served):
    region = served.token("region", "penvoerder hardening", OWN)
    auditor = served.token("auditor", "aud.position")
    reads = (f"/v1/grants/{OWN}", f"/v1/grants/{OWN}/deadlines", f"/v1/grants/{OWN}/history",
             f"/v1/grants/{OWN}/as-of/2019-03-20")
    with served.client(served.token("operator", "op.hardening")) as op, served.client(region) as own, \
            served.client(auditor) as audit:
        take(op, OWN, 72, "pre-register", "apply")
        take(op, OTHER, 73, "pre-register")
        before = {path: own.get(path) for path in reads}
        staff_before = audit.get(f"/v1/grants/{OWN}").json()["position"]
        take(op, OTHER, 73, "apply")  # another region's grant moves the global log
        after = {path: own.get(path).json() for path in reads}
        staff_after = audit.get(f"/v1/grants/{OWN}").json()["position"]
        foreign = [own.get(f"/v1/grants/{OTHER}/history"), own.get(f"/v1/grants/{OTHER}/as-of/2019-03-20"),
                   own.get("/v1/audit/verify")]
        staff_history = audit.get(f"/v1/grants/{OWN}/history").json()["events"]
    assert {path: answer.status_code for path, answer in before.items()} == dict.fromkeys(reads, 200)
    assert [e["event"] for e in after[f"/v1/grants/{OWN}/history"]["events"]] == ["VooraanmeldingReceived", "ApplicationSubmitted"]
    assert after[f"/v1/grants/{OWN}/as-of/2019-03-20"]["grant"]["status"] == "application_submitted"
    assert after == {path: answer.json() for path, answer in before.items()}
    assert all("position" not in answer.text for answer in before.values())
    assert after[f"/v1/grants/{OWN}"]["version"] == 2  # its own version tells it where its grant stands
    assert staff_after > staff_before and all(e["position"] > 0 for e in staff_history)  # staff keep the position
    assert [(a.status_code, a.json()["code"]) for a in foreign] == [(403, "forbidden")] * 3


def _violations(page) -> list[str]:
    return [v for v in page.evaluate("window.__csp") if not v.startswith(REDOC_LOGO)]


def _watch(browser):  # noqa: F811 (the fixture's browser)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                         " (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI))")
    return page


def test_the_page_works_under_its_policy_without_a_single_violation(served, browser):  # noqa: F811
    token = served.token("operator", "op.csp")
    page = _watch(browser)
    page.goto(served.base_url + "/")
    page.fill("#token", token)
    page.click("#sign-in-form button")
    page.click(f"#regions-rows a[href='#/grants/{BIG}']")
    page.wait_for_selector("#grant-status[data-status='pre_registered']")
    page.click("#transition-buttons button[data-transition='apply']")
    page.wait_for_selector("form.transition[data-transition='apply']")
    assert page.locator("#timeline-rows tr").count() >= 1
    assert _violations(page) == []
    # what the policy is for: a script smuggled into the page does not run
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.__ran = true';"
                  " document.body.appendChild(s); }")
    assert page.evaluate("window.__ran === undefined") and _violations(page) == ["script-src-elem inline"]


@pytest.mark.parametrize("path, rendered", [("/docs", ".opblock"), ("/redoc", "[data-section-id]")])
def test_the_documentation_works_under_its_policy(served, browser, path, rendered):  # noqa: F811
    page = _watch(browser)
    page.goto(served.base_url + path)
    page.wait_for_selector(rendered, timeout=20_000)
    assert page.locator(rendered).count() >= 10
    if path == "/docs":  # try one endpoint from Swagger UI: its fetch is allowed too
        operation = "#operations-reads-me"
        page.click(f"{operation} .opblock-summary")
        page.click(f"{operation} button.try-out__btn")
        page.click(f"{operation} button.execute")
        page.wait_for_selector(f"{operation} .live-responses-table", timeout=10_000)
        assert "401" in page.inner_text(f"{operation} .live-responses-table")
    assert _violations(page) == []
