"""The documentation holds: the README fits on two screens and its links resolve, the site builds offline with
`--strict` (a broken link or anchor, a page left out of the navigation, any warning fails it), the reference pages
in the built site are the ones generated from the code, and every `sto` command the docs name exists.

The examples themselves run against a real `sto serve` in tests/e2e/test_docs_examples.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs_support.examples import REPO, all_pages, blocks
from tests.docs_support.reference import PAGES, cli_commands

README = REPO / "README.md"


def test_readme_fits_on_two_screens():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; move the detail into docs/"


def test_readme_links_resolve():
    text = README.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" not in target:
            assert (REPO / target).exists(), f"README.md links to {target}, which does not exist"


@pytest.mark.slow
def test_site_builds_strict_offline_with_the_generated_references(tmp_path):
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{output[-5000:]}"
    assert "WARNING" not in output, output[-5000:]
    for page, write in PAGES.items():
        built = site / page.replace(".md", ".html")
        assert built.is_file(), f"the reference page {page} is missing from the site"
    cli = (site / "reference/cli.html").read_text(encoding="utf-8")
    for command in cli_commands():
        assert f"<code>{command}</code>" in cli, f"the CLI reference lacks {command}"
    from adapters.operators.error_table import TABLE

    errors = (site / "reference/errors.html").read_text(encoding="utf-8")
    assert all(f"<code>{code}</code>" in errors for code in TABLE)
    # nothing in the site asks a server elsewhere for fonts or scripts
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis.com" not in index and "cdn." not in index


_STO = re.compile(r"(?:^|[\s(;|&$`])sto((?:\s+--[\w-]+(?:[ =](?!-)\S+)?)*)\s+([a-z][a-z-]*)(?:\s+([a-z][a-z-]*))?")


def test_every_sto_command_in_the_docs_exists():
    """Also in blocks that are not run: a renamed command or group fails here, not in a reader's terminal."""
    known = set(cli_commands())
    groups = {c.rsplit(" ", 1)[0] for c in known if c.count(" ") >= 2}
    checked = 0
    for page in all_pages():
        for block in blocks(page):
            if not block.is_example:
                continue
            for line in block.text.splitlines():
                code = line.split("#", 1)[0]
                for match in _STO.finditer(code):
                    first, second = match.group(2), match.group(3)
                    command = f"sto {first}"
                    assert command in known, f"{block.where}: `{command}` is no command of sto"
                    if command in groups and second:
                        assert f"{command} {second}" in known, f"{block.where}: `{command} {second}` is no command of sto"
                    checked += 1
    assert checked >= 20, checked
