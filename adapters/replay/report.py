"""The replay's report: one self-contained HTML page with a timeline chart (inline SVG, no scripts)."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from adapters.replay.summary import ReplaySummary
from adapters.replay.summary_2025 import SchemeSummary
from domain.money import euro
from domain.regulation import Regulation, TermKind

START, END = dt.date(2018, 9, 1), dt.date(2025, 7, 1)
WIDTH, HEIGHT, LEFT, TOP, BOTTOM = 1100, 360, 50, 30, 70
COLOURS = {"1": "#1f6f8b", "2": "#e09f3e", "3": "#9e2a2b"}


def _x(day: dt.date) -> float:
    return LEFT + (day - START).days / (END - START).days * (WIDTH - LEFT - 20)


def timeline_svg(summary: ReplaySummary, regulation: Regulation) -> str:
    base = HEIGHT - BOTTOM
    peak = max((sum(m.values()) for m in summary.approvals_by_month.values()), default=1)
    scale = (base - TOP - 40) / peak
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="11">']
    parts.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - 20}" y2="{base}" stroke="#333"/>')
    for year in range(START.year + 1, END.year + 1):
        x = _x(dt.date(year, 1, 1))
        parts.append(f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 5}" stroke="#333"/>')
        parts.append(f'<text x="{x:.1f}" y="{base + 18}" text-anchor="middle">{year}</text>')
    for term in regulation.in_force(END).terms:
        if term.kind is TermKind.MILESTONE or not (START <= term.due < END):
            continue
        x = _x(term.due)
        title = html.escape(f"{term.due.isoformat()}: {term.title} ({term.source})")
        parts.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{base}" stroke="#999" stroke-dasharray="3,3"><title>{title}</title></line>')
        parts.append(
            f'<text x="{x:.1f}" y="{base + 32}" transform="rotate(35 {x:.1f} {base + 32})" fill="#555" font-size="9">{html.escape(term.key)}</text>'
        )
    for month, periods in summary.approvals_by_month.items():
        year, mon = map(int, month.split("-"))
        x = _x(dt.date(year, mon, 1))
        y = base
        for period, count in sorted(periods.items()):
            h = count * scale
            y -= h
            label = html.escape(f"{month}: {count} approved in period {period}")
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="9" height="{h:.1f}" fill="{COLOURS.get(period, "#555")}"><title>{label}</title></rect>')
        parts.append(f'<text x="{x + 4:.1f}" y="{y - 4:.1f}" text-anchor="middle">{sum(periods.values())}</text>')
    for i, (period, colour) in enumerate(COLOURS.items()):
        parts.append(f'<rect x="{LEFT + 10 + i * 150}" y="8" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{LEFT + 25 + i * 150}" y="17">approved in period {period}</text>')
    parts.append(f'<text x="{WIDTH - 330}" y="17" fill="#555">dashed: deadlines of the regulation in force</text>')
    parts.append("</svg>")
    return "".join(parts)


def _legacy_sections(summary: ReplaySummary, regulation: Regulation) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(m.name)}</td><td>{m.count}</td><td>{'' if m.expected is None else m.expected}</td>"
        f"<td>{html.escape(m.note)}</td></tr>"
        for m in summary.milestones
    )
    money = "".join(
        f"<tr><td>{html.escape(kind)}</td><td>{euro(summary.granted_2020_2023_cents[kind])}</td>"
        f"<td>{euro(summary.ceilings_cents[kind])}</td></tr>"
        for kind in summary.granted_2020_2023_cents
    )
    ext = summary.extension
    return f"""<h2>STO 2020–2024: the programme replayed 2018–2025</h2>
