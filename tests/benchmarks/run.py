"""`make bench` (`python -m tests.benchmarks.run`): the engine against raw baselines, one table, JSON and Markdown.

    python -m tests.benchmarks.run                # everything, full size (P6 with 10,000 grants: many minutes)
    python -m tests.benchmarks.run --quick        # smaller sizes, P5 on 12 regions, P6 with 300 grants
    python -m tests.benchmarks.run --only P1,P2 --no-postgres
    python -m tests.benchmarks.run --scale-grants 2000
    python -m tests.benchmarks.run --only p8 --scale 0.1   # issue 25's benchmarks at a tenth of their size

Issue 25 (the synthetic agency, tests/benchmarks/agency.py, built once and cached in bench-results/agency/):
P8 pages of the grants list at 1,000 and 100,000 grants (SQLite and PostgreSQL), P3A the rebuild at a million
events, P6 with P6b (bare workflows on the same dev server) and P6r (worker memory per cached grant), P6C the
burst with a worker cache of 2,000. `--scale` multiplies their sizes.

Issue 24: PAY the daily payment run, 10,000 instalments due on one day to one batch file (pain.001, XSD-checked, and
the CSV), exactly once, against write_pain001 alone (tests/benchmarks/payment_bench.py).

Every figure is a ratio to a baseline measured in the same run (interleaved, medians of several
repetitions): the machines are shared and their speed drifts. The JSON (bench-results/latest.json and a
timestamped copy) holds every figure, its samples, and the machine and commit it ran on; latest.md the table.
Each figure is printed as it is measured and both files are rewritten after each benchmark ("complete": false
until the end), so a run that is cut off (`timeout 60 make bench`, Ctrl-C) still reports what it measured.
SIGTERM and SIGINT stop every dev server and worker the run started; they also die with it on SIGKILL.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from adapters import processes
from tests.benchmarks.common import REPO, Figure, postgres_problem, postgres_schema, scratch_directory

ALL = ("P1", "P2", "P3", "P3A", "P4", "P5", "P6", "P6C", "P7", "P8", "PAY")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (minutes instead of a quarter hour and more)")
    parser.add_argument("--only", default=",".join(ALL), help="which benchmarks, e.g. P1,P2 (default: all)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--repetitions", type=int, default=None, help="repetitions per figure (default 5, quick 3)")
    parser.add_argument("--scale-grants", type=int, default=None, help="P6: grants with pending timers (default 10,000, quick 300)")
    parser.add_argument("--rebuild-grants", type=int, default=None, help="P3: grants in the store (default 8,000, quick 1,500)")
    parser.add_argument("--p6-workers", type=int, default=1, help="P6: `sto worker` processes sharing the grants (default 1)")
    parser.add_argument("--p6-worker-args", default="", help="P6: extra options of `sto worker`, e.g. '--max-cached-workflows 10000'")
    parser.add_argument("--updates", type=int, default=None, help="P4: updates of each kind (default 300, quick 80)")
    parser.add_argument("--demo-regions", type=int, default=None, help="P5: regions of the demo (default 87 = the real programme, quick 12)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="issue 25's sizes times this (P8, P3A: 1,000 and 100,000 grants; P6, P6C: 10,000 grants, "
                             "P6C's cache 2,000), e.g. 0.1 to try them quickly")
    parser.add_argument("--p8-repetitions", type=int, default=None, help="P8: reads of each page (default 300, quick 100)")
    parser.add_argument("--p6c-cache", type=int, default=None, help="P6C: the worker's cache (default 2,000 x scale)")
    parser.add_argument("--payment-instalments", type=int, default=None,
                        help="PAY: instalments due on the day of the payment run (default 10,000 x scale, quick 1,000)")
    parser.add_argument("--p6-lead-per-grant", type=float, default=None,
                        help="P6, P6C: seconds of lead before the instant per grant, after 60 s (default 0.1: a busy "
                             "machine's and, at 10,000, a quiet one's: 0.04 was LATE there; a lead too short shows as LATE)")
    parser.add_argument("--no-bare", action="store_true", help="P6 without P6b's bare burst before it")
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


def one_line(f: Figure) -> str:
    """A figure as it is measured, on one line of the progress output."""
    mark = "" if f.ok is None else (" [green]✓[/]" if f.ok else " [red]✗[/]")
    ratio = "" if f.ratio is None else f", ratio {f.ratio:.2f}x"
    baseline = "" if f.baseline is None else f" (baseline {fmt(f.baseline, f.unit)})"
    return f"  {f.id} {f.store}: {fmt(f.engine, f.unit)} {f.unit}{baseline}{ratio}{f' — target {f.target}' if f.target else ''}{mark}"


def run(args: argparse.Namespace, figures: list[Figure] | None = None,
        measured: Callable[[list[Figure]], None] = lambda figures: None) -> list[Figure]:
    """Every wanted benchmark; each one's figures are appended to `figures` and passed to `measured` at once."""
    wanted = {w.strip().upper() for w in args.only.split(",") if w.strip()}
    quick = args.quick
    reps = args.repetitions or (3 if quick else 5)
    console = Console(stderr=True)
    figures = [] if figures is None else figures
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
            new = list(fn(*a, **kw))
        except Exception as error:  # noqa: BLE001 - one failed benchmark must not lose the others
            traceback.print_exc()
            new = [Figure(id=name.split()[0], store="-", what=f"{name} FAILED: {type(error).__name__}: {error}",
                          engine=None, baseline=None, unit="", ok=False, target="runs")]
        figures.extend(new)
        for figure in new:
            console.print(one_line(figure), highlight=False)
        console.print(f"  done in {time.perf_counter() - started:.1f} s")
        measured(figures)

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

    if "P8" in wanted or "P3A" in wanted:
        from tests.benchmarks import agency_bench

        small, large = agency_bench.agencies(args.scale)
        if "P3A" in wanted:
            attempt("P3A rebuild at agency scale (sqlite)", agency_bench.p3_agency, large,
                    repetitions=max(2, min(reps, 3)))
        if "P8" in wanted:
            p8_reps = args.p8_repetitions or (100 if quick else 300)
            attempt("P8 pages (sqlite)", agency_bench.p8_pages, "sqlite", small, large, repetitions=p8_reps)
            if "postgres" in stores:
                attempt("P8 pages (postgres)", agency_bench.p8_postgres, small, large, repetitions=p8_reps)

    if "P4" in wanted or "P6" in wanted or "P6C" in wanted or "P7" in wanted:
        from tests.benchmarks import temporal_bench

        if "P4" in wanted:
            attempt("P4 transition (temporal)", lambda: asyncio.run(temporal_bench.p4_transition(
                updates=args.updates or (80 if quick else 300))))
        if "P7" in wanted:
            attempt("P7 fifty operators (temporal)", lambda: asyncio.run(temporal_bench.p7_race(
                operators=50, bursts=2 if quick else 6)))
        lead = {} if args.p6_lead_per_grant is None else {"lead_per_grant": args.p6_lead_per_grant}
        p6_grants = args.scale_grants or (300 if quick else max(100, int(round(10_000 * args.scale))))
        if "P6" in wanted:
            attempt("P6 scale, P6b bare baseline (temporal)", lambda: asyncio.run(temporal_bench.p6_scale(
                grants=p6_grants, worker_args=tuple(args.p6_worker_args.split()), workers=args.p6_workers,
                bare=not args.no_bare, **lead)))
        if "P6C" in wanted:
            cache = args.p6c_cache or max(10, int(round(p6_grants / 5)))
            attempt(f"P6C burst with a cache of {cache:,} (temporal)", lambda: asyncio.run(temporal_bench.p6_scale(
                grants=p6_grants, worker_args=(*args.p6_worker_args.split(), "--max-cached-workflows", str(cache)),
                workers=args.p6_workers, bare=False, fid="P6c", **lead)))
    if "PAY" in wanted:
        from tests.benchmarks import payment_bench

        instalments = args.payment_instalments or (1_000 if quick else max(100, int(round(10_000 * args.scale))))
        attempt(f"PAY payment run of {instalments:,} instalments (sqlite)", payment_bench.p_payment_run,
                instalments=instalments, repetitions=reps)
    if "P5" in wanted:
        from tests.benchmarks import demo_bench

        attempt("P5 demo", demo_bench.p5_demo, regions=args.demo_regions or (12 if quick else 87))
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    wanted = {w.strip().upper() for w in args.only.split(",") if w.strip()}
    if wanted & {"P8", "P3A"}:
        # the agency's schemes, for this process before the domain is imported (its models read the years the
        # schemes speak of at import), as STO_SCHEMES_PATH is for every process of an installation
        from tests.benchmarks import agency

        os.environ["STO_SCHEMES_PATH"] = str(agency.write_schemes(agency.CACHE / "schemes"))
    started = dt.datetime.now(dt.timezone.utc)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    commit = git_commit()
    title = f"STO engine vs raw baselines ({'quick' if args.quick else 'full'} run, {started:%Y-%m-%d %H:%M} UTC, {commit})"
    figures: list[Figure] = []

    def save(figures: list[Figure], complete: bool = False, stopped: str | None = None) -> None:
        """latest.json, its timestamped copy and latest.md, with what has been measured so far."""
        document = {
            "started_at": started.isoformat(),
            "seconds": (dt.datetime.now(dt.timezone.utc) - started).total_seconds(),
            "mode": "quick" if args.quick else "full",
            "argv": sys.argv[1:] if argv is None else argv,
            "commit": commit,
            "complete": complete,
            **({"stopped": stopped} if stopped else {}),
            "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                        "load_average": os.getloadavg()},
            "figures": [f.to_dict() for f in figures],
        }
        text = json.dumps(document, indent=2, default=str)
        for name, content in (("latest.json", text), (f"bench-{started:%Y%m%dT%H%M%S}.json", text),
                              ("latest.md", markdown(figures, title + ("" if complete else " (incomplete)")))):
            partial = out / f".{name}.partial"
            partial.write_text(content)
            partial.replace(out / name)  # never a half-written file, even when the run is killed meanwhile

    save(figures)
    try:
        with processes.stopping_on_signals():  # SIGTERM / Ctrl-C: stop the dev servers and workers, keep the figures
            run(args, figures, save)
    except (KeyboardInterrupt, SystemExit) as stop:
        code = stop.code if isinstance(stop, SystemExit) else 128 + signal.SIGINT
        reason = signal.Signals(code - 128).name if isinstance(code, int) and code > 128 else f"exit {code}"
        save(figures, stopped=reason)
        Console(stderr=True).print(f"[yellow]stopped ({reason}) after {len(figures)} figures; "
                                   f"JSON: {out / 'latest.json'}[/]")
        raise
    Console(width=max(160, Console().width)).print(table(figures, title))
    save(figures, complete=True)
    Console(stderr=True).print(f"JSON: {out / 'latest.json'}; Markdown: {out / 'latest.md'}")
    failed = [f.id for f in figures if f.target == "runs"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
