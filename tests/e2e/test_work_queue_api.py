"""Who may decide, over HTTP against `sto serve`: a besluit command only drafts; each further stage is passed or
sent back by someone holding its role, a refusal is a 409 problem naming its rule and nothing is written; the
work is claimed, released and assigned (a case another holds is a 409); the queue, one case and the register are
read by operators and auditors, never by a region's token."""

from __future__ import annotations

import pytest

from tests.e2e.grant_bodies import body, take

pytestmark = [pytest.mark.temporal, pytest.mark.slow]

CODE = "STO-E2E-WQA"
INDEX = 62
IC_ANSWERS = {"advies_gevolgd": True, "bedrag_juist": True, "iban_juist": True, "beschikking_mag_verzonden": True}
PEOPLE = ("op.jansen", "op.bakker", "ic.smit", "co.meijer", "co.de-vries")


@pytest.fixture(scope="module")
def tokens(served) -> dict[str, str]:
    found = {name: served.token("operator", name) for name in PEOPLE}
    found["region"] = served.token("region", "penvoerder wqa", CODE)
    found["auditor"] = served.token("auditor", "accountant.wqa")
    return found


def post(served, token: str, transition: str, when: str, **fields):
    with served.client(token) as client:
        return client.post(f"/v1/grants/{CODE}/{transition}", json={"reason": f"{transition} (test)",
                                                                    "effective_at": when, **fields})


