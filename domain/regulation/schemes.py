"""The schemes (regelingen) the engine ships, each one data file in `data/schemes/`.

A grant belongs to one scheme; its first event names it. More scheme files can be added without code:
`STO_SCHEMES_PATH` names them (files or folders) for every process of the engine. The scheme in force on a business day is the
latest one whose regeling is in force then (and has not lapsed): new grants default to it.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
import uuid
from functools import lru_cache
from pathlib import Path

from domain.regulation.calendar import SCHEMES_DIR, Regulation
from domain.regulation.lifecycle import SchemeInfo
from domain.values import grant_id_for



class UnknownScheme(LookupError):
    def __init__(self, scheme_id: str, known: list[str]):
        super().__init__(f"no scheme {scheme_id!r}; the engine knows {', '.join(known)}")
        self.scheme_id = scheme_id
        self.known = known


SCHEMES_PATH = "STO_SCHEMES_PATH"  # more scheme files or folders, separated by os.pathsep (tests, a new scheme)


@lru_cache(maxsize=1)
def _files() -> dict[str, Path]:
    """Every scheme file: the shipped ones, then those STO_SCHEMES_PATH names (read once per process)."""
    paths = sorted(SCHEMES_DIR.glob("*.toml"))
    for entry in filter(None, os.environ.get(SCHEMES_PATH, "").split(os.pathsep)):
        place = Path(entry)
        paths += sorted(place.glob("*.toml")) if place.is_dir() else [place]
    found: dict[str, Path] = {}
    for path in paths:
        with open(path, "rb") as fh:
            header = tomllib.load(fh).get("scheme", {})
        found.setdefault(header.get("id", path.stem), path)  # a shipped scheme cannot be replaced
    return found


def scheme_ids() -> list[str]:
    return list(_files())


@lru_cache(maxsize=1)
def legacy_scheme_id() -> str:
    """The scheme of every grant whose first event names none: recorded before there were schemes."""
    for scheme_id, path in _files().items():
        with open(path, "rb") as fh:
            if tomllib.load(fh).get("scheme", {}).get("recorded_before_schemes"):
                return scheme_id
    return next(iter(_files()))


def scoped(scheme_id: str | None) -> str | None:
    """The scheme id as it appears in ids (grant, workflow, budget pool): None for the legacy scheme."""
    return None if scheme_id is None or scheme_id == legacy_scheme_id() else scheme_id


def grant_id(region_code: str, scheme_id: str | None) -> uuid.UUID:
    """A grant's id: from the region code, and the scheme unless it is the legacy one (ids made before)."""
    return grant_id_for(region_code, scoped(scheme_id))


def scheme(scheme_id: str | None = None) -> Regulation:
    """The scheme as shipped (published amendments come on top, from the store); None: the legacy scheme."""
    return _load(scheme_id or legacy_scheme_id())


@lru_cache(maxsize=None)
def _load(scheme_id: str) -> Regulation:
    files = _files()
    if scheme_id not in files:
        raise UnknownScheme(scheme_id, list(files))
    return Regulation.from_toml(files[scheme_id])


def default_regulation() -> Regulation:
    """The legacy scheme as shipped: the scheme of the grants recorded before there were schemes."""
    return scheme(legacy_scheme_id())


def infos() -> list[SchemeInfo]:
    return [info for info in (scheme(i).data.scheme for i in scheme_ids()) if info is not None]


def scheme_in_force(day: dt.date) -> str:
    """The scheme whose regeling is in force on `day` and has not lapsed; the latest one when several are."""
    current = [i for i in infos() if i.in_force <= day and (i.lapses is None or day < i.lapses)]
    if not current:
        earlier = [i for i in infos() if i.in_force <= day]
        current = earlier[-1:] or infos()[:1]
    return max(current, key=lambda i: i.in_force).id


def year_span() -> tuple[int, int]:
    """The calendar years any shipped scheme can speak of: from its first regeling to a year after it lapses."""
    starts = [i.in_force.year for i in infos()]
    ends = [(i.lapses or i.in_force).year + 1 for i in infos()]
    return min(starts), max(ends)


def reload_schemes() -> None:
    """Read the scheme files again (after STO_SCHEMES_PATH changed in this process: tests, `sto schemes check`)."""
    for cached in (_files, legacy_scheme_id, _load):
        cached.cache_clear()
    preload()  # at once, outside any workflow: a workflow may not open files


def preload() -> list[Regulation]:
    """Read every scheme file now: a workflow may not read files (Temporal's sandbox), it asks the cache."""
    legacy_scheme_id()
    return [scheme(scheme_id) for scheme_id in scheme_ids()]


# Read at import, outside any workflow: Temporal's sandbox forbids a workflow to open files, and a replay
# (or a worker built without `preload`) may ask for a scheme before anything else did.
preload()
