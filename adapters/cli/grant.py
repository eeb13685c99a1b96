"""`sto grant ...`: one grant as it stands, and its history."""

from __future__ import annotations

import datetime as dt
import inspect
import uuid
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer
from rich.panel import Panel
from rich.table import Table

from adapters.engine.business_clock import BUSINESS_EPOCH_SETTING
from adapters.cli.context import STATE
from adapters.cli.output import console, fail, print_json
from adapters.cli.sending import send as _send, work_lines
from adapters.operators.transitions import TRANSITIONS, allowed_transitions, waiting, work_transitions
from adapters.read_side.presenters import event_row, grant_view, money
from domain.errors import DomainError
from domain.values import ObjectionOutcome, RegionKind

app = typer.Typer(help="One region's grant: show it, read its history, and send it commands.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]
SchemeOption = Annotated[Optional[str], typer.Option("--scheme", help="the grant's scheme (regeling), e.g. sto-2025-2028 (`sto schemes`); default: the region's grant, or the one in the scheme in force")]


@app.command("show")
def show(
    region: Annotated[str, typer.Argument(help="region code, e.g. STO-R001")],
    as_of: Annotated[Optional[dt.datetime], typer.Option("--as-of", formats=["%Y-%m-%d"], help="deadlines pending on this business day (default: today, or the day of STO_BUSINESS_EPOCH)")] = None,
    scheme: SchemeOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The grant as it stands: status, money, next deadlines and the commands possible now."""
    try:
        service = STATE.service
        day = as_of.date() if as_of else STATE.today()
        state = service.state(region.upper(), scheme=scheme)
        regulation = service.regulation(state.scheme)
        view = grant_view(state, regulation, day)
        view["allowed_transitions"] = allowed_transitions(state.status, regulation)
        view["waiting"] = waiting(state, regulation)
        view["work_transitions"] = work_transitions(state, regulation)
    except (DomainError, ValueError) as error:
        fail(error, as_json)
    if as_json:
        print_json(view)
        return
    m = view["money"]
    lines = [
        f"[bold]{view['region_name']}[/] ({view['region_code']}), {view['kind']}",
        f"penvoerder: {view['penvoerder']['name']} <{view['penvoerder']['email']}>",
        f"status: [bold]{view['status']}[/]   version {view['version']}",
        f"requested {money(m['requested_cents'])} of a regional maximum of {money(m['regional_maximum_cents'])}",
        f"granted {money(m['granted_cents'])}"
        + (f" + 2024 extension {money(m['extension_cents'])}" if m["extension_cents"] else ""),
    ]
    if view["end_reason"]:
        lines.append(f"ended: {view['end_reason']}")
    console.print(Panel("\n".join(lines), title="grant"))
    table = Table(title="next deadlines")
    for col in ("due", "what", "source", "explanation"):
        table.add_column(col, overflow="fold")
    for d in view["next_deadlines"]:
        table.add_row(d["due"], d["title"], d["source"], " ".join(d["explanation"]))
    console.print(table)
    for line in work_lines({"events": [], "waiting": view["waiting"], "region_code": view["region_code"],
                            "command_type": "ClaimCase"}):
        console.print(line)
    possible = ", ".join(f"sto grant {name}" for name in view["allowed_transitions"])
    work = ", ".join(f"sto work {name}" for name in view["work_transitions"])
    console.print(f"possible now: {possible or 'nothing (the grant has ended)'}" + (f"; {work}" if work else ""))


@app.command("history")
def history(region: Annotated[str, typer.Argument(help="region code")], scheme: SchemeOption = None,
            as_json: JsonFlag = False) -> None:
    """Every event of the grant: version, business and recorded time, who, why, rule and legal basis."""
    try:
        rows = [event_row(e) for e in STATE.service.history(region.upper(), scheme=scheme)]
    except DomainError as error:
        fail(error, as_json)
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"history of {region.upper()}")
    for col in ("v", "effective", "recorded", "event", "actor (role)", "reason", "rule", "legal basis"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["version"]), r["effective_on"], r["recorded_at"][:19], r["event"], f"{r['actor']} ({r['role']})",
            r["reason"], r["rule"], r["legal_basis"],
        )
    console.print(table)


# --- transitions ---------------------------------------------------------------------------------
# Every transition is `sto grant NAME REGION [its own options] --reason ... [common options]`. The common
# options are added to each command by `transition` below, so the commands list only what is their own.

Region = Annotated[str, typer.Argument(help="region code, e.g. STO-R001")]
YearAmounts = Annotated[
    Optional[list[str]], typer.Option("--year", help="YEAR=CENTS, once per year, e.g. --year 2020=100000000")
]

COMMON_OPTIONS = [
    inspect.Parameter("reason", inspect.Parameter.KEYWORD_ONLY, annotation=Annotated[
        str, typer.Option("--reason", help="why: it goes into every event this causes")]),
    inspect.Parameter("actor", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        Optional[str], typer.Option("--actor", help="who sends it (default: STO_ACTOR, else the OS user)")]),
    inspect.Parameter("file", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        Optional[Path], typer.Option("--file", help="a JSON object with the command's fields (options given too take precedence)")]),
    inspect.Parameter("effective_at", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        Optional[str], typer.Option("--effective-at", help="business time it takes effect, ISO (Amsterdam time without an offset); default: the grant's business clock")]),
    inspect.Parameter("command_id", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        Optional[uuid.UUID], typer.Option("--command-id", help="send the same id again to retry safely: it is applied once")]),
    inspect.Parameter("expected_version", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        Optional[int], typer.Option("--expected-version", min=0, help="refuse (exit 4) unless the grant is at this version")]),
    inspect.Parameter("scheme", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        Optional[str], typer.Option("--scheme", help="the scheme (regeling) of the grant, e.g. sto-2025-2028 (`sto schemes`); default: the region's grant, or for a vooraanmelding the scheme in force")]),
    inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[
        bool, typer.Option("--json", help="machine-readable output")]),
]
REGION_PARAMETER = inspect.Parameter("region", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Region)


def transition(name: str, *, extra: list[inspect.Parameter] = ()):
    """Register `sto grant NAME`: the decorated function turns its own options into command fields."""
    spec = TRANSITIONS[name]

    def register(fields_from: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        own = list(inspect.signature(fields_from, eval_str=True).parameters.values())

        def command(region: str, **options: Any) -> None:
            common = {p.name: options.pop(p.name) for p in [*COMMON_OPTIONS, *extra]}
            _send(spec, region, lambda: fields_from(**options), **common)

        command.__signature__ = inspect.Signature([REGION_PARAMETER, *own, *COMMON_OPTIONS, *extra])
        command.__doc__ = f"{spec.title} ({spec.command_type})\n\n{inspect.getdoc(fields_from) or ''}"
        app.command(name)(command)
        return fields_from

    return register


def _pairs(values: list[str] | None, option: str, shape: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip() or not rest.strip():
            raise ValueError(f"{option} {value!r}: write {shape}")
        pairs.append((key.strip(), rest.strip()))
    return pairs


def _year_amounts(values: list[str] | None) -> list[dict[str, Any]] | None:
    if not values:
        return None
    try:
        return [{"year": int(y), "amount_cents": int(a)} for y, a in _pairs(values, "--year", "YEAR=CENTS, e.g. 2020=100000000")]
    except ValueError as error:
        raise ValueError(str(error) if "--year" in str(error) else f"--year takes whole numbers: YEAR=CENTS ({error})") from None


BUSINESS_EPOCH = inspect.Parameter("business_epoch", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
    Optional[str], typer.Option("--business-epoch", envvar=BUSINESS_EPOCH_SETTING,
                                help="business time now, ISO: the new grant's clock starts there (real time is after every STO deadline)")])


@transition("pre-register", extra=[BUSINESS_EPOCH])
def pre_register(
    name: Annotated[Optional[str], typer.Option("--name", help="the region's name")] = None,
    kind: Annotated[Optional[RegionKind], typer.Option("--kind")] = None,
    penvoerder_name: Annotated[Optional[str], typer.Option("--penvoerder-name", help="the school board that applies")] = None,
    bevoegd_gezag: Annotated[Optional[str], typer.Option("--bevoegd-gezag", help="its 5-digit bevoegd-gezagnummer")] = None,
    email: Annotated[Optional[str], typer.Option("--email", help="the penvoerder's e-mail address")] = None,
    school: Annotated[Optional[list[str]], typer.Option("--school", help="a vmbo school's 6-character BRIN, once per school")] = None,
    mbo: Annotated[Optional[list[str]], typer.Option("--mbo", help="an mbo institution, once per institution")] = None,
    partner: Annotated[Optional[list[str]], typer.Option("--partner", help="NAME=company|municipality, once per partner")] = None,
) -> dict[str, Any]:
    """Starts the region's grant workflow. Fields: region_name, kind, penvoerder {name, bevoegd_gezag, email},
    vmbo_schools, mbo_institutions, partners [{name, kind}]."""
    penvoerder = {"name": penvoerder_name, "bevoegd_gezag": bevoegd_gezag, "email": email}
    return {
        "region_name": name, "kind": kind, "penvoerder": {k: v for k, v in penvoerder.items() if v is not None},
        "vmbo_schools": school, "mbo_institutions": mbo,
        "partners": [{"name": n, "kind": k} for n, k in _pairs(partner, "--partner", "NAME=company or NAME=municipality")],
    }


@transition("apply")
def apply(period: Annotated[Optional[int], typer.Option("--period", min=1, max=3, help="application period")] = None) -> dict[str, Any]:
    """Fields: period, documents {regiovisie, activiteitenplan, begroting, cofinancing, pupil_counts, addendum}:
    the documents come from --file."""
    return {"period": period}


@transition("request-repair")
def request_repair(
    missing: Annotated[Optional[list[str]], typer.Option("--missing", help="what is missing, once per item")] = None,
    repair_days: Annotated[Optional[int], typer.Option("--repair-days", min=1, max=90, help="days to repair (default: the regulation's)")] = None,
) -> dict[str, Any]:
    """Fields: missing, repair_days."""
    return {"missing": missing, "repair_days": repair_days}


@transition("submit-repair")
def submit_repair() -> dict[str, Any]:
    """Fields: documents (optional: a replacement of the whole application, from --file)."""
    return {}


@transition("accept")
def accept() -> dict[str, Any]:
    """No fields of its own."""
    return {}


@transition("advise")
def advise(
    positive: Annotated[Optional[bool], typer.Option("--positive/--negative", help="the committee's overall advice")] = None,
    criterion: Annotated[Optional[list[str]], typer.Option("--criterion", help="CRITERION=sufficient|insufficient, once per criterion")] = None,
    ranking_score: Annotated[Optional[int], typer.Option("--ranking-score", min=0, max=100, help="techniekarme regio's only")] = None,
) -> dict[str, Any]:
    """Fields: positive, criteria [{criterion, judgement, remark}], ranking_score."""
    criteria = [{"criterion": k, "judgement": v} for k, v in _pairs(criterion, "--criterion", "CRITERION=sufficient or CRITERION=insufficient")]
    return {"positive": positive, "criteria": criteria, "ranking_score": ranking_score}


@transition("approve")
def approve(
    year: YearAmounts = None,
    sent_on: Annotated[Optional[dt.datetime], typer.Option("--sent-on", formats=["%Y-%m-%d"], help="day the decision is sent (default: the day it takes effect)")] = None,
) -> dict[str, Any]:
    """Fields: granted_per_year [{year, amount_cents}], sent_on."""
    return {"granted_per_year": _year_amounts(year), "sent_on": sent_on.date() if sent_on else None}


@transition("reject")
def reject(
    ground: Annotated[Optional[list[str]], typer.Option("--ground", help="a reason for the rejection, once per reason")] = None,
    sent_on: Annotated[Optional[dt.datetime], typer.Option("--sent-on", formats=["%Y-%m-%d"], help="day the decision is sent")] = None,
) -> dict[str, Any]:
    """Fields: reasons, sent_on."""
    return {"reasons": ground, "sent_on": sent_on.date() if sent_on else None}


@transition("object")
def file_objection(grounds: Annotated[Optional[str], typer.Option("--grounds", help="the grounds of the bezwaar")] = None) -> dict[str, Any]:
    """Fields: grounds."""
    return {"grounds": grounds}


@transition("decide-objection")
def decide_objection(
    outcome: Annotated[Optional[ObjectionOutcome], typer.Option("--outcome", help="upheld (gegrond) or dismissed (ongegrond)")] = None,
    year: YearAmounts = None,
    revised_amount_cents: Annotated[Optional[int], typer.Option(
        "--revised-amount-cents", min=1, help="upheld against the extension or the vaststelling: the new besluit's amount")] = None,
) -> dict[str, Any]:
    """Fields: outcome, granted_per_year (for an upheld objection against a decision with amounts), revised_amount_cents
    (the extension or vaststelling that takes the contested one's place, Awb 7:11 lid 2)."""
    return {"outcome": outcome, "granted_per_year": _year_amounts(year), "revised_amount_cents": revised_amount_cents}


@transition("report")
def progress_report(
    number: Annotated[Optional[int], typer.Option("--number", min=1, max=2, help="progress report 1 or 2")] = None,
    summary: Annotated[Optional[str], typer.Option("--summary")] = None,
    spent_cents: Annotated[Optional[int], typer.Option("--spent-cents", min=0)] = None,
    cofinancing_cents: Annotated[Optional[int], typer.Option("--cofinancing-cents", min=0, help="co-financing realised")] = None,
) -> dict[str, Any]:
    """Fields: number, summary, spent_cents, cofinancing_realised_cents, extension_plan (report 2; from --file)."""
    return {"number": number, "summary": summary, "spent_cents": spent_cents, "cofinancing_realised_cents": cofinancing_cents}


@transition("extension-plan")
def extension_plan(
    summary: Annotated[Optional[str], typer.Option("--summary")] = None,
    requested_cents: Annotated[Optional[int], typer.Option("--requested-cents", min=1)] = None,
) -> dict[str, Any]:
    """Fields: plan {summary, requested_cents, cost_lines}; the cost lines come from --file."""
    return {"plan": {k: v for k, v in {"summary": summary, "requested_cents": requested_cents}.items() if v is not None}}


@transition("detailed-plan")
def detailed_plan(
    plan_key: Annotated[Optional[str], typer.Option("--plan", help="which of the scheme's plans, e.g. 2025-2026 (`sto schemes show`)")] = None,
    summary: Annotated[Optional[str], typer.Option("--summary")] = None,
    requested_cents: Annotated[Optional[int], typer.Option("--requested-cents", min=1)] = None,
) -> dict[str, Any]:
    """Fields: plan_key, plan {summary, requested_cents, cost_lines}; the cost lines come from --file."""
    plan = {k: v for k, v in {"summary": summary, "requested_cents": requested_cents}.items() if v is not None}
    return {"plan_key": plan_key, "plan": plan}


@transition("grant-extension")
def grant_extension(amount_cents: Annotated[Optional[int], typer.Option("--amount-cents", min=1)] = None) -> dict[str, Any]:
    """Fields: amount_cents."""
    return {"amount_cents": amount_cents}


@transition("hourly-rate")
def hourly_rate(
    rate_cents: Annotated[Optional[int], typer.Option("--rate-cents", min=1, help="the new hourly rate")] = None,
    motivation: Annotated[Optional[str], typer.Option("--motivation")] = None,
) -> dict[str, Any]:
    """Fields: rate_cents, motivation."""
    return {"rate_cents": rate_cents, "motivation": motivation}


@transition("final-report")
def final_report(
    summary: Annotated[Optional[str], typer.Option("--summary")] = None,
    year: Annotated[Optional[list[str]], typer.Option("--year", help="YEAR=CENTS realised, once per year")] = None,
    cofinancing_cents: Annotated[Optional[int], typer.Option("--cofinancing-cents", min=0, help="co-financing realised")] = None,
) -> dict[str, Any]:
    """Fields: summary, realised_per_year [{year, amount_cents}], cofinancing_realised_cents."""
    return {"summary": summary, "realised_per_year": _year_amounts(year), "cofinancing_realised_cents": cofinancing_cents}


@transition("determine")
def determine() -> dict[str, Any]:
    """No fields of its own: the vaststelling follows from the final report and the rules in force."""
    return {}


@transition("withdraw")
def withdraw() -> dict[str, Any]:
    """No fields of its own."""
    return {}


@transition("melding")
def melding(
    kind: Annotated[Optional[str], typer.Option("--kind", help="not_on_time, not_fully or not_at_all")] = None,
    activities: Annotated[Optional[str], typer.Option("--activities", help="which activities, and why")] = None,
) -> dict[str, Any]:
    """Fields: kind, activities (the region's melding under its meldingsplicht)."""
    return {"kind": kind, "activities": activities}


@transition("lower")
def lower(year: YearAmounts = None) -> dict[str, Any]:
    """Fields: granted_per_year (the lowered amount per year; Awb 4:48 lid 1), sent_on."""
    return {"granted_per_year": _year_amounts(year)}
