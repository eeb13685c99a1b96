"""`sto work` and `sto mandates` against `sto serve`: the queue's filters (mine, my roles, unassigned, scheme,
stage, due within) and its pages; claim, a claim by another (exit 3, `transition_refused`, the rule named),
release (a coordinator's of anyone's, nobody else's), assign; a stage refused to a role not granted; a besluit
drafted by `sto grant approve`, sent back and drafted again by its drafter; the register as in force on a day."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import sto_cli
from tests.e2e.grant_bodies import body, take

pytestmark = [pytest.mark.temporal, pytest.mark.slow]

DUE, DRAFTED, SPARE = "STO-E2E-WQC1", "STO-E2E-WQC2", "STO-E2E-WQC3"
INDEX = {DUE: 63, DRAFTED: 64, SPARE: 65}
OURS = set(INDEX)
IC = ["--answer", "advies_gevolgd=yes", "--answer", "bedrag_juist=ja", "--answer", "iban_juist=yes",
      "--answer", "beschikking_mag_verzonden=yes"]


@pytest.fixture(scope="module")
def grants(served):
    with served.client(served.token("operator", "op.jansen")) as op:
        for code, index in INDEX.items():
            take(op, code, index, "pre-register", "apply", "accept", "advise")
    return served


@pytest.fixture
def sto(grants, monkeypatch):
    with sto_cli(grants, monkeypatch, actor="op.jansen") as run:
        yield run


def listed(sto, *args: str) -> set[str]:
    """The region codes of ours that `sto work ARGS --json` lists, every page followed."""
    found, after = [], []
    while True:
        answer = sto("work", *args, "--json", "--as-of", "2019-06-25", *after)
        assert answer.exit_code == 0, answer.output
        page = json.loads(answer.stdout)
        found += [i["region_code"] for i in page["work_items"]]
        if page["next_cursor"] is None:
            break
        after = ["--after", page["next_cursor"]]
    assert len(found) == len(set(found))  # each once
    return set(found) & OURS


def refused(answer, rule: str) -> None:
    assert answer.exit_code == 3, answer.output
    error = json.loads(answer.stdout)
    assert (error["error"], error["rule"]) == ("transition_refused", rule) and error["source"], error


def test_a_besluit_command_drafts_and_says_which_stage_waits_next(sto, tmp_path):
    fields = tmp_path / "approve.json"
    fields.write_text(json.dumps({k: v for k, v in body("approve", INDEX[DRAFTED]).items()
                                  if k not in ("reason", "effective_at")}))
    drafted = sto("grant", "approve", DRAFTED, "--file", str(fields), "--reason", "verlenen",
                  "--effective-at", "2019-06-20T10:00")
    assert drafted.exit_code == 0, drafted.output
    said = " ".join(drafted.stdout.split())  # as read, whatever the terminal's width
    assert "BesluitDrafted" in said and "the besluit is drafted, not yet taken" in said
    assert "waits next: the stage Interne controle (interne_controle), role interne_controle" in said


def test_claim_release_and_assign_and_a_case_claimed_by_another_is_refused(sto):
    at = "--effective-at"
    assert sto("work", "claim", DUE, "--actor", "op.bakker", at, "2019-06-08T10:00").exit_code == 0
    refused(sto("work", "claim", DUE, "--actor", "op.visser", at, "2019-06-09T10:00", "--json"), "work.claimed_by_other")
    refused(sto("work", "release", DUE, "--actor", "op.visser", at, "2019-06-09T10:00", "--json"), "authority.role")
    plain = sto("work", "claim", DUE, "--actor", "op.visser", at, "2019-06-09T10:00")
    assert plain.exit_code == 3 and "work.claimed_by_other" in plain.stderr and "op.bakker" in plain.stderr
    assert listed(sto, "--mine", "--actor", "op.bakker") == {DUE}
    assert DUE not in listed(sto, "--unassigned")
    assert sto("work", "release", DUE, "--actor", "op.bakker", at, "2019-06-10T10:00").exit_code == 0
    assert DUE in listed(sto, "--unassigned") and listed(sto, "--mine", "--actor", "op.bakker") == set()
    # a coordinator gives the work to someone, and releases anyone's claim
    assigned = sto("work", "assign", SPARE, "op.visser", "--actor", "co.meijer", at, "2019-06-10T10:00", "--json")
    assert assigned.exit_code == 0, assigned.output
    assert json.loads(assigned.stdout)["waiting"]["claimed_by"] == "op.visser"
    refused(sto("work", "assign", SPARE, "op.bakker", "--actor", "op.jansen", at, "2019-06-11T10:00", "--json"),
            "authority.role")
    assert sto("work", "release", SPARE, "--actor", "co.de-vries", at, "2019-06-11T10:00").exit_code == 0
    shown = json.loads(sto("work", "show", SPARE, "--json").stdout)
    assert shown["claim"] is None and shown["open"]["stage"] == "eerste_beoordeling"


def test_the_queue_filters_by_holder_role_scheme_stage_and_due_date_and_pages(sto):
    assert listed(sto, "--all") == OURS
    assert listed(sto, "--limit", "1") == OURS  # one at a time, following the cursor
    assert listed(sto, "--stage", "interne_controle") == {DRAFTED}
    assert listed(sto, "--my-roles", "--actor", "ic.smit") == {DRAFTED}
    assert listed(sto, "--my-roles", "--actor", "op.jansen") == {DUE, SPARE}  # four eyes: he drafted DRAFTED
    assert listed(sto, "--scheme", "sto-2020-2024") == OURS and listed(sto, "--scheme", "sto-2025-2028") == set()
    assert listed(sto, "--due-within", "10") == OURS  # the decision term of period 1 ends 2019-06-30
    assert listed(sto, "--due-within", "2") == set()
    table = sto("work", "--stage", "interne_controle", "--as-of", "2019-07-03")
    assert table.exit_code == 0 and DRAFTED in table.stdout and "overdue" in table.stdout
    late = json.loads(sto("work", "--stage", "interne_controle", "--as-of", "2019-07-03", "--json").stdout)
    item = next(i for i in late["work_items"] if i["region_code"] == DRAFTED)
    assert (item["due"]["due"], item["due"]["overdue_days"], item["due"]["text"]) == ("2019-06-30", 3, "overdue 3 days")
    wrong = sto("work", "--all", "--mine", "--json")
    assert wrong.exit_code == 2 and json.loads(wrong.stdout)["error"] == "invalid_input"


def test_a_stage_is_refused_to_a_role_not_granted_and_a_case_sent_back_is_drafted_again(sto, tmp_path):
    at = "--effective-at"
    refused(sto("work", "pass", DRAFTED, "interne_controle", *IC, "--reason", "akkoord", at, "2019-06-21T10:00",
                "--json"), "authority.role")  # op.jansen drafted it and holds no interne_controle role
    back = sto("work", "send-back", DRAFTED, "interne_controle", "--reason", "IBAN klopt niet", "--actor", "ic.smit",
               at, "2019-06-21T10:00")
    assert back.exit_code == 0 and "sent back" in back.stdout, back.output
    case = json.loads(sto("work", "show", DRAFTED, "--json").stdout)
    assert (case["open"]["stage"], case["claim"]["person"], case["case"]["round"]) == ("eerste_beoordeling", "op.jansen", 2)
    assert case["case"]["stages"][-1]["reason"] == "IBAN klopt niet"
    fields = tmp_path / "approve.json"
    fields.write_text(json.dumps({k: v for k, v in body("approve", INDEX[DRAFTED]).items()
                                  if k not in ("reason", "effective_at")}))
    again = sto("grant", "approve", DRAFTED, "--file", str(fields), "--reason", "IBAN hersteld", at, "2019-06-22T10:00")
    assert again.exit_code == 0 and "BesluitDrafted" in again.stdout, again.output
    passed = sto("work", "pass", DRAFTED, "interne_controle", *IC, "--reason", "akkoord", "--actor", "ic.mulder",
                 at, "2019-06-23T10:00", "--json")
    assert passed.exit_code == 0 and json.loads(passed.stdout)["waiting"]["stage"] == "ondertekening", passed.output
    shown = sto("work", "show", DRAFTED)
    assert "Uitvoeringscoördinator" in shown.stdout and "may take it:" in shown.stdout


def test_sto_mandates_lists_the_register_as_in_force_on_a_day(sto):
    first = json.loads(sto("mandates", "--as-of", "2019-01-01", "--json").stdout)
    later = json.loads(sto("mandates", "--as-of", "2025-06-01", "--json").stdout)
    assert (first["in_force"], later["in_force"]) == (1, 2)
    signature = {m["id"]: m["signature"] for m in first["mandates"]}
    assert signature["afdelingshoofd"][0] == "de Minister van Onderwijs, Cultuur en Wetenschap,"
    assert next(m for m in later["mandates"] if m["id"] == "afdelingshoofd")["signature"][0].startswith("de minister")
    assert any(p["name"] == "ic.smit" and p["roles"] == {"*": ["interne_controle"]} for p in first["people"])
    shown = sto("mandates")
    assert shown.exit_code == 0 and "teamleider" in shown.stdout
