"""`sto demo`: the STO programme 2018–2025 replayed through the real workflows, in about a minute."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from adapters.cli.output import console, err_console, fail, print_json
from domain.errors import DomainError, InvalidInput
from adapters.replay.scenario import REAL
from domain.money import euro


def demo(
    regions: Annotated[int, typer.Option("--regions", help="number of synthetic regions (87 replays the real counts)")] = REAL["regions"],
    seed: Annotated[int, typer.Option("--seed", help="seed of the synthetic regions")] = 2018,
    directory: Annotated[Path, typer.Option("--dir", help="where the demo store, outbox and report go (emptied first)")] = Path("var/demo"),
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, max=8, help="worker processes (Python runs one core per process)")] = 2,
    sandbox: Annotated[bool, typer.Option("--sandbox/--no-sandbox", help="run the workers in Temporal's workflow sandbox")] = False,
    schemes: Annotated[Optional[list[str]], typer.Option(
        "--scheme", help="replay only this scheme: sto-2020-2024 (2018–2025) or sto-2025-2028 (May 2024 to today); "
        "repeatable; default both, on one timeline in one store")] = None,
) -> None:
    """Replay the STO programme: 2020–2024 from vooraanmelding to vaststelling for every region, with the real
    dates and counts; then 2025–2028 for the regions approved before, from the vooraanmelding of May 2024 to
    today, where their workflows keep waiting for the deadlines still ahead. Every besluit goes through the stages of its
    procedure, taken by synthetic staff of the organisation register: a beoordelaar drafts (a jurist, for an
    objection), interne controle checks, a coordinator signs under the smallest mandate that covers it.

    The replay's workers run without Temporal's workflow sandbox (about 15 % less CPU); every test of the
    workflows runs sandboxed, and `--sandbox` runs the replay that way too."""
    progress = Progress(
        TextColumn("[bold]business time[/] {task.fields[moment]}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(), console=err_console, transient=as_json,
    )
    from adapters.replay.engine import SCHEMES, replay  # Temporal's test tooling: imported only when the demo runs

    chosen = tuple(dict.fromkeys(schemes)) if schemes else SCHEMES
    unknown = [s for s in chosen if s not in SCHEMES]
    if unknown:
        fail(InvalidInput(f"the demo replays {' and '.join(SCHEMES)}; not {', '.join(unknown)}", field="scheme",
                          hint=f"give --scheme {SCHEMES[0]} or --scheme {SCHEMES[1]}, or leave it out for both"), as_json)

    task = progress.add_task("replay", total=1, moment="")
    window: dict[str, dt.datetime] = {}

    def on_start(start: dt.datetime, end: dt.datetime) -> None:
        window.update(start=start, end=end)
        progress.update(task, total=(end - start).days, moment=start.date().isoformat())

    def on_progress(moment: dt.datetime) -> None:
        progress.update(task, completed=(moment - window["start"]).days, moment=moment.date().isoformat())

    try:
        with progress:
            outcome = asyncio.run(
                replay(
                    directory, regions=regions, seed=seed, schemes=chosen, extra_workers=workers - 1, sandboxed=sandbox,
                    on_start=on_start, on_progress=on_progress,
                )
            )
    except DomainError as error:  # the replay could not go on (replay_stalled): said with what to do
        fail(error, as_json)
    summary = outcome.summary
    if as_json:
        legacy = summary.model_dump(mode="json") if summary is not None else {}
        print_json({**legacy, "schemes": {k: v.model_dump(mode="json") for k, v in outcome.schemes.items()},
                    "money": outcome.money.model_dump(mode="json") if outcome.money is not None else None,
                    "wall_seconds": outcome.wall_seconds, "report": str(outcome.report), "database_url": outcome.database_url})
        return
    if summary is not None:
        print_legacy(summary, outcome)
    for scheme_summary in outcome.schemes.values():
        print_scheme(scheme_summary)
    if outcome.money is not None:
        print_money(outcome.money)
    console.print(f"report: {outcome.report}")
    console.print(f"[bold]wall time {outcome.wall_seconds:.1f} s[/]")
    console.print("Look around (auditors and operators):")
    url = outcome.database_url
    for cmd in ("regions", "budget", f"audit history {first_region(summary)}", "audit verify"):
        console.print(f"  sto --database-url {url} {cmd}")


def print_legacy(summary, outcome) -> None:
    table = Table(title=f"STO 2020–2024 replayed 2018–2025: {summary.regions} regions")
    for col in ("milestone", "replayed", "real programme", "note"):
        table.add_column(col)
    for m in summary.milestones:
        ok = "" if m.expected is None else ("[green]✓[/]" if m.count == m.expected else "[red]✗[/]")
        table.add_row(m.name, f"{m.count} {ok}", "" if m.expected is None else str(m.expected), m.note)
    console.print(table)
    money = Table(title="money 2020–2024")
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
        f"{summary.events} events, {summary.reminders_sent} reminders and {summary.letters_sent} decision letters sent "
        f"(file outbox {outbox_hint(outcome.outbox)}), "
        f"consequences applied by the engine: {sum(summary.consequences.values())}"
    )
    console.print(summary.stages.line())


def print_scheme(s) -> None:
    table = Table(title=f"{s.title} replayed {s.replayed_from.isoformat()} to today ({s.replayed_to.isoformat()}): {s.regions} regions")
    for col in ("what", "replayed", "script", "note"):
        table.add_column(col)
    for c in s.counts:
        ok = "" if c.expected is None else ("[green]✓[/]" if c.count == c.expected else "[red]✗[/]")
        table.add_row(c.name, f"{c.count} {ok}", "" if c.expected is None else str(c.expected), c.note)
    for p in s.plans:
        table.add_row(f"DeadlineMissed for plan {p.key} (timer at {p.due.isoformat()})", str(p.deadline_missed), "", "")
    console.print(table)
    money = Table(title=f"money {s.title}")
    for col in ("region kind", "regions", "granted", "against", "largest grant"):
        money.add_column(col)
    for kind, m in s.money.items():
        used = m.granted_cents / m.ceiling_cents * 100 if m.ceiling_cents else 0
        largest = euro(m.largest_grant_cents) + ("" if m.regional_maximum_cents is None else f" (max {euro(m.regional_maximum_cents)})")
        money.add_row(kind, str(m.regions), euro(m.granted_cents), f"ceiling {euro(m.ceiling_cents)} ({used:.1f}% used)", largest)
    console.print(money)
    ahead = Table(title=f"still ahead on {s.pending.as_of.date().isoformat()}: {s.pending.open_workflows} open workflows, "
                        f"{s.pending.closed_workflows} closed")
    for col in ("deadline", "due", "timers pending"):
        ahead.add_column(col)
    for d in s.pending.deadlines:
        ahead.add_row(f"{d.title} ({d.key})", d.due.isoformat(), str(d.grants))
    console.print(ahead)
    reminders = ", ".join(f"{d}" for d in s.reminder_offsets_days) or "none in the demo"
    console.print(f"{s.events} events; reminders: {reminders}; decision letters: {s.letters}; consequences applied by the engine: "
                  + (", ".join(f"{k} {v}" for k, v in s.consequences.items()) or "none"))
    console.print(s.stages.line())


def print_money(m) -> None:
    """The money per scheme as the ledgers hold it on the last day (`sto money summary --as-of`), and the settlement."""
    table = Table(title=f"the money per scheme on {m.as_of.isoformat()} (the ledgers' totals)")
    table.add_column("what")
    for s in m.schemes.values():
        table.add_column(s.scheme, justify="right")
    rows = [("committed (verplicht)", "committed_cents"), ("paid (on the bank's statement)", "paid_cents"),
            ("handed over, not yet on a statement", "handed_over_cents"), ("advances paid by set-off", "set_off_in_cents"),
            ("reclaimed (vorderingen)", "reclaimed_cents"), ("statutory interest", "interest_cents"),
            ("received", "received_cents"), ("claims set off", "claims_set_off_cents"), ("outstanding", "outstanding_cents")]
    for title, key in rows:
        table.add_row(title, *(euro(getattr(s, key)) for s in m.schemes.values()))
    console.print(table)
    st = m.settled
    finals = len(st.final_payments)
    lines = [f"settled after the vaststelling: {finals} final payment{'' if finals == 1 else 's'} ("
             + ", ".join(f"{code} {euro(cents)}" for code, cents in st.final_payments.items())
             + f"), {st.claims_paid_on_time} claims repaid on time; {st.statements} bank statements (camt.053) read"]
    if st.late:
        late = st.late
        lines.append(f"paid late: {late['claim']} ({late['region']}, {euro(late['amount_cents'])}) due {late['term_ends']}, "
                     f"in default since {late['in_default_since']}, aanmaning {late['aanmaning_sent_on']} (pay by "
                     f"{late['aanmaning_term_ends']}), statutory interest {euro(late['interest_cents'])}; outstanding "
                     f"{euro(late['outstanding_cents'])}")
    if st.set_off:
        so = st.set_off
        lines.append(f"set off (Awb 4:57 lid 3): {so['claim']} ({so['region']}, {euro(so['claim_cents'])}): "
                     f"{euro(so['set_off_cents'])} against {so['against']}, which keeps {euro(so['instalment_left_cents'])} to pay")
    for line in lines + [f"[yellow]statement line not matched: {u}[/]" for u in st.unmatched]:
        console.print(line)


def outbox_hint(path: Path) -> str:
    return str(path)


def first_region(summary) -> str:
    return "STO-R001"
