"""`make bench` (`python -m tests.benchmarks.run`): the engine against raw baselines, one table, JSON and Markdown.

    python -m tests.benchmarks.run                # everything, full size (P6 with 10,000 grants: many minutes)
    python -m tests.benchmarks.run --quick        # smaller sizes, P5 on 12 regions, P6 with 300 grants
    python -m tests.benchmarks.run --only P1,P2 --no-postgres
    python -m tests.benchmarks.run --scale-grants 2000

Every figure is a ratio to a baseline measured in the same run (interleaved, medians of several
repetitions): the machines are shared and their speed drifts. The JSON (bench-results/latest.json and a
timestamped copy) holds every figure, its samples, and the machine and commit it ran on; latest.md the table.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tests.benchmarks.common import REPO, Figure, postgres_problem, postgres_schema, scratch_directory

ALL = ("P1", "P2", "P3", "P4", "P5", "P6")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (minutes instead of a quarter hour and more)")
    parser.add_argument("--only", default=",".join(ALL), help="which benchmarks, e.g. P1,P2 (default: all)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--repetitions", type=int, default=None, help="repetitions per figure (default 5, quick 3)")
    parser.add_argument("--scale-grants", type=int, default=None, help="P6: grants with pending timers (default 10,000, quick 300)")
    parser.add_argument("--rebuild-grants", type=int, default=None, help="P3: grants in the store (default 8,000, quick 1,500)")
    parser.add_argument("--p6-worker-args", default="", help="P6: extra options of `sto worker`, e.g. '--max-cached-workflows 10000'")
    parser.add_argument("--updates", type=int, default=None, help="P4: updates of each kind (default 300, quick 80)")
    parser.add_argument("--demo-regions", type=int, default=None, help="P5: regions of the demo (default 87 = the real programme, quick 12)")
    parser.add_argument("--out", type=Path, default=REPO / "bench-results", help="where the JSON goes")
    return parser.parse_args(argv)


def git_commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, capture_output=True, text=True).stdout
        return sha + ("+dirty" if dirty.strip() else "")
    except OSError:
        return "unknown"


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "events/s":
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(figures: list[Figure], title: str) -> Table:
    t = Table(title=title, show_lines=False)
    for name, justify in (("id", "left"), ("store", "left"), ("what is measured", "left"), ("engine", "right"),
                          ("baseline", "right"), ("unit", "left"), ("ratio", "right"), ("target", "left"), ("", "center")):
        t.add_column(name, justify=justify, overflow="fold")
    for f in figures:
        mark = "" if f.ok is None else ("[green]✓[/]" if f.ok else "[red]✗[/]")
        what = f.what + (f"\n[dim]baseline: {f.baseline_what}[/]" if f.baseline_what else "") + (f"\n[dim]{f.notes}[/]" if f.notes else "")
        t.add_row(f.id, f.store, what, fmt(f.engine, f.unit), fmt(f.baseline, f.unit), f.unit,
                  "—" if f.ratio is None else f"{f.ratio:.2f}x", f.target, mark)
    return t


def markdown(figures: list[Figure], title: str) -> str:
    """The same table in Markdown (bench-results/latest.md), for the README and the closing notes."""
    lines = [f"**{title}**", "", "| id | store | what is measured | engine | baseline | unit | ratio | target | met |",
             "|---|---|---|---:|---:|---|---:|---|:-:|"]
    for f in figures:
        what = f.what + (f"; baseline: {f.baseline_what}" if f.baseline_what else "") + (f"; {f.notes}" if f.notes else "")
        met = "" if f.ok is None else ("yes" if f.ok else "**no**")
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}x"
        lines.append(f"| {f.id} | {f.store} | {what.replace('|', '/')} | {fmt(f.engine, f.unit)} | "
                     f"{fmt(f.baseline, f.unit)} | {f.unit} | {ratio} | {f.target} | {met} |")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> list[Figure]:
    wanted = {w.strip().upper() for w in args.only.split(",") if w.strip()}
    quick = args.quick
    reps = args.repetitions or (3 if quick else 5)
    console = Console(stderr=True)
    figures: list[Figure] = []
    stores = ["sqlite"]
    problem = None if args.no_postgres else postgres_problem()
    if not args.no_postgres and problem is None:
        stores.append("postgres")
    elif problem:
        console.print(f"[yellow]PostgreSQL not available ({problem}): SQLite only[/]")

    def attempt(name: str, fn, *a, **kw) -> None:
        console.print(f"[bold]{name}[/] …")
        started = time.perf_counter()
        try:
            figures.extend(fn(*a, **kw))
        except Exception as error:  # noqa: BLE001 - one failed benchmark must not lose the others
            traceback.print_exc()
            figures.append(Figure(id=name.split()[0], store="-", what=f"{name} FAILED: {type(error).__name__}: {error}",
                                  engine=None, baseline=None, unit="", ok=False, target="runs"))
        console.print(f"  done in {time.perf_counter() - started:.1f} s")

    from tests.benchmarks import store_bench

    for store in stores:
        with scratch_directory() as directory:
            if store == "sqlite":
                def url(name: str) -> str:
                    return f"sqlite:///{directory / name}.sqlite"
                if "P1" in wanted:
                    attempt(f"P1 append ({store})", store_bench.p1_append, url("p1"), store, directory,
                            grants=2 if quick else 4, repetitions=reps)
                if "P2" in wanted:
                    attempt(f"P2 load ({store})", store_bench.p2_load, url("p2"), store,
                            grants=4 if quick else 8, repetitions=reps)
                if "P3" in wanted:
                    attempt("P3 rebuild (sqlite)", store_bench.p3_rebuild, url("p3"),
                            grants=args.rebuild_grants or (1500 if quick else 8000), repetitions=reps)
            else:
                if "P1" in wanted:
                    with postgres_schema() as pg:
                        attempt(f"P1 append ({store})", store_bench.p1_append, pg, store, directory,
                                grants=2 if quick else 4, repetitions=reps)
                if "P2" in wanted:
                    with postgres_schema() as pg:
                        attempt(f"P2 load ({store})", store_bench.p2_load, pg, store,
                                grants=4 if quick else 8, repetitions=reps)

    if "P4" in wanted or "P6" in wanted:
        from tests.benchmarks import temporal_bench

        if "P4" in wanted:
            attempt("P4 transition (temporal)", lambda: asyncio.run(temporal_bench.p4_transition(
                updates=args.updates or (80 if quick else 300))))
        if "P6" in wanted:
            attempt("P6 scale (temporal)", lambda: asyncio.run(temporal_bench.p6_scale(
                grants=args.scale_grants or (300 if quick else 10_000), worker_args=tuple(args.p6_worker_args.split()))))
    if "P5" in wanted:
        from tests.benchmarks import demo_bench

        attempt("P5 demo", demo_bench.p5_demo, regions=args.demo_regions or (12 if quick else 87))
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = dt.datetime.now(dt.timezone.utc)
    figures = run(args)
    title = f"STO engine vs raw baselines ({'quick' if args.quick else 'full'} run, {started:%Y-%m-%d %H:%M} UTC, {git_commit()})"
    Console(width=max(160, Console().width)).print(table(figures, title))
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    document = {
        "started_at": started.isoformat(),
        "seconds": (dt.datetime.now(dt.timezone.utc) - started).total_seconds(),
        "mode": "quick" if args.quick else "full",
        "argv": sys.argv[1:] if argv is None else argv,
        "commit": git_commit(),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_average": os.getloadavg()},
        "figures": [f.to_dict() for f in figures],
    }
    text = json.dumps(document, indent=2, default=str)
    (out / "latest.json").write_text(text)
    (out / "latest.md").write_text(markdown(figures, title))
    (out / f"bench-{started:%Y%m%dT%H%M%S}.json").write_text(text)
    Console(stderr=True).print(f"JSON: {out / 'latest.json'}; Markdown: {out / 'latest.md'}")
    failed = [f.id for f in figures if f.target == "runs"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
