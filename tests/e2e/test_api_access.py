"""Every endpoint against every kind of caller: no token, a malformed or revoked token, an operator, an auditor,
the grant's own region and a foreign region. 401 and 403 come with a JSON body; nothing is written.

Each request comes from its own loopback address (127.0.0.0/8 is all loopback): the malformed and revoked
tokens fail on every endpoint, more often than the limit on failed tokens per address allows
(adapters/http/limits.py, tested in test_api_hardening.py)."""

from __future__ import annotations

import httpx
import pytest

from adapters.operators.tokens import TokenStore
from adapters.operators.transitions import TRANSITIONS
from tests.e2e.grant_bodies import take

pytestmark = [pytest.mark.temporal, pytest.mark.slow]

OWN, FOREIGN = "STO-MX-OWN", "STO-MX-FOREIGN"
CALLERS = ("none", "malformed", "revoked", "operator", "auditor", "own region", "foreign region")
STAFF = {"operator", "auditor"}
GRANT = STAFF | {"own region"}
TOKEN_HOLDERS = GRANT | {"foreign region"}

# The access policy, written down once more on purpose: the API must keep to it.
EXPECTED: dict[str, set[str]] = {
    **{f"POST /v1/grants/{{region}}/{name}": {"operator"} for name in TRANSITIONS},
    "GET /v1/me": TOKEN_HOLDERS,
    "GET /v1/calendar": TOKEN_HOLDERS,
    "GET /v1/regions": STAFF,
    "GET /v1/deadlines": STAFF,
    "GET /v1/budget": STAFF,
    "GET /v1/grants/{region}": GRANT,
    "GET /v1/grants/{region}/deadlines": GRANT,
    "GET /v1/grants/{region}/history": GRANT,  # the region's own file
    "GET /v1/grants/{region}/as-of/{day}": GRANT,
    "GET /v1/audit/verify": STAFF,
    # the work queue, a grant's case and the organisation register: DUS-I's own handling, never a region's
    "GET /v1/work-items": STAFF,
    "GET /v1/grants/{region}/case": STAFF,
    "GET /v1/schemes/{scheme}/grants/{region}/case": STAFF,
    "GET /v1/mandates": STAFF,
    "GET /v1/health": set(CALLERS),
    # the same grant addressed by its scheme (a region holds one grant per scheme): the same policy
    **{f"POST /v1/schemes/{{scheme}}/grants/{{region}}/{name}": {"operator"} for name in TRANSITIONS},
    "GET /v1/schemes": TOKEN_HOLDERS,
    "GET /v1/schemes/{scheme}": TOKEN_HOLDERS,
    "GET /v1/schemes/{scheme}/grants/{region}": GRANT,
    "GET /v1/schemes/{scheme}/grants/{region}/deadlines": GRANT,
    "GET /v1/schemes/{scheme}/grants/{region}/history": GRANT,
    "GET /v1/schemes/{scheme}/grants/{region}/as-of/{day}": GRANT,
    # the decision letters: the grant's own file, as its history (adapters/http/letter_routes.py)
    "GET /v1/grants/{region}/letters": GRANT,
    "GET /v1/grants/{region}/letters/{digest}": GRANT,
    "GET /v1/schemes/{scheme}/grants/{region}/letters": GRANT,
    "GET /v1/schemes/{scheme}/grants/{region}/letters/{digest}": GRANT,
    "GET /v1/subscriptions": {"operator"},
    "POST /v1/subscriptions": {"operator"},
    "DELETE /v1/subscriptions/{subscriptionId}": {"operator"},
    "GET /v1/subscriptions/{subscriptionId}/deliveries": {"operator"},
    "POST /v1/subscriptions/{subscriptionId}/redeliveries": {"operator"},
    # the money (adapters/http/money_routes.py): a grant's money is read by its own region too; its commands are
    # operators' (the domain decides who among them may); the overviews are staff's
    "GET /v1/grants/{region}/money": GRANT,
    "GET /v1/schemes/{scheme}/grants/{region}/money": GRANT,
    "GET /v1/money/summary": STAFF,
    "GET /v1/payment-batches": STAFF,
    **{f"POST {scope}/grants/{{region}}/money/{action}": {"operator"}
       for scope in ("/v1", "/v1/schemes/{scheme}")
       for action in ("account", "confirm-account", "instalments/{number}/release", "suspend", "resume")},
    "POST /v1/grants/{region}/money/claims/{claim}/set-off": {"operator"},
    # the secret in its URL is the key (tests/integration/test_calendar_feed.py): the literal `{secret}` opens
    # nothing, whoever asks, and a bearer token opens no feed either
    "GET /v1/calendar-feeds/{secret}": set(),
}
SECRET_IN_URL = {"GET /v1/calendar-feeds/{secret}"}


