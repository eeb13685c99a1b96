"""Examples that cannot rot: every shell example of README.md and docs/ runs here against a real `sto serve`.

The blocks of one page run in order as one bash script (`set -eo pipefail`: a command that fails fails the test,
so an example that shows a refusal says so itself, `... || echo "exit code: $?"`), the pages in the order of the
site's navigation, so the auditors' guide reads the grant the operators' guide made. A block whose title says
`not run here: <reason>` is not run (tests/docs_support/examples.py); its reason must be given. The examples are
written for http://127.0.0.1:8000 and the store of `sto serve`; here they get the served engine's address and
store, in a scratch directory that holds `docs/` and `tests/` of this checkout (for the example files).

The live OpenAPI document is also held equal to the one the HTTP reference is generated from.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs_support.examples import EXAMPLE_BASE_URL, REPO, Block, examples
from tests.docs_support.reference import openapi_document
from tests.e2e.conftest import EPOCH, FUTURE_MARGIN_DAYS

pytestmark = [pytest.mark.temporal, pytest.mark.slow]


def _pages() -> dict[str, list[Block]]:
    pages: dict[str, list[Block]] = {}
    for block in examples():
        pages.setdefault(block.page, []).append(block)
    return pages


def test_every_example_runs_or_says_why_not():
    for block in examples():
        reason = block.not_run_reason
        assert reason is None or len(reason) > 10, f"{block.where}: say why the example cannot run here"
        assert block.language != "http" or reason is not None, \
            f"{block.where}: write an HTTP example with curl in a sh block, so that it runs"


def _script(blocks: list[Block], base_url: str) -> str:
    parts = ["set -eo pipefail"]
    for block in blocks:
        if block.not_run_reason is None:
            parts.append(f"echo '>>> example at {block.where}' >&2")
            parts.append(block.text.replace(EXAMPLE_BASE_URL, base_url))
    return "\n".join(parts) + "\n"


def test_docs_examples_run_against_sto_serve(served, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    for name in ("docs", "tests"):
        (work / name).symlink_to(REPO / name)
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
        "COLUMNS": "160",
        "STO_DATABASE_URL": served.database_url,
        "STO_TEMPORAL_ADDRESS": served.temporal_address,
        "STO_BUSINESS_EPOCH": EPOCH,
        "STO_FUTURE_MARGIN_DAYS": FUTURE_MARGIN_DAYS,
        "STO_NOTIFIER_URL": f"file://{tmp_path / 'outbox'}",
        "STO_AUDIT_ANCHORS": str(tmp_path / "anchors" / "sto.jsonl"),
        "STO_ACTOR": "op.jansen",  # a beoordelaar of the organisation register: drafts the besluiten
        "PYTHONPATH": str(REPO),
    }
    ran = 0
    for page, blocks in _pages().items():
        runnable = [b for b in blocks if b.not_run_reason is None]
        if not runnable:
            continue
        result = subprocess.run(["bash", "-c", _script(blocks, served.base_url)], cwd=work, env=env, text=True,
                                capture_output=True, timeout=300)
        assert result.returncode == 0, (f"an example of {page} failed (exit {result.returncode}); the last one "
                                        f"started is named last:\n--- stderr\n{result.stderr[-4000:]}\n"
                                        f"--- stdout\n{result.stdout[-3000:]}\n--- sto serve\n{served.log_tail(20)}")
        ran += len(runnable)
    assert ran >= 10, f"only {ran} examples ran: the docs should show the engine at work"


def test_live_openapi_document_is_the_one_the_reference_is_made_from(served):
    with served.client() as client:
        live = client.get("/v1/openapi.json").json()
    assert live == openapi_document(), "the HTTP reference would not describe the API that sto serve serves"
