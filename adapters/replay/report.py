"""The replay's report: one self-contained HTML page with a timeline chart (inline SVG, no scripts)."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from adapters.replay.summary import ReplaySummary
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


def write_report(path: Path, summary: ReplaySummary, regulation: Regulation) -> Path:
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
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>STO programme replay 2018–2025</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}} th{{background:#eee}}</style></head><body>
<h1>Sterk Techniekonderwijs: the programme replayed</h1>
<p>{summary.regions} synthetic regions through the real workflows on Temporal's time-skipping server;
{summary.events} events stored; {summary.reminders_sent} reminders sent; wall time {summary.wall_seconds:.1f} s.</p>
<h2>Approvals per month, and the deadlines</h2>
{timeline_svg(summary, regulation)}
<h2>Milestones</h2>
<table><tr><th>milestone</th><th>replayed</th><th>real programme</th><th>note</th></tr>{rows}</table>
<h2>Money</h2>
<table><tr><th>region kind</th><th>granted 2020–2023</th><th>ceiling</th></tr>{money}</table>
<p>2024 extension: {euro(ext['granted_cents'])} to {ext['regions']} regions, within a budget of {euro(ext['budget_cents'])};
the largest extension is {ext['max_share_of_2020_2023'] * 100:.1f}% of a region's 2020–2023 grant.</p>
<p>Vaststelling: {euro(summary.vaststelling['determined_cents'])} determined for {summary.vaststelling['regions']} regions,
{euro(summary.vaststelling['reclaimed_cents'])} reclaimed; {summary.vaststelling['lowered_for_cofinancing']} lowered because
business co-financing stayed under the threshold in force.</p>
<h2>Consequences applied by the engine</h2>
<table><tr><th>event</th><th>count</th></tr>{''.join(f'<tr><td>{k}</td><td>{v}</td></tr>' for k, v in summary.consequences.items())}</table>
</body></html>"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
