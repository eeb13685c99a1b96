"""The fictional third scheme of the tests (tests/fixtures/schemes/fictional-2027.toml), loaded without code.

`STO_SCHEMES_PATH` names extra scheme files for a process. `fictional_scheme_loaded` sets it for one test
(with pytest's monkeypatch) and reads the registry again; afterwards it restores the variable and reads the
registry once more, so that every other test sees only the schemes the engine ships.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from domain.regulation.schemes import SCHEMES_PATH, infos, reload_schemes

FICTIONAL_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "schemes" / "fictional-2027.toml"
FICTIONAL = "fictief-2027-2029"
INSTRUMENT = "Fictieve regeling proeftuin techniekonderwijs 2027–2029"


def read_schemes_again() -> None:
    """Read every scheme file now, as a process does when it imports the domain (domain/models.py asks the
    registry for its years). After `reload_schemes()` alone the registry is empty, and the first grant
    workflow that asks for a scheme would read its file inside Temporal's sandbox, which refuses `open`:
    its workflow task then fails again and again (tests/integration/test_third_scheme.py shows it)."""
    reload_schemes()
    infos()


def fictional_scheme_loaded(monkeypatch: pytest.MonkeyPatch, path: Path = FICTIONAL_FILE) -> Iterator[Path]:
    """For a fixture: the engine with one more scheme file while the test runs."""
    monkeypatch.setenv(SCHEMES_PATH, str(path))
    read_schemes_again()
    try:
        yield path
    finally:
        monkeypatch.undo()  # STO_SCHEMES_PATH as it was before the test (set or not)
        read_schemes_again()
