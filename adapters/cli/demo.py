"""`sto demo`: the STO programme 2018–2025 replayed through the real workflows, in about a minute."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from adapters.cli.output import console, err_console, print_json
from adapters.replay.scenario import REAL
from domain.money import euro


def demo(
    regions: Annotated[int, typer.Option("--regions", help="number of synthetic regions (87 replays the real counts)")] = REAL["regions"],
    seed: Annotated[int, typer.Option("--seed", help="seed of the synthetic regions")] = 2018,
    directory: Annotated[Path, typer.Option("--dir", help="where the demo store, outbox and report go (emptied first)")] = Path("var/demo"),
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, max=8, help="worker processes (Python runs one core per process)")] = 2,
    sandbox: Annotated[bool, typer.Option("--sandbox/--no-sandbox", help="run the workers in Temporal's workflow sandbox")] = False,
) -> None:
    """Replay the STO programme: vooraanmelding to vaststelling for every region, with the real dates and counts.

    The replay's workers run without Temporal's workflow sandbox (about 15 % less CPU); every test of the
    workflows runs sandboxed, and `--sandbox` runs the replay that way too."""
    progress = Progress(
        TextColumn("[bold]business time[/] {task.fields[moment]}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(), console=err_console, transient=as_json,
    )
    from adapters.replay.engine import replay  # Temporal's test tooling: imported only when the demo runs

    task = progress.add_task("replay", total=1, moment="")
    window: dict[str, dt.datetime] = {}

    def on_start(start: dt.datetime, end: dt.datetime) -> None:
        window.update(start=start, end=end)
        progress.update(task, total=(end - start).days, moment=start.date().isoformat())

    def on_progress(moment: dt.datetime) -> None:
        progress.update(task, completed=(moment - window["start"]).days, moment=moment.date().isoformat())

    with progress:
        outcome = asyncio.run(
            replay(
                directory, regions=regions, seed=seed, extra_workers=workers - 1, sandboxed=sandbox,
                on_start=on_start, on_progress=on_progress,
            )
        )
    summary = outcome.summary
    if as_json:
        print_json({**summary.model_dump(mode="json"), "report": str(outcome.report), "database_url": outcome.database_url})
        return
    table = Table(title=f"STO programme replayed: {summary.regions} regions")
    for col in ("milestone", "replayed", "real programme", "note"):
        table.add_column(col)
    for m in summary.milestones:
        ok = "" if m.expected is None else ("[green]✓[/]" if m.count == m.expected else "[red]✗[/]")
        table.add_row(m.name, f"{m.count} {ok}", "" if m.expected is None else str(m.expected), m.note)
    console.print(table)
    money = Table(title="money")
    for col in ("what", "amount", "against"):
        money.add_column(col)
    for kind, cents in summary.granted_2020_2023_cents.items():
        money.add_row(f"granted 2020–2023, {kind}", euro(cents), f"ceiling {euro(summary.ceilings_cents[kind])}")
    ext = summary.extension
    money.add_row(
        f"2024 extension ({ext['regions']} regions)", euro(ext["granted_cents"]),
        f"budget {euro(ext['budget_cents'])}; largest {ext['max_share_of_2020_2023'] * 100:.1f}% of a grant (max 25%)",
    )
    v = summary.vaststelling
    money.add_row("vastgesteld", euro(v["determined_cents"]), f"{v['lowered_for_cofinancing']} lowered for co-financing")
    money.add_row("teruggevorderd (reclaimed)", euro(v["reclaimed_cents"]), "")
    console.print(money)
    console.print(
        f"{summary.events} events, {summary.reminders_sent} reminders sent (file outbox {outbox_hint(outcome.outbox)}), "
        f"consequences applied by the engine: {sum(summary.consequences.values())}"
    )
    console.print(f"report: {outcome.report}")
    console.print(f"[bold]wall time {summary.wall_seconds:.1f} s[/]")
    console.print("Look around (auditors and operators):")
    url = outcome.database_url
    for cmd in ("regions", "budget", f"audit history {first_region(summary)}", "audit verify"):
        console.print(f"  sto --database-url {url} {cmd}")


def outbox_hint(path: Path) -> str:
    return str(path)


def first_region(summary) -> str:
    return "STO-R001"
