"""The fictional third scheme of the tests (tests/fixtures/schemes/fictional-2027.toml), loaded without code.

`STO_SCHEMES_PATH` names extra scheme files for a process. `fictional_scheme_loaded` sets it for one test
(with pytest's monkeypatch) and reads the registry again; afterwards it restores the variable and reads the
registry once more, so that every other test sees only the schemes the engine ships.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from domain.regulation.schemes import SCHEMES_PATH, reload_schemes

FICTIONAL_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "schemes" / "fictional-2027.toml"
FICTIONAL = "fictief-2027-2029"
INSTRUMENT = "Fictieve regeling proeftuin techniekonderwijs 2027–2029"


def fictional_scheme_loaded(monkeypatch: pytest.MonkeyPatch, path: Path = FICTIONAL_FILE) -> Iterator[Path]:
    """For a fixture: the engine with one more scheme file while the test runs."""
    monkeypatch.setenv(SCHEMES_PATH, str(path))
    reload_schemes()
    try:
        yield path
    finally:
        monkeypatch.undo()  # STO_SCHEMES_PATH as it was before the test (set or not)
        reload_schemes()
