"""`python -m adapters.cli.demo_worker worker ...`: `sto` for the demo's helper worker processes, which serve
nothing but the demo's throwaway store, with every SQLite connection of the process committing without an fsync
each (adapters/replay/throwaway.py). Nothing imports this module; adapters/replay/engine.py starts it by name."""

from __future__ import annotations

import sys

from adapters.replay.throwaway import relax_every_sqlite_connection


def main() -> None:
    relax_every_sqlite_connection()
    from adapters.cli.main import main as sto

    sys.argv = ["sto", *sys.argv[1:]]
    sto()


if __name__ == "__main__":
    main()