<p>{summary.regions} synthetic regions; {summary.events} events stored; {summary.reminders_sent} reminders and {summary.letters_sent} decision letters sent.</p>
<p>Who decided: {html.escape(summary.stages.line())}. A beoordelaar of the organisation register drafted each besluit
(a jurist, a beslissing op bezwaar), interne controle passed it, a coordinator signed it under a mandate.</p>
<h3>Approvals per month, and the deadlines</h3>
{timeline_svg(summary, regulation)}
<h3>Milestones</h3>
<table><tr><th>milestone</th><th>replayed</th><th>real programme</th><th>note</th></tr>{rows}</table>
<h3>Money</h3>
<table><tr><th>region kind</th><th>granted 2020–2023</th><th>ceiling</th></tr>{money}</table>
<p>2024 extension: {euro(ext['granted_cents'])} to {ext['regions']} regions, within a budget of {euro(ext['budget_cents'])};
the largest extension is {ext['max_share_of_2020_2023'] * 100:.1f}% of a region's 2020–2023 grant.</p>
<p>Vaststelling: {euro(summary.vaststelling['determined_cents'])} determined for {summary.vaststelling['regions']} regions,
{euro(summary.vaststelling['reclaimed_cents'])} reclaimed; {summary.vaststelling['lowered_for_cofinancing']} lowered because
business co-financing stayed under the threshold in force.</p>
<h3>Consequences applied by the engine</h3>
<table><tr><th>event</th><th>count</th></tr>{''.join(f'<tr><td>{k}</td><td>{v}</td></tr>' for k, v in summary.consequences.items())}</table>
"""


def _scheme_section(s: SchemeSummary) -> str:
    e = html.escape
    counts = "".join(
        f"<tr><td>{e(c.name)}</td><td>{c.count}</td><td>{'' if c.expected is None else c.expected}</td><td>{e(c.note)}</td></tr>"
        for c in s.counts
    )
    plans = "".join(
        f"<tr><td>{e(p.key)}</td><td>{p.due.isoformat()}</td><td>{p.on_time}</td><td>{p.late}</td><td>{p.missing}</td>"
        f"<td>{p.deadline_missed}</td></tr>"
        for p in s.plans
    )
    money = "".join(
        f"<tr><td>{e(kind)}</td><td>{m.regions}</td><td>{euro(m.granted_cents)}</td><td>{euro(m.ceiling_cents)}</td>"
        f"<td>{m.granted_cents / m.ceiling_cents * 100 if m.ceiling_cents else 0:.1f}%</td><td>{euro(m.largest_grant_cents)}"
        f"{'' if m.regional_maximum_cents is None else ' (max ' + euro(m.regional_maximum_cents) + ')'}</td></tr>"
        for kind, m in s.money.items()
    )
    pending = "".join(
        f"<tr><td>{e(d.key)}</td><td>{e(d.title)}</td><td>{d.due.isoformat()}</td><td>{d.grants}</td></tr>" for d in s.pending.deadlines
    )
    reminders = ", ".join(str(d) for d in s.reminder_offsets_days) or "none in the demo (the engine's default: 28, 14, 7 and 1 days ahead)"
    return f"""<h2>{e(s.title)}: replayed {s.replayed_from.isoformat()} to today, {s.replayed_to.isoformat()}</h2>
<p>{s.regions} regions (those approved under 2020–2024); {s.events} events stored; reminders: {e(reminders)}; {s.letters} decision letters.</p>
<h3>Counts</h3>
<table><tr><th>what</th><th>replayed</th><th>script</th><th>note</th></tr>{counts}</table>
<h3>Detailed plans (uitgewerkte plannen)</h3>
<table><tr><th>plan</th><th>due</th><th>on time</th><th>late</th><th>missing</th><th>DeadlineMissed recorded</th></tr>{plans}</table>
<h3>Money granted 2025–2028</h3>
<table><tr><th>region kind</th><th>regions</th><th>granted</th><th>ceiling over the period</th><th>used</th><th>largest grant</th></tr>{money}</table>
<h3>Still ahead on {s.pending.as_of.date().isoformat()}: the open workflows' timers</h3>
<p>{s.pending.open_workflows} grant workflows open, {s.pending.closed_workflows} closed; the next timer fires
{s.pending.next_wake.isoformat() if s.pending.next_wake else 'never'}.</p>
<table><tr><th>deadline</th><th>title</th><th>due</th><th>grants waiting</th></tr>{pending}</table>
<h3>Consequences applied by the engine</h3>
<table><tr><th>event</th><th>count</th></tr>{''.join(f'<tr><td>{k}</td><td>{v}</td></tr>' for k, v in s.consequences.items())}</table>
"""


def write_report(path: Path, summary: ReplaySummary | None, regulation: Regulation,
                 schemes: dict[str, SchemeSummary] | None = None, wall_seconds: float = 0.0, extra: str = "") -> Path:
    schemes = schemes or {}
    sections = (_legacy_sections(summary, regulation) if summary is not None else "") + "".join(
        _scheme_section(s) for s in schemes.values())
    names = ([regulation.data.scheme.title] if summary is not None and regulation.data.scheme else []) + [s.title for s in schemes.values()]
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>STO programme replay</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}} th{{background:#eee}}</style></head><body>
<h1>Sterk Techniekonderwijs: the programme replayed</h1>
<p>{html.escape(' and '.join(names))}: synthetic regions through the real workflows on Temporal's time-skipping server,
in one store; wall time {wall_seconds:.1f} s.</p>
{sections}
{extra}
</body></html>"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
