"""Request bodies for the API, from the synthetic regions (adapters.replay.synthetic): one grant's life step by step."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from tests.support.scripted import PER_YEAR
from adapters.replay.synthetic import application_documents, synthetic_region
from domain.values import RegionKind

_JSON = TypeAdapter(Any)

# Business times of a period-1 grant (the API's own clock stands on 15 October 2018).
STEPS = {
    "pre-register": "2018-10-20T10:00:00+02:00",
    "apply": "2019-03-15T10:00:00+01:00",
    "accept": "2019-04-01T10:00:00+02:00",
    "advise": "2019-06-07T10:00:00+02:00",
    "approve": "2019-06-20T10:00:00+02:00",
}


def _plain(value: Any) -> Any:
    return _JSON.dump_python(value, mode="json")


def body(step: str, index: int, **extra: Any) -> dict[str, Any]:
    """The body of one step for synthetic region `index` (its schools and pupil counts fit each other)."""
    region = synthetic_region(index, kind=RegionKind.TECHNIEKREGIO)  # no ranking score in its advice
    fields: dict[str, Any] = {"reason": f"{step} (test)", "effective_at": STEPS[step]}
    if step == "pre-register":
        own = region.vooraanmelding_fields()
        own.pop("region_code")
        fields.update(_plain(own))
    elif step == "apply":
        fields.update(period=1, documents=_plain(application_documents(region, PER_YEAR)))
    elif step == "advise":
        fields.update(positive=True, criteria=[{"criterion": "regiovisie", "judgement": "sufficient"}])
    elif step == "approve":
        fields.update(granted_per_year=[{"year": y, "amount_cents": a} for y, a in sorted(PER_YEAR.items())])
    fields.update(extra)
    return fields


def take(client, code: str, index: int, *steps: str) -> list[dict[str, Any]]:
    """Send the steps in turn; every one must be recorded."""
    results = []
    for step in steps:
        response = client.post(f"/v1/grants/{code}/{step}", json=body(step, index))
        assert response.status_code == 200, f"{step}: {response.status_code} {response.text}"
        results.append(response.json())
    return results