def case(served, token: str) -> dict:
    with served.client(token) as client:
        answer = client.get(f"/v1/grants/{CODE}/case", params={"asOf": "2019-06-25"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def refused(served, answer, rule: str, tokens) -> None:
    """A 409 problem naming `rule` and its source; the grant's version unchanged (nothing written)."""
    assert answer.status_code == 409, answer.text
    problem = answer.json()
    assert problem["code"] == "transition_refused" and problem["rule"] == rule and problem["source"], problem
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_besluit_goes_through_its_stages_each_taken_by_its_role_with_claims_and_a_send_back(served, tokens):
    with served.client(tokens["op.jansen"]) as op:
        take(op, CODE, INDEX, "pre-register", "apply", "accept", "advise")
    opened = case(served, tokens["op.jansen"])["open"]
    assert (opened["stage"], opened["drafted"], opened["role"]) == ("eerste_beoordeling", False, "beoordelaar")
    assert "op.jansen" in opened["may_take"] and "ic.smit" not in opened["may_take"]

    # claim by one, claim by another: 409 naming the rule; the grant unchanged
    claimed = post(served, tokens["op.bakker"], "claim", "2019-06-08T10:00:00+02:00")
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["events"] == ["CaseClaimed"] and claimed.json()["waiting"]["claimed_by"] == "op.bakker"
    version = case(served, tokens["op.jansen"])["version"]
    refused(served, post(served, tokens["op.jansen"], "claim", "2019-06-09T10:00:00+02:00"), "work.claimed_by_other", tokens)
    refused(served, op_approve(served, tokens["op.jansen"]), "work.claimed_by_other", tokens)  # nor drafts it
    # someone else's claim is released by a coordinator only
    refused(served, post(served, tokens["op.jansen"], "release", "2019-06-09T10:00:00+02:00"), "authority.role", tokens)
    assert case(served, tokens["op.jansen"])["version"] == version
    assigned = post(served, tokens["co.meijer"], "assign", "2019-06-10T10:00:00+02:00", to="op.jansen")
    assert assigned.status_code == 200, assigned.text
    claim = case(served, tokens["op.jansen"])["claim"]
    assert (claim["person"], claim["assigned_by"]) == ("op.jansen", "co.meijer")

    # the besluit command drafts; the answer names the stage that waits next
    drafted = op_approve(served, tokens["op.jansen"])
    assert drafted.status_code == 200, drafted.text
    result = drafted.json()
    assert result["events"] == ["BesluitDrafted"] and result["status"] == "advised"
    assert (result["waiting"]["stage"], result["waiting"]["role"]) == ("interne_controle", "interne_controle")
    assert {"pass", "send-back"} <= set(result["work_transitions"])

    # a role not granted: refused, the rule named, nothing written; an incomplete checklist too
    version = case(served, tokens["op.jansen"])["version"]
    refused(served, post(served, tokens["op.jansen"], "pass", "2019-06-21T10:00:00+02:00", stage="interne_controle",
                         answers=IC_ANSWERS), "authority.role", tokens)
    refused(served, post(served, tokens["ic.smit"], "pass", "2019-06-21T10:00:00+02:00", stage="interne_controle",
                         answers={"advies_gevolgd": True}), "stages.checklist_incomplete", tokens)
    assert case(served, tokens["op.jansen"])["version"] == version

    passed = post(served, tokens["ic.smit"], "pass", "2019-06-21T10:00:00+02:00", stage="interne_controle",
                  answers={**IC_ANSWERS, "notitie": "IBAN gecontroleerd"})
    assert passed.status_code == 200 and passed.json()["events"] == ["StagePassed"], passed.text
    assert passed.json()["waiting"]["stage"] == "ondertekening"

    # sent back to the drafter, who drafts again in round 2; the stages are taken again and the besluit signed
    back = post(served, tokens["co.meijer"], "send-back", "2019-06-22T10:00:00+02:00", stage="ondertekening",
                answers={"akkoord": False})
    assert back.status_code == 200 and back.json()["events"] == ["BesluitSentBack"], back.text
    assert (back.json()["waiting"]["stage"], back.json()["waiting"]["claimed_by"]) == ("eerste_beoordeling", "op.jansen")
    taken = case(served, tokens["auditor"])["case"]
    assert [(s["stage"], s["outcome"], s["person"], s["role"]) for s in taken["stages"]] == [
        ("eerste_beoordeling", "drafted", "op.jansen", "beoordelaar"),
        ("interne_controle", "passed", "ic.smit", "interne_controle"),
        ("ondertekening", "sent_back", "co.meijer", "coordinator"),
    ]
    assert taken["stages"][1]["answers"]["notitie"] == "IBAN gecontroleerd" and taken["round"] == 2
    assert op_approve(served, tokens["op.jansen"], "2019-06-23T10:00:00+02:00").status_code == 200
    assert post(served, tokens["ic.smit"], "pass", "2019-06-24T10:00:00+02:00", stage="interne_controle",
                answers=IC_ANSWERS).status_code == 200
    signed = post(served, tokens["co.de-vries"], "pass", "2019-06-25T10:00:00+02:00", stage="ondertekening",
                  answers={"akkoord": True})
    assert signed.status_code == 200, signed.text
    assert signed.json()["events"][:2] == ["BesluitSigned", "GrantApproved"] and signed.json()["status"] == "approved"

    # the region reads its besluit, not the drafts, stages and claims of its case
    served.settled_events()
    with served.client(tokens["region"]) as own:
        events = [e["event"] for e in own.get(f"/v1/grants/{CODE}/history").json()["events"]]
        as_of = own.get(f"/v1/grants/{CODE}/as-of/2019-06-22").json()
    assert "GrantApproved" in events and not {"CaseClaimed", "BesluitDrafted", "StagePassed"} & set(events)
    assert "case" not in as_of["grant"] and "claim" not in as_of["grant"]


def op_approve(served, token: str, when: str = "2019-06-20T10:00:00+02:00"):
    with served.client(token) as client:
        return client.post(f"/v1/grants/{CODE}/approve", json=body("approve", INDEX, effective_at=when))


def test_the_queue_the_case_and_the_register_are_for_operators_and_auditors_only(served, tokens):
    with served.client(tokens["region"]) as own:
        for path in ("/v1/work-items", f"/v1/grants/{CODE}/case", "/v1/mandates"):
            answer = own.get(path)
            assert answer.status_code == 403 and answer.json()["code"] == "forbidden", path
    with served.client(tokens["auditor"]) as audit:
        queue = audit.get("/v1/work-items", params={"pageSize": 1})
        assert queue.status_code == 200, queue.text
        assert len(queue.json()["work_items"]) <= 1 and queue.json()["page_size"] == 1
        if queue.json()["next_cursor"]:
            assert queue.headers["link"].endswith('rel="next"')
        bad = audit.get("/v1/work-items", params={"mine": "true", "unassigned": "true"})
        assert bad.status_code == 400 and bad.json()["code"] == "invalid_input"
        register = audit.get("/v1/mandates", params={"asOf": "2025-06-01"}).json()
        assert register["in_force"] == 2 and [v["number"] for v in register["versions"]][:2] == [1, 2]
        teamleider = next(m for m in register["mandates"] if m["id"] == "teamleider")
        assert teamleider["chain"] == ["afdelingshoofd", "teamleider"] and "voor deze," in teamleider["signature"]
        assert teamleider["max_cents"] == 250_000_000 and "co.meijer" in teamleider["holders"]
