"""The API fuzzed with schemathesis against its own OpenAPI document, as an operator (who gets furthest), over
HTTP against `sto serve`: no answer is a server error, every answer keeps to the document (status codes, content
type, schemas), input the document forbids is rejected, and a rejected request writes nothing to the event store.

Not checked: that every input the document allows is accepted (schemathesis' positive_data_acceptance). The
domain's own types are stricter than their JSON Schema says (text that is blank after trimming, a BRIN in lower
case, a year given twice) and answer 400 for what the document lets through.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import ignored_auth, positive_data_acceptance

from adapters.http.app import create_app
from adapters.http.context import ApiSettings

pytestmark = [pytest.mark.temporal, pytest.mark.slow]


def _own_openapi() -> dict:
    """The app's OpenAPI document, built in-process (schemathesis parametrizes at collection time)."""
    app = create_app(ApiSettings(database_url="memory:"))
    try:
        return app.openapi()
    finally:
        app.state.api.close()


OPENAPI = _own_openapi()
# The fuzzing phase only (valid and invalid input, 20 examples per operation in each mode): the coverage phase
# adds some 2,000 systematic requests and half a minute, more than this suite may spend here.
# Invalid data counts as rejected with any 4xx the API gives it, 413 included (a generated body over 1 MiB is
# refused before it is even parsed); 422 is not among them: the API answers invalid input with 400.
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "428", "429", "5xx"]
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({
    "phases": {"coverage": {"enabled": False}},
    "checks": {"negative_data_rejection": {"expected-statuses": REJECTED}},
})
schema = schemathesis.openapi.from_dict(OPENAPI, config=CONFIG)


@pytest.fixture(scope="module")
def operator(served) -> dict[str, str]:
    served.settled_events()  # once, before the first case: no letter of an earlier module lands in between
    return {"Authorization": f"Bearer {served.token('operator', 'op.fuzz')}"}


def test_the_served_api_publishes_the_document_that_is_fuzzed(served):
    with served.client() as client:
        assert client.get("/v1/openapi.json").json() == OPENAPI


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_request_fails_the_server_or_writes_when_rejected(case, served, operator):
    before = served.stored_events()
    # ignored_auth sends a bad token after every success: the failed-authentication limit would lock this
    # address out for the tests after it; the role-by-endpoint matrix (test_api_access.py) proves auth instead
    # the token goes into the case itself: schemathesis then judges the request that is sent, and does not count
    # a case whose Authorization header it left out (and that we sent all the same) as invalid data accepted
    case.headers = {**(case.headers or {}), **operator}
    response = case.call_and_validate(base_url=served.base_url, excluded_checks=[positive_data_acceptance, ignored_auth])
    assert response.status_code < 500
    if response.status_code >= 400:
        assert served.stored_events() == before, f"{case.method} {case.path} answered {response.status_code} and wrote"
