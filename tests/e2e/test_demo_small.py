"""`sto demo --regions 6` as a user runs it (a subprocess, both schemes), and the reads of the store it leaves:
the summary counts reminders and decision letters apart, and `sto grant letters` lists and writes the letters.

Six regions: a region's share of a ceiling is then many times a real one (the synthetic pupil counts must still
carry it: the 2025 application was once refused with money.regional_maximum), and the replay takes seconds.
The business clock is fixed (STO_BUSINESS_EPOCH) so that the 2025–2028 replay stops on the same day each run.
"""

from __future__ import annotations

import hashlib
from datetime import date
import json
import os
import subprocess
import sys
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from adapters.event_store.store import open_service

pytestmark = [pytest.mark.temporal]
REPO = Path(__file__).resolve().parents[2]
LEGACY, NEW = "sto-2020-2024", "sto-2025-2028"
TODAY = "2026-12-03T17:00:00+01:00"


def sto(*args: str, database_url: str | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    head = ["--database-url", database_url] if database_url else []
    env = {**os.environ, "STO_BUSINESS_EPOCH": TODAY}
    return subprocess.run([sys.executable, "-m", "adapters.cli.main", *head, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict:
    directory = tmp_path_factory.mktemp("demo6") / "demo"
    done = sto("demo", "--regions", "6", "--workers", "1", "--sandbox", "--json", "--dir", str(directory), timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    body = json.loads(done.stdout)
    body["directory"] = directory
    return body


def issued_letters(database_url: str) -> list[tuple[str, str, int]]:
    """(scheme, region, besluit) of every DecisionLetterIssued in the store."""
    service = open_service(database_url)
    return [(scheme, code, e.besluit) for scheme, code in service.grant_keys()
            for e in service.history(code, scheme=scheme) if type(e).__name__ == "DecisionLetterIssued"]


# What the six regions do, worked out from the scenario (the business clock is fixed, the regions are seeded):
# - 2020–2024: six vooraanmeldingen; one region does not apply in period 1 and lapses; of the five that apply,
#   three are approved in round 1 and two are rejected, object to nothing, apply again in round 2 and are approved
#   there: five verleningen, five 2024 extensions, five vaststellingen, and 2 + 5 + 5 + 5 = 17 besluiten, each with
#   its letter and each final once its objection term passed (17 DecisionBecameFinal).
# - 2025–2028: the five regions that carried a grant pre-register and apply again and are all approved: five
#   letters, five objection terms passed; one 2025–2026 plan late, one 2027–2028 plan late and one missing: three
#   DeadlineMissed. 17 + 5 = 22 letters in all.
# - reminders: 50, counted once from a run and held here; the plan of reminders is the engine's, so a change of
#   this number means the demo's scenario or the reminder plan changed, not the machine. And one aanmaning (Awb
#   4:112, in writing): the money after the vaststelling casts one region to pay its claim late (51 mails).
# - the money (adapters/replay/settlement_script.py): of the five determined, one gets a final payment (its last
#   advance came back), one pays late after the aanmaning, with interest, one is set off against its 2025–2028
#   advance, two repay on time.
LEGACY_MILESTONES = {
    "vooraanmeldingen before 1 November 2018": 6,
    "applications in period 1 (1–31 March 2019)": 5,
    "approved in round 1, before 1 July 2019": 3,
    "approved in round 2, by 17 December 2019": 2,
    "approved in total": 5,
    "lapsed (no application in period 1)": 1,
    "2024 extensions granted": 5,
    "vaststellingen": 5,
}


def test_six_regions_replay_both_schemes_and_every_2025_application_is_granted(demo):
    assert demo["regions"] == 6 and set(demo["schemes"]) == {NEW}
    assert demo["statuses"] == {"determined": 5, "lapsed": 1}
    milestones = {m["name"]: m["count"] for m in demo["milestones"]}
    assert {name: milestones.get(name) for name in LEGACY_MILESTONES} == LEGACY_MILESTONES
    assert demo["vaststelling"]["regions"] == demo["extension"]["regions"] == 5
    new = demo["schemes"][NEW]
    assert new["regions"] == 5 and new["statuses"] == {"approved": 5}
    approved = new["counts"][3]
    assert approved["name"].startswith("approved") and approved["count"] == approved["expected"] == 5


def test_the_summary_counts_reminders_and_letters_apart_under_stable_keys(demo):
    assert {"reminders_sent", "reminder_failures", "letters_sent", "letter_failures"} <= set(demo)
    assert demo["reminder_failures"] == demo["letter_failures"] == 0
    assert (demo["letters_sent"], demo["schemes"][NEW]["letters"], demo["reminders_sent"]) == (22, 5, 51)
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in (demo["directory"] / "outbox").glob("*.eml")]
    letters = [m for m in mails if m["X-STO-Letter-Key"]]
    assert (len(letters), len(mails) - len(letters)) == (22, 51)  # one mail per letter and per reminder (and aanmaning)
    assert sum(str(m["Subject"]).startswith("Aanmaning: vordering") for m in mails) == 1
    issued = issued_letters(demo["database_url"])
    assert (len(issued), sum(1 for scheme, _, _ in issued if scheme == NEW)) == (22, 5)  # one letter per besluit
    # a letter is no consequence of a deadline: counted apart, not among what the engine applied
    assert demo["consequences"] == {"DecisionBecameFinal": 17, "GrantLapsed": 1}
    assert demo["schemes"][NEW]["consequences"] == {"DecisionBecameFinal": 5, "DeadlineMissed": 3}
    assert all(part.get_content_type() == "application/pdf" for m in letters for part in m.iter_attachments())


def test_every_besluit_of_both_schemes_has_its_letter_the_vaststelling_too(demo):
    service = open_service(demo["database_url"])
    kinds: Counter = Counter()
    since = service.installation.letters_owed_from
    assert since is not None  # the demo's worker switched letters on when it started on the new store
    for scheme, code in service.grant_keys():
        state = service.state(code, scheme=scheme)
        assert all(b.recorded_at >= since for b in state.besluiten), (scheme, code)
        assert not state.besluiten_without_letter(since), (scheme, code)
        kinds.update((scheme, r.kind) for r in state.letters)
    assert kinds == {(LEGACY, "rejection"): 2, (LEGACY, "approval"): 5, (LEGACY, "extension"): 5,
                     (LEGACY, "determination"): 5, (NEW, "approval"): 5}


def test_every_besluit_was_drafted_and_signed_by_two_people_of_the_register_under_a_mandate(demo):
    service = open_service(demo["database_url"])
    signed = 0
    for scheme, code in service.grant_keys():
        state = service.state(code, scheme=scheme)
        assert state.case is None, (scheme, code)
        for besluit in state.besluiten:
            drafter = besluit.stages[0].person if besluit.stages and besluit.stages[0].outcome == "drafted" else None
            assert drafter and besluit.signature and besluit.signature["mandate"], (scheme, code, besluit.number)
            assert besluit.signature["signer"] == besluit.taken_by == besluit.stages[-1].person != drafter
            signed += 1
    assert signed == 22  # one letter a besluit
    # and the summary counts them: a draft, interne controle and a signature each, nothing left waiting
    for stages in (demo["stages"], demo["schemes"][NEW]["stages"]):
        assert stages["drafted"] == stages["passed"] == stages["signed"] == sum(stages["by_mandate"].values())
        assert stages["sent_back"] == stages["waiting"] == 0
    assert (demo["stages"]["signed"], demo["schemes"][NEW]["stages"]["signed"]) == (17, 5)


def test_sto_grant_letters_lists_a_grants_letters_as_json(demo):
    url = demo["database_url"]
    service = open_service(url)
    code = next(code for scheme, code in service.grant_keys() if scheme == LEGACY
                and len(service.state(code, scheme=LEGACY).letters) >= 3)
    state = service.state(code, scheme=LEGACY)
    done = sto("grant", "letters", code, "--scheme", LEGACY, "--json", database_url=url)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["region_code"] == code and body["scheme"] == LEGACY and body["without_letter"] == []
    assert [(r["besluit"], r["kind"], r["sha256"], r["size"]) for r in body["letters"]] == [
        (r.besluit, r.kind, r.sha256, r.size) for r in state.letters]
    assert all(r["objection_deadline"] and r["issued_on"] <= r["objection_deadline"] for r in body["letters"])
    assert "written_to" not in body["letters"][0]  # nothing written without --out
    newer = json.loads(sto("grant", "letters", code, "--scheme", NEW, "--json", database_url=url).stdout)
    assert newer["scheme"] == NEW and [r["kind"] for r in newer["letters"]] == ["approval"]


def test_sto_grant_letters_out_writes_the_pdfs_with_their_recorded_hashes(demo, tmp_path):
    url = demo["database_url"]
    code = "STO-R001"
    out = tmp_path / "letters"
    done = sto("grant", "letters", code, "--scheme", LEGACY, "--json", "--out", str(out), database_url=url)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["letters"]
    assert rows and sorted(p.name for p in out.iterdir()) == sorted(r["filename"] for r in rows)
    for row in rows:
        data = Path(row["written_to"]).read_bytes()
        assert data.startswith(b"%PDF-") and len(data) == row["size"]
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
    again = tmp_path / "again"  # a second export gives the same bytes (and the human table says where they went)
    table = sto("grant", "letters", code, "--scheme", LEGACY, "--out", str(again), database_url=url)
    assert table.returncode == 0 and "decision letters of" in table.stdout
    assert {p.name: p.read_bytes() for p in again.iterdir()} == {p.name: p.read_bytes() for p in out.iterdir()}


def test_sto_grant_letters_of_a_region_without_a_grant_says_so(demo):
    done = sto("grant", "letters", "STO-R999", "--scheme", LEGACY, "--json", database_url=demo["database_url"])
    assert done.returncode != 0
    body = json.loads(done.stdout)
    assert body["error"] and body["hint"]


def test_sto_grant_letters_out_makes_a_pdf_gone_from_the_store_again_with_its_recorded_hash(demo, tmp_path):
    import sqlite3

    source = Path(demo["database_url"].removeprefix("sqlite:///"))
    copy = tmp_path / "copy.sqlite"
    with sqlite3.connect(source) as db, sqlite3.connect(copy) as target:
        db.backup(target)  # the demo's store stays as it is for the other tests
    url = f"sqlite:///{copy}"
    listed = json.loads(sto("grant", "letters", "STO-R001", "--scheme", LEGACY, "--json", database_url=url).stdout)["letters"]
    gone = listed[0]
    with sqlite3.connect(copy) as db:
        db.execute("DELETE FROM letter_pdfs WHERE sha256 = ?", (gone["sha256"],))
    done = sto("grant", "letters", "STO-R001", "--scheme", LEGACY, "--json", "--out", str(tmp_path / "out"), database_url=url)
    assert done.returncode == 0, done.stderr
    row = next(r for r in json.loads(done.stdout)["letters"] if r["besluit"] == gone["besluit"])
    assert "made again" in row["reprinted"]
    assert hashlib.sha256(Path(row["written_to"]).read_bytes()).hexdigest() == gone["sha256"]


def test_the_money_the_demo_prints_as_json_is_the_sum_of_the_ledgers_as_of_its_last_day(demo):
    from domain.ledger.aggregate import ledger_id
    from domain.ledger.totals import Totals, as_of, totals

    money = demo["money"]
    service = open_service(demo["database_url"])
    day = date.fromisoformat(money["as_of"])
    assert day == date(2026, 12, 3)
    for scheme in (LEGACY, NEW):
        found = Totals()
        for code in service.region_codes(scheme):
            ledger = as_of(service.events.get(ledger_id(service.state(code, scheme=scheme).grant_id)), day)
            found += totals(ledger) if ledger is not None else Totals()
        shown = money["schemes"][scheme]
        assert (shown["committed_cents"], shown["paid_cents"], shown["handed_over_cents"], shown["reclaimed_cents"],
                shown["interest_cents"], shown["received_cents"], shown["claims_set_off_cents"], shown["outstanding_cents"]
                ) == (found.committed_cents, found.paid_cents, found.instructed_cents, found.claimed_cents,
                      found.interest_cents, found.received_cents, found.claims_set_off_cents, found.outstanding_cents)
    settled = money["settled"]
    assert len(settled["final_payments"]) == 1 and settled["claims_paid_on_time"] == 2 and settled["unmatched"] == []
    assert settled["late"]["interest_cents"] > 0 and settled["late"]["aanmaning_sent_on"] and settled["late"]["outstanding_cents"] == 0
    assert settled["set_off"]["set_off_cents"] == settled["set_off"]["instalment_set_off_cents"] > 0
