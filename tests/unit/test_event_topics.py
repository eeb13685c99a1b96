"""A grant event is stored as `domain.events:<ClassName>`, whichever module of domain/events/ defines it: the
topic every store holds since the first event was written, so stores written before and after the package was
split read each other. And every class version a store may hold is upcast to today's."""

from __future__ import annotations

import importlib
import pkgutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from eventsourcing.utils import get_topic

import domain.events as events

ROOT = Path(__file__).parents[2]
STORES = sorted((ROOT / "tests" / "fixtures" / "stores").glob("*.sqlite"))


def package_events() -> dict[str, type]:
    """Every grant event class that a module of domain/events/ defines (not one a test derives)."""
    found: dict[str, type] = {}
    for module in pkgutil.iter_modules(events.__path__, "domain.events."):
        for name, value in vars(importlib.import_module(module.name)).items():
            if isinstance(value, type) and issubclass(value, events.GrantEvent) and value.__module__ == "domain.events":
                found[name] = value
    return found


def test_every_event_of_the_package_is_written_and_read_as_domain_events_and_its_name():
    found = package_events()
    assert len(found) >= 28 and "GrantApproved" in found and "SpendingPeriodEnded" in found
    for name, cls in found.items():
        assert get_topic(cls) == f"domain.events:{name}", cls
        assert getattr(events, name) is cls, f"domain/events/__init__.py does not hand {name} on"
        assert name in events.__all__, name


def test_every_topic_of_the_fixture_stores_resolves_in_a_fresh_process_to_a_class_that_writes_it_again():
    topics = sorted({topic for store in STORES
                     for (topic,) in sqlite3.connect(f"file:{store}?mode=ro", uri=True).execute(
                         "SELECT DISTINCT topic FROM stored_events UNION SELECT DISTINCT topic FROM stored_snapshots")})
    assert any(t.startswith("domain.events:") for t in topics)
    check = ("import sys\nfrom eventsourcing.utils import get_topic, resolve_topic\n"
             "for topic in sys.argv[1:]:\n    assert get_topic(resolve_topic(topic)) == topic, topic\n")
    result = subprocess.run([sys.executable, "-c", check, *topics], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_every_class_version_has_its_upcasters_from_version_1():
    for name, cls in package_events().items():
        version = getattr(cls, "class_version", 1)
        missing = [f"upcast_v{v}_v{v + 1}" for v in range(1, version) if not hasattr(cls, f"upcast_v{v}_v{v + 1}")]
        assert not missing, f"{name}: {missing}"