@pytest.fixture(scope="module")
def world(served):
    operator = served.token("operator", "op.matrix")
    with served.client(operator) as op:
        take(op, OWN, 21, "pre-register")
        SCHEME_OF["own"] = op.get(f"/v1/grants/{OWN}").json()["scheme"]  # the scheme the vooraanmelding went to
        endpoints = [
            f"{method.upper()} {path}"
            for path, item in op.get("/v1/openapi.json").json()["paths"].items()
            for method in item
        ]
    revoked = served.token("auditor", "aud.gone")
    TokenStore(served.database_url).revoke(revoked.split("_")[1], revoked_by="tests")  # sto_<id>_<secret>
    tokens = {
        "none": None,
        "malformed": "sto_not-a-token",
        "revoked": revoked,
        "operator": operator,
        "auditor": served.token("auditor", "aud.matrix"),
        "own region": served.token("region", "penvoerder own", OWN),
        "foreign region": served.token("region", "penvoerder foreign", FOREIGN),
    }
    return endpoints, tokens


def client_from(served, address: str, token: str | None = None) -> httpx.Client:
    """A client whose connections come from `address` (a loopback address other than 127.0.0.1)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=served.base_url, headers=headers, timeout=60,
                        transport=httpx.HTTPTransport(local_address=address))


SCHEME_OF: dict[str, str] = {}


def request(client, endpoint: str):
    method, path = endpoint.split(" ", 1)
    path = path.replace("{scheme}", SCHEME_OF.get("own", "sto-2020-2024")).replace("{region}", OWN).replace("{day}", "2019-01-01").replace("{subscriptionId}", "00000000").replace("{digest}", "0" * 64)
    if method == "DELETE":
        return client.delete(path)
    if method == "POST":
        # a stale expected version: whoever gets through is refused (409) or corrected (400), never recorded
        return client.post(path, json={"reason": "matrix", "expected_version": 99})
    return client.get(path)


def test_the_matrix_covers_every_endpoint_of_the_openapi_document(world):
    endpoints, _ = world
    assert sorted(endpoints) == sorted(EXPECTED)


@pytest.mark.parametrize("caller", CALLERS)
def test_each_caller_reaches_exactly_the_endpoints_of_its_role(served, world, caller):
    endpoints, tokens = world
    before = served.settled_events()
    wrong = []
    for number, endpoint in enumerate(endpoints):
        with client_from(served, f"127.0.{10 + CALLERS.index(caller)}.{1 + number}", tokens[caller]) as client:
            response = request(client, endpoint)
            body = response.json()  # always JSON
            allowed = caller in EXPECTED[endpoint]
            if endpoint in SECRET_IN_URL:
                ok = response.status_code == 404 and body["code"] == "not_found"
            elif not allowed and caller in ("none", "malformed", "revoked"):
                ok = response.status_code == 401 and body["code"] == "unauthorized" and response.headers["www-authenticate"] == "Bearer"
            elif not allowed:
                ok = response.status_code == 403 and body["code"] == "forbidden"
            elif "{subscriptionId}" in endpoint:  # no such subscription: 404
                ok = response.status_code in (404, 409, 400) and "hint" in body
            elif "{digest}" in endpoint:  # no such letter: 404 (the grant has none yet)
                ok = response.status_code == 404 and body["code"] == "not_found" and "hint" in body
            elif endpoint.startswith("POST"):
                ok = response.status_code in (409, 400) and "hint" in body
            else:
                ok = response.status_code == 200
            if not ok:
                wrong.append(f"{endpoint}: {response.status_code} {body}")
    assert not wrong, f"{caller}:\n" + "\n".join(wrong)
    assert served.stored_events() == before
