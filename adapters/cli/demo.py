"""`sto demo`: one region through a scripted lifecycle on the embedded SQLite store, then its history."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Annotated

import typer

from adapters.cli import grant as grant_cmd
from adapters.cli.context import STATE
from adapters.cli.output import console
from adapters.scripted import GrantScript, at
from adapters.store import open_service
from domain import commands as c


def demo(
    directory: Annotated[Path, typer.Option("--dir", help="where the demo store goes (emptied first)")] = Path("var/demo"),
) -> None:
    """Run one region from vooraanmelding to vaststelling and print its history."""
    started = time.perf_counter()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    url = f"sqlite:///{directory / 'sto.sqlite'}"
    service = open_service(url)
    grant = GrantScript(service)
    grant.to_approved()
    grant.consequence("objection_period:1", at(2019, 8, 2))
    grant.progress_report(1, at(2021, 10, 20))
    quarter = sum(grant.per_year.values()) // 4
    grant.progress_report(2, at(2023, 9, 20), quarter)
    grant.send(c.GrantExtension, at(2023, 11, 1), amount_cents=quarter)
    grant.consequence("spending_end", at(2025, 1, 1))
    total = sum(grant.per_year.values()) + quarter
    grant.final_report(at(2025, 1, 15), {**grant.per_year, 2024: quarter}, cofinancing_cents=total * 6 // 100)
    grant.send(c.DetermineGrant, at(2025, 3, 1))
    STATE.database_url = url
    grant_cmd.history(grant.code, as_json=False)
    grant_cmd.show(grant.code, as_json=False)
    console.print(f"store: {url}   wall time {time.perf_counter() - started:.2f} s")
