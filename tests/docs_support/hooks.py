"""MkDocs hook (mkdocs.yml `hooks:`): adds the reference pages, generated from the code, to the site.

They exist only in the build (never in docs/), so they cannot differ from the code they are read from."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mkdocs.structure.files import File  # noqa: E402

from tests.docs_support.reference import PAGES  # noqa: E402


def on_files(files, config):
    for path, write in PAGES.items():
        files.append(File.generated(config, path, content=write()))
    return files
