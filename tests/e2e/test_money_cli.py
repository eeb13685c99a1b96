"""`sto money ...` on a SQLite store, as an operator types it: a grant's money shown (masked account, instalments,
claims with their terms), the summary equal to the sum of the ledgers' totals (domain/ledger/totals.py), the
ledger's commands by the people of the register (the domain decides: a refusal prints its rule and source, exit 3;
invalid input exit 2; no grant or no ledger exit 5), a set-off between the region's two grants, a camt.053
statement read in (twice: nothing new), and the payment batches."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli.context import STATE
from adapters.cli.main import app
from adapters.event_store import money
from adapters.event_store.store import open_service
from adapters.logging import configure_logging
from domain.ledger.totals import as_of
from domain.ledger.aggregate import ledger_id
from tests.support.money_lives import NEW, approved, claimed, sum_of_ledgers, with_2025_grant
from tests.unit.finance.camt_statements import V08, Entry, Tx, statement

APPROVED, CLAIMED, NO_LEDGER = "STO-R001", "STO-R002", "STO-R003"
OLD = "sto-2020-2024"  # STO-R002 has a grant in each scheme: without --scheme, the one in force today


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("money") / "sto.sqlite"
    service = open_service(f"sqlite:///{path}")
    approved(service, 1)
    claimed(service, 2)
    with_2025_grant(service, 2)
    from tests.support.scripted import GrantScript

    GrantScript(service, index=3).pre_register()
    service.close()
    return path


@pytest.fixture
def store(template, tmp_path):
    configure_logging("WARNING")
    path = tmp_path / "sto.sqlite"
    shutil.copyfile(template, path)
    yield f"sqlite:///{path}"
    STATE.__dict__.pop("service", None)
    STATE.extra.clear()
    STATE.database_url = None


@pytest.fixture
def sto(store):
    def run(*args: str, actor: str = "op.bakker"):
        STATE.__dict__.pop("service", None)  # each invocation is its own process in real life
        STATE.extra.clear()
        return CliRunner().invoke(app, ["--database-url", store, *args], env={"STO_ACTOR": actor})

    return run


def out(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(result, rule: str) -> dict:
    assert result.exit_code == 3, result.output
    body = json.loads(result.stdout)
    assert body["error"] == "transition_refused" and body["rule"] == rule and body["source"], body
    return body


def test_show_prints_the_money_of_a_grant_with_its_claim_and_the_account_masked(sto):
    shown = out(sto("money", "show", CLAIMED, "--scheme", OLD, "--json"))
    assert shown["has_ledger"] and shown["scheme"] == "sto-2020-2024"
    assert shown["account"]["iban"] == "**************4300" and shown["account"]["confirmed_by"] == "ic.mulder"
    assert [i["status"] for i in shown["instalments"]] == ["instructed"] * 8
    assert shown["instalments"][0]["releasers"] == ["fi.de-boer", "fi.peters"] and shown["instalments"][0]["batch"] == 1
    (claim,) = shown["claims"]
    assert claim["term_ends"] == "2025-04-14" and claim["outstanding_cents"] == claim["amount_cents"] > 0
    assert shown["settlement"]["difference_cents"] == -claim["amount_cents"]
    people = sto("money", "show", CLAIMED, "--scheme", OLD)
    assert people.exit_code == 0 and "4300" in people.stdout and "NL91" not in people.stdout
    assert claim["number"] in people.stdout and "2025-04-14" in people.stdout
    # as of a day: what the ledger held then (two advances handed over by 1 August 2020)
    then = out(sto("money", "show", CLAIMED, "--scheme", OLD, "--as-of", "2020-08-01", "--json"))
    assert [i["status"] for i in then["instalments"]][:3] == ["instructed", "instructed", "released"] and not then["claims"]
    nothing = out(sto("money", "show", NO_LEDGER, "--json"))
    assert nothing["has_ledger"] is False and nothing["instalments"] == []
    unknown = sto("money", "show", "STO-R099", "--json")
    assert unknown.exit_code == 5 and json.loads(unknown.stdout)["error"] == "grant_not_found"


def test_the_summary_is_the_sum_of_the_ledgers_totals_per_scheme_and_budget_year(sto, store):
    summary = out(sto("money", "summary", "--json"))
    service = open_service(store)
    try:
        ledgers = {scheme: [l for l in (money.ledger_of(service, service.state(code, scheme=scheme).grant_id)
                                        for scheme_, code in service.grant_keys() if scheme_ == scheme) if l is not None]
                   for scheme in ("sto-2020-2024", NEW)}
        for row in summary["schemes"]:
            whole, years = sum_of_ledgers(ledgers[row["scheme"]])
            assert row["totals"] == whole
            assert {y["year"]: {k: y[k] for k in years[y["year"]]} for y in row["years"]} == years
        everything, _ = sum_of_ledgers([l for found in ledgers.values() for l in found])
        assert summary["totals"] == everything and summary["totals"]["outstanding_cents"] > 0
        (claim,) = summary["open_claims"]
        assert claim["region_code"] == CLAIMED and claim["days_past_term"] > 0 and claim["in_default"] is False
        # as of a day: the sum of the ledgers as they stood then
        then = out(sto("money", "summary", "--as-of", "2020-08-01", "--scheme", "sto-2020-2024", "--json"))
        old = [as_of(service.events.get(ledger_id(service.state(code, scheme=OLD).grant_id)), dt.date(2020, 8, 1))
               for code in (APPROVED, CLAIMED)]
        assert then["totals"] == sum_of_ledgers([l for l in old if l is not None])[0]
        assert then["totals"]["instructed_cents"] == 100_000_000 and [r["scheme"] for r in then["schemes"]] == ["sto-2020-2024"]
    finally:
        service.close()
    assert "claims outstanding" in sto("money", "summary").stdout


def test_the_ledgers_commands_are_decided_by_the_domain_and_refusals_name_their_rule(sto):
    when = ["--effective-at", "2019-07-01T10:00:00"]
    bad = sto("money", "account", APPROVED, "NL91ABNA0417164301", "Stichting X", "--reason", "bankgegevens", *when, "--json")
    assert bad.exit_code == 2 and json.loads(bad.stdout)["error"] == "invalid_input"
    cyrillic = sto("money", "account", APPROVED, "NL91ABNA0417164300", "Школа", "--reason", "bankgegevens", *when, "--json")
    assert cyrillic.exit_code == 2 and "SEPA" in json.loads(cyrillic.stdout)["message"]  # no batch could carry it
    recorded = out(sto("money", "account", APPROVED, "NL91 ABNA 0417 1643 00", "Stichting X", "--reason", "bankgegevens", *when, "--json"))
    assert recorded["events"] == ["PaymentAccountRecorded"] and recorded["money"]["account"]["iban"].endswith("4300")
    refused(sto("money", "confirm-account", APPROVED, "--reason", "controle", *when, "--json"), "four_eyes.bank_data")
    out(sto("money", "confirm-account", APPROVED, "--reason", "controle", *when, "--json", actor="ic.smit"))

    first = out(sto("money", "release", APPROVED, "1", "--reason", "termijn 1", *when, "--json", actor="fi.de-boer"))
    assert first["events"] == ["InstalmentReleased"]
    twice = refused(sto("money", "release", APPROVED, "1", "--reason", "termijn 1", *when, "--json", actor="fi.de-boer"),
                    "four_eyes.two_releasers")
    assert "10:12" in twice["source"]
    refused(sto("money", "release", APPROVED, "1", "--reason", "termijn 1", *when, "--json", actor="op.bakker"), "authority.role")
    second = sto("money", "release", APPROVED, "1", "--reason", "termijn 1", *when, actor="fi.peters")
    assert second.exit_code == 0 and "released by fi.de-boer, fi.peters" in " ".join(second.stdout.split())
    words = sto("money", "release", APPROVED, "1", "--reason", "nogmaals", *when, actor="fi.peters")
    assert words.exit_code == 3 and "money.not_releasable" in words.stderr and "what to do:" in words.stderr

    suspended = out(sto("money", "suspend", APPROVED, "--notice-on", "2019-07-02", "--reason", "mededeling",
                        "--effective-at", "2019-07-02T10:00:00", "--json", actor="co.de-vries"))
    assert suspended["money"]["suspension"]["ends_at_latest"] == "2019-10-01"
    refused(sto("money", "suspend", APPROVED, "--notice-on", "2019-07-03", "--reason", "nogmaals",
                "--effective-at", "2019-07-03T10:00:00", "--json", actor="co.de-vries"), "money.already_suspended")
    resumed = out(sto("money", "resume", APPROVED, "--reason", "besluit bekendgemaakt", "--effective-at", "2019-07-04T10:00:00",
                      "--json", actor="co.de-vries"))
    assert resumed["events"] == ["PaymentsResumed"] and resumed["money"]["suspension"] is None
    # a ledger's history runs forward in business time
    refused(sto("money", "release", APPROVED, "2", "--reason", "te vroeg", "--effective-at", "2019-06-30T10:00:00", "--json",
                actor="fi.de-boer"), "time.business_order")
    no_ledger = sto("money", "release", NO_LEDGER, "1", "--reason", "x", *when, "--json", actor="fi.de-boer")
    assert no_ledger.exit_code == 5 and "no money ledger" in json.loads(no_ledger.stdout)["message"]


def test_a_claim_is_set_off_against_the_regions_2025_grant_and_both_ledgers_show_it(sto):
    claim = out(sto("money", "show", CLAIMED, "--scheme", OLD, "--json"))["claims"][0]
    target = next(i for i in out(sto("money", "show", CLAIMED, "--scheme", NEW, "--json"))["instalments"] if i["due"] >= "2025-07-01")
    args = ("money", "set-off", CLAIMED, claim["number"], "--against-scheme", NEW, "--instalment", str(target["number"]),
            "--reason", "verrekening", "--effective-at", "2025-04-01T10:00:00", "--json")
    refused(sto(*args, actor="op.jansen"), "authority.role")
    done = out(sto(*args, actor="co.de-vries"))
    assert done["events"] == ["ClaimSetOff"] and done["against"]["events"] == ["InstalmentSetOff"]
    amount = min(claim["amount_cents"], target["amount_cents"])
    assert out(sto("money", "show", CLAIMED, "--scheme", OLD, "--json"))["claims"][0]["set_off_cents"] == amount
    assert next(i for i in out(sto("money", "show", CLAIMED, "--scheme", NEW, "--json"))["instalments"]
                if i["number"] == target["number"])["set_off_cents"] == amount
    other = sto("money", "set-off", APPROVED, claim["number"], "--against-scheme", NEW, "--instalment", "1", "--reason", "x",
                "--json", actor="co.de-vries")
    assert other.exit_code == 2 and json.loads(other.stdout)["details"][0]["field"] == "claim"


def test_a_bank_statement_marks_the_advances_paid_and_matches_the_repayment_and_reading_it_again_adds_nothing(sto, tmp_path):
    shown = out(sto("money", "show", CLAIMED, "--scheme", OLD, "--json"))
    claim = shown["claims"][0]
    entries = [Entry(amount=f"{i['amount_cents'] / 100:.2f}", direction="DBIT", booked=dt.date.fromisoformat(i["due"]),
                     valued=dt.date.fromisoformat(i["due"]), bank_reference=f"B{i['number']}", code=("PMNT", "ICDT", "ESCT"),
                     txs=[Tx(end_to_end_id=i["end_to_end_id"], bank_reference=f"B{i['number']}")]) for i in shown["instalments"]]
    entries.append(Entry(amount=f"{claim['amount_cents'] / 100:.2f}", direction="CRDT", booked=dt.date(2025, 4, 10),
                         valued=dt.date(2025, 4, 10), bank_reference="R1",
                         txs=[Tx(ustrd=[f"Terugbetaling {claim['number']}"], bank_reference="R1")]))
    entries.append(Entry(amount="12.00", direction="CRDT", booked=dt.date(2025, 4, 11), valued=dt.date(2025, 4, 11),
                         bank_reference="R2", txs=[Tx(ustrd=["iets anders"], bank_reference="R2")]))
    file = tmp_path / "camt053.xml"
    file.write_bytes(statement(V08, entries))
    first = out(sto("money", "import-statement", str(file), "--json"))
    assert len(first["paid"]) == 8 and first["repaid"] == [claim["number"]] and len(first["unmatched"]) == 1
    again = out(sto("money", "import-statement", str(file), "--json"))
    assert again["paid"] == again["repaid"] == [] and len(again["unmatched"]) == 1
    after = out(sto("money", "show", CLAIMED, "--scheme", OLD, "--json"))
    assert {i["status"] for i in after["instalments"]} == {"paid"} and after["claims"][0]["outstanding_cents"] == 0
    people = sto("money", "import-statement", str(file))
    assert people.exit_code == 0 and "nothing new recorded" in people.stdout
    other = sto("money", "import-statement", str(file), "--account", "NL20INGB0001234567", "--json")
    assert other.exit_code == 2 and "nothing was recorded" in json.loads(other.stdout)["message"]
    bad = tmp_path / "not.xml"
    bad.write_text("<no/>")
    assert sto("money", "import-statement", str(bad), "--json").exit_code == 2


def test_batches_lists_the_payment_batches_without_account_numbers(sto):
    listed = out(sto("money", "batches", "--json"))["batches"]
    assert [b["number"] for b in listed] == list(range(1, 9)) and listed[0]["execution_date"] == "2020-01-15"
    assert listed[0]["grants"] == [CLAIMED] and listed[0]["total_cents"] == 50_000_000
    assert "NL91" not in json.dumps(listed)
    people = sto("money", "batches")
    assert people.exit_code == 0 and "2020-01-15" in people.stdout
