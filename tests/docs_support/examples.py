"""The docs' code examples, read as the tests run them.

Every fenced block in README.md and docs/ whose language is a shell's (`sh`, `bash`, `shell`, `console`) or
`http` is an example: the docs example test (tests/e2e/test_docs_examples.py) runs it against a real `sto serve`,
unless the block's title says it cannot run here and why: ```` ```sh title="not run here: needs a Temporal
cluster with mTLS" ```` (the Dutch pages may say `niet hier uitgevoerd: ...`). The title shows above the block in
the site, so the reader sees the reason too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
SHELL = {"sh", "bash", "shell", "console"}
HTTP = {"http"}
NOT_RUN = ("not run here:", "niet hier uitgevoerd:")
# Languages of blocks that show something other than an example to run: a file's content, output, a picture.
SHOWN = {"toml", "json", "python", "text", "yaml"}
FENCE = re.compile(r"^(?P<indent>[ ]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")
TITLE = re.compile(r'title="(?P<title>[^"]*)"')
# The address the examples are written for; the test puts the served engine's in its place.
EXAMPLE_BASE_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Block:
    page: str  # relative to the repository
    line: int  # of the opening fence, 1-based
    language: str
    title: str
    text: str

    @property
    def is_example(self) -> bool:
        return self.language in SHELL | HTTP

    @property
    def not_run_reason(self) -> str | None:
        lowered = self.title.lower()
        for marker in NOT_RUN:
            if lowered.startswith(marker):
                return self.title[len(marker):].strip()
        return None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def blocks(path: Path) -> list[Block]:
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info, indent = match.group("fence"), match.group("info").strip(), len(match.group("indent"))
        language = info.split(" ", 1)[0].strip("{}.") if info else ""
        title = TITLE.search(info)
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence[0] * len(fence)):
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
            j += 1
        found.append(Block(str(path.relative_to(REPO)), i + 1, language.lower(), title.group("title") if title else "",
                           "\n".join(body) + "\n"))
        i = j + 1
    return found


def nav_pages() -> list[Path]:
    """The pages of the site in the order of its navigation (the order the examples run in), then README.md."""
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    pages: list[Path] = []

    def walk(entries):
        for entry in entries:
            for value in (entry.values() if isinstance(entry, dict) else [entry]):
                if isinstance(value, list):
                    walk(value)
                elif (DOCS / value).is_file():
                    pages.append(DOCS / value)

    walk(config["nav"])
    return [*pages, REPO / "README.md"]


def all_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md")) + [REPO / "README.md"]


def examples() -> list[Block]:
    return [block for page in nav_pages() for block in blocks(page) if block.is_example]
