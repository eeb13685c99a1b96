"""The live OpenAPI document of `sto serve` (GET /v1/openapi.json, no token) passes our Spectral ruleset of the API
Design Rules (spectral/api-design-rules.yaml, @stoplight/spectral-cli from package-lock.json, installed by `make
install`); and each rule of that ruleset fails a document that breaks it, so the lint cannot pass by accident."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.e2e.conftest import REPO

pytestmark = [pytest.mark.temporal, pytest.mark.slow]

SPECTRAL = REPO / "node_modules" / ".bin" / "spectral"
RULESET = REPO / "spectral" / "api-design-rules.yaml"


def lint(document: dict[str, Any], tmp_path: Path) -> list[dict[str, Any]]:
    """Spectral's findings on `document` (every severity), as its JSON output lists them."""
    if not SPECTRAL.exists():
        pytest.fail(f"{SPECTRAL} is missing: run `make install` (it runs `npm ci` from package-lock.json)")
    target = tmp_path / "openapi.json"
    target.write_text(json.dumps(document))
    done = subprocess.run([str(SPECTRAL), "lint", "--ruleset", str(RULESET), "--format", "json", "--quiet", str(target)],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    try:
        return json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        pytest.fail(f"spectral exited {done.returncode} without JSON:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


@pytest.fixture(scope="module")
def live(served) -> dict[str, Any]:
    with served.client() as anyone:  # no token: the document is public
        answer = anyone.get("/v1/openapi.json", headers={"Origin": "https://another.example"})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "*"
    return answer.json()


def test_the_live_openapi_document_passes_the_api_design_rules(live, tmp_path):
    findings = lint(live, tmp_path)
    assert findings == [], "\n".join(f"{f['code']}: {f['message']} at {'.'.join(map(str, f['path']))}" for f in findings)


def _first_get(document: dict[str, Any]) -> dict[str, Any]:
    return document["paths"]["/v1/regions"]["get"]


BREAKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "nlgov-openapi3": lambda d: d.update(openapi="3.1"),  # a version without its patch number
    "nlgov-openapi-info": lambda d: d["info"].pop("description"),
    "nlgov-info-contact": lambda d: d["info"]["contact"].pop("email"),
    "nlgov-semver": lambda d: d["info"].update(version="1.0"),
    "nlgov-uri-version": lambda d: d["paths"].update({"/api/regions": d["paths"]["/v1/regions"]}),
    "nlgov-no-version-in-servers": lambda d: d.update(servers=[{"url": "https://sto.example/v1"}]),
    "nlgov-no-trailing-slash": lambda d: d["paths"].update({"/v1/regions/": d["paths"]["/v1/regions"]}),
    "nlgov-path-segments-kebab-case": lambda d: d["paths"].update({"/v1/grantRegions": d["paths"]["/v1/regions"]}),
    "nlgov-query-keys-camel-case": lambda d: _first_get(d)["parameters"].append({"name": "as_of", "in": "query", "schema": {"type": "string"}}),
    "nlgov-http-methods": lambda d: d["paths"]["/v1/regions"].update(trace={"responses": {}}),
    "nlgov-version-header": lambda d: _first_get(d)["responses"]["200"].pop("headers"),
    "nlgov-problem-details": lambda d: _first_get(d)["responses"]["401"].update(
        content={"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}),
    "nlgov-problem-details-members": lambda d: d["components"]["schemas"]["Problem"]["properties"].pop("instance"),
    "nlgov-invalid-input-is-400": lambda d: _first_get(d)["responses"].update({"422": _first_get(d)["responses"]["400"]}),
    "nlgov-operation-ids": lambda d: _first_get(d).update(operationId="regions_v1_regions_get"),
    "nlgov-security": lambda d: _first_get(d).pop("security"),
    # a collection without its cursor, or whose 200 answer does not declare the Link header of its next page
    "nlgov-collection-paging-parameters": lambda d: _first_get(d).update(
        parameters=[p for p in _first_get(d)["parameters"] if p["name"] != "cursor"]),
    "nlgov-collection-link-header": lambda d: d["paths"]["/v1/grants/{region}/history"]["get"]["responses"]["200"][
        "headers"].pop("Link"),
}


def test_every_rule_of_the_ruleset_is_tested_here():
    import yaml  # noqa: PLC0415 (pyyaml comes with schemathesis)

    assert set(yaml.safe_load(RULESET.read_text())["rules"]) == set(BREAKS)


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_each_rule_fails_a_document_that_breaks_it(live, tmp_path, rule):
    broken = copy.deepcopy(live)
    BREAKS[rule](broken)
    codes = {finding["code"] for finding in lint(broken, tmp_path)}
    assert rule in codes, f"{rule} did not fire; spectral found {sorted(codes)}"
