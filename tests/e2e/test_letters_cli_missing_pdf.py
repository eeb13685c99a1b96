"""`sto grant letters --out` when a PDF is gone from the store: made again only when the reprint has the hash
its event recorded; otherwise the letter is named, with what to do, and the command fails.

The store is a copy of tests/fixtures/stores/store-2026-12-v3.sqlite, whose letters were made with the letter
templates of version 1; today's are version 2, so a reprint there cannot give the recorded bytes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "stores" / "store-2026-12-v3.sqlite"
LEGACY = "sto-2020-2024"


def sto(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "adapters.cli.main", "--database-url", url, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def test_a_pdf_gone_from_the_store_that_todays_templates_cannot_remake_is_named_and_fails_the_export(tmp_path):
    store = tmp_path / FIXTURE.name
    shutil.copy(FIXTURE, store)
    url = f"sqlite:///{store}"
    listed = json.loads(sto(url, "grant", "letters", "STO-R006", "--scheme", LEGACY, "--json").stdout)["letters"]
    gone = listed[1]
    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM letter_pdfs WHERE sha256 = ?", (gone["sha256"],))
    out = tmp_path / "out"
    done = sto(url, "grant", "letters", "STO-R006", "--scheme", LEGACY, "--json", "--out", str(out))
    assert done.returncode == 1
    rows = {r["besluit"]: r for r in json.loads(done.stdout)["letters"]}
    assert "no stored copy" in rows[gone["besluit"]]["problem"] and "v1" in rows[gone["besluit"]]["problem"]
    assert "written_to" not in rows[gone["besluit"]]
    written = sorted(p.name for p in out.iterdir())  # the others are written, with their recorded hashes
    assert written == sorted(r["filename"] for r in listed if r["besluit"] != gone["besluit"])
    assert all(hashlib.sha256((out / r["filename"]).read_bytes()).hexdigest() == r["sha256"]
               for r in listed if r["besluit"] != gone["besluit"])
    human = sto(url, "grant", "letters", "STO-R006", "--scheme", LEGACY, "--out", str(tmp_path / "again"))
    assert human.returncode == 1
    assert f"letter of besluit {gone['besluit']} not written" in human.stderr and "what to do" in human.stderr
