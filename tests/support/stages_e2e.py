"""Taking a besluit through its stages from the end-to-end tests, by the interface the test drives (issue 23).

A besluit command (approve, reject, grant-extension, determine, withdraw of a granted subsidy, decide-objection)
only drafts the besluit; each further stage of its procedure (the scheme file's `[[procedures]]`) is passed by
another person of the organisation register (domain/regulation/data/organisation/register.toml) holding the
stage's role, and the signing stage takes the besluit under that person's mandate. This helper sends those
`pass` transitions as a person at a keyboard would: over HTTP with a token issued to that person
(`POST /v1/grants/{region}/pass`; the CLI's `sto work pass` is tested in tests/e2e/test_work_queue_cli.py). It
chooses nothing the domain decides: who may take a stage, four eyes and the mandate are the engine's to refuse.

Each stage's checklist is answered as a stage that passes answers it (every required question yes), and each stage
is dated an hour after the one before (a stage is taken after the draft, on the same business day).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from adapters.replay.staff import default_answers
from domain.regulation.procedures import Stage
from domain.regulation.schemes import scheme as shipped_scheme

# People of the shipped register who take the stages after the draft, by the stage's role. The drafter is whoever
# sent the besluit command (a beoordelaar, e.g. op.jansen); none of these holds that role, so four eyes holds.
STAGE_PEOPLE: Mapping[str, str] = {
    "interne_controle": "ic.smit",
    "coordinator": "co.de-vries",  # mandate afdelingshoofd: every kind of besluit up to EUR 10 million
    "jurist": "ju.bos",
    "beoordelaar": "op.bakker",
}
DRAFTER = "op.jansen"  # a beoordelaar: drafts the besluiten (the first stage of every STO procedure but bezwaar)


def later_stages(command_type: str, scheme: str | None = None) -> list[Stage]:
    """The stages of the besluit's procedure after its draft, in order (from the shipped scheme's data)."""
    return list(shipped_scheme(scheme).data.procedure_for(command_type).stages[1:])


def stage_times(drafted_at: str, count: int) -> list[str]:
    """An hour apart, after the draft's business time (ISO, as the tests write it)."""
    start = dt.datetime.fromisoformat(drafted_at)
    return [(start + dt.timedelta(hours=n)).isoformat() for n in range(1, count + 1)]


def _people(stages: list[Stage], people: Mapping[str, str] | None) -> list[str]:
    chosen = {**STAGE_PEOPLE, **(people or {})}
    return [chosen.get(stage.id, chosen[stage.role]) for stage in stages]


def pass_stages_api(served: Any, region: str, command_type: str, drafted_at: str, *,
                    people: Mapping[str, str] | None = None, scheme: str | None = None) -> list[dict[str, Any]]:
    """Pass every stage after the draft over HTTP, each with a token issued to the person who takes it; the answers.

    `people` overrides who takes a stage, by stage id or by role (e.g. {"coordinator": "co.meijer"})."""
    stages = later_stages(command_type, scheme)
    path = (f"/v1/schemes/{scheme}" if scheme else "/v1") + f"/grants/{region}/pass"
    answers = []
    for stage, person, at in zip(stages, _people(stages, people), stage_times(drafted_at, len(stages))):
        with served.client(served.token("operator", person)) as client:
            response = client.post(path, json={
                "stage": stage.id, "answers": default_answers(stage, command_type),
                "reason": f"{stage.title_nl}: akkoord", "effective_at": at,
            })
        assert response.status_code == 200, f"{stage.id} by {person}: {response.status_code} {response.text}"
        answers.append(response.json())
    return answers
