"""`sto work ...`: the work queue, one case, and the work on it (claim, release, assign, pass, send back).

Who may take what is the domain's to decide (domain/authority/rules.py): these commands only say who acts
(--actor, else STO_ACTOR, else the OS user) and show what the domain answers, a refusal with its rule and source
(exit code 3, `transition_refused`). `--my-roles` and "who may take it" ask the same rules (adapters/read_side/work.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Optional

import typer
from rich.panel import Panel
from rich.table import Table

from adapters.cli.context import STATE
from adapters.cli.output import console, fail, print_json, shown
from adapters.cli.reads import READ_ERRORS, After, JsonFlag, Limit, _next_page, _quarantine_note, open_read_models
from adapters.cli.sending import send
from adapters.engine.sender import default_actor_name
from adapters.operators.transitions import TRANSITIONS
from adapters.read_side.case_view import case_view
from adapters.read_side.paging import DEFAULT_PAGE_SIZE, decode_cursor, encode_cursor
from adapters.read_side.presenters import money
from adapters.read_side.work import WORK_KEY_SHAPE, WorkQuery
from domain.errors import InvalidInput

app = typer.Typer(help="The work queue: what waits for whom, one case, and the work on it (claim, release, assign, "
                       "pass or send back a stage).")

Actor = Annotated[Optional[str], typer.Option("--actor", help="who acts (default: STO_ACTOR, else the OS user)")]
Region = Annotated[str, typer.Argument(help="region code, e.g. STO-R001")]
Scheme = Annotated[Optional[str], typer.Option("--scheme", help="the grant's scheme (default: the region's grant)")]
EffectiveAt = Annotated[Optional[str], typer.Option("--effective-at", help="business time it takes effect, ISO (default: the grant's business clock)")]
CommandId = Annotated[Optional[uuid.UUID], typer.Option("--command-id", help="send the same id again to retry safely")]
AsOf = Annotated[Optional[dt.datetime], typer.Option("--as-of", formats=["%Y-%m-%d"], help="the business day (default: today)")]


def _person(actor: str | None) -> str:
    return actor or default_actor_name()


@app.callback(invoke_without_command=True)
def queue(
    ctx: typer.Context,
    mine: Annotated[bool, typer.Option("--mine", help="the work you hold (your claims)")] = False,
    my_roles: Annotated[bool, typer.Option("--my-roles", help="the stages your roles may take and four eyes allows, not held by another")] = False,
    unassigned: Annotated[bool, typer.Option("--unassigned", help="the work nobody holds")] = False,
    everything: Annotated[bool, typer.Option("--all", help="all open work (the default)")] = False,
    scheme: Scheme = None,
    stage: Annotated[Optional[str], typer.Option("--stage", help="only work waiting in this stage, e.g. interne_controle")] = None,
    due_within: Annotated[Optional[int], typer.Option("--due-within", min=0, max=3650, help="only work whose decision term ends within DAYS (passed ones count)")] = None,
    actor: Actor = None,
    as_of: AsOf = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
    after: After = None,
    as_json: JsonFlag = False,
) -> None:
    """The open work, oldest first, a page at a time (--limit, --after): per grant the stage it waits in and its
    role, the besluit and its amount, who drafted it and who took which stage (four eyes), who holds it, and the
    decision term ("overdue N days" once passed)."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        if everything and (mine or my_roles or unassigned):
            raise InvalidInput("--all lists all open work: leave out --mine, --my-roles and --unassigned with it",
                               field="--all", hint="give one of them, or --all alone")
        if mine and unassigned:
            raise InvalidInput("--mine and --unassigned exclude each other", field="--unassigned", hint="give one")
        query = WorkQuery(person=_person(actor), mine=mine, my_roles=my_roles, unassigned=unassigned, scheme=scheme,
                          stage=stage, due_within=due_within)
        key = decode_cursor(after, WORK_KEY_SHAPE, field="--after")
        view = open_read_models().work_items(query, as_of.date() if as_of else STATE.today(), limit, key)
    except READ_ERRORS as error:
        fail(error, as_json)
    next_key = view.pop("next_key")
    view["next_cursor"] = encode_cursor(next_key) if next_key is not None else None
    if as_json:
        print_json(view)
        return
    table = Table(title=f"open work as of {view['as_of']} ({len(view['work_items'])} of {view['total']})")
    for col in ("region", "waits in (role)", "besluit, stages taken", "held by", "decision term"):
        table.add_column(col, overflow="fold", no_wrap=col == "region")
    for item in view["work_items"]:
        table.add_row(*_queue_row(item))
    console.print(table)
    _next_page("sto work (the same filters)", view["next_cursor"], len(view["work_items"]))
    _quarantine_note(view["quarantined_records"])


def _queue_row(item: dict[str, Any]) -> list[str]:
    """Five columns, so that the queue reads in a terminal of 80 characters."""
    besluit = (f"{item['besluit_kind']} {money(item['amount_cents'])}" if item["drafted"]
               else f"due, not drafted ({item['procedure']})")
    taken = "; ".join(f"{stage}: {person}" for person, stage in item["takers"].items())
    held = f"{item['claimed_by']}\nsince {item['claimed_since']}" if item["claimed_by"] else ""
    due = item["due"]
    term = "" if due is None else f"{due['due']}\n" + (f"[red]{due['text']}[/]" if due["overdue"] else due["text"])
    cells = [f"{item['region_code']}\n{item['scheme']}",
             f"{item['stage_title']} ({item['stage_index'] + 1}/{item['stage_count']}, {item['stage_role']})\n"
             f"since {item['waiting_since']}", besluit + (f"\n{taken}" if taken else ""), held]
    return [shown(cell) for cell in cells] + [term]


@app.command("show")
def show(region: Region, scheme: Scheme = None, as_of: AsOf = None, as_json: JsonFlag = False) -> None:
    """One case: the stages its besluit took (who, role, when, answers, reason), the stage open now with its
    checklist and the JSON Schema of its answers, who holds it and who may take it, the decision term."""
    try:
        service = STATE.service
        state = service.state(region.upper(), scheme=scheme)
        view = case_view(state, service.regulation(state.scheme), as_of.date() if as_of else STATE.today())
    except READ_ERRORS as error:
        fail(error, as_json)
    if as_json:
        print_json(view)
        return
    case, opened, claim = view["case"], view["open"], view["claim"]
    lines = [f"[bold]{shown(view['region_name'])}[/] ({view['region_code']}), {view['scheme']}: status {view['status']}, version {view['version']}"]
    if case:
        lines.append(f"besluit: {case['besluit_kind']} ({case['command_type']}) {money(case['amount_cents'])}, "
                     f"drafted {case['opened_on']}, round {case['round']}: {shown(case['draft_reason'])}")
    lines.append(f"held by: {shown(claim['person'])} since {claim['since']}" + (f" (assigned by {shown(claim['assigned_by'])})" if claim['assigned_by'] else "") if claim else "held by: nobody")
    console.print(Panel("\n".join(lines), title="case"))
    if case:
        taken = Table(title="stages taken")
        for col in ("round", "stage", "outcome", "who", "role", "on", "answers", "reason"):
            taken.add_column(col, overflow="fold")
        for s in case["stages"]:
            answers = ", ".join(f"{k}: {v}" for k, v in s["answers"].items())
            taken.add_row(str(s["round"]), s["stage"], s["outcome"], shown(s["person"]), s["role"], s["taken_on"],
                          shown(answers), shown(s["reason"]))
        console.print(taken)
    if opened is None:
        console.print("nothing open: no besluit waits in a stage or is due")
        return
    due = opened["due"]
    console.print(f"open: [bold]{shown(opened['stage_title'])}[/] ({opened['stage']}, stage {opened['index'] + 1} of "
                  f"{len(opened['stages'])}) of {shown(opened['procedure_title'])}, role {opened['role']}"
                  + (", signs under mandate" if opened["signs"] else "") + ("" if opened["drafted"] else ": the besluit is due, not yet drafted"))
    if due:
        console.print(f"decision term: {due['due']} ({due['text']}); {shown(due['source'])}")
    questions = Table(title="checklist (--answer ID=yes|no|text)")
    for col in ("id", "question", "kind", "required", "must be yes"):
        questions.add_column(col, overflow="fold")
    for q in opened["questions"]:
        if q["asked"]:
            questions.add_row(q["id"], shown(q["label_nl"]), q["kind"] + (f" ({', '.join(q['options'])})" if q["options"] else ""),
                              "yes" if q["required"] else "no", "yes" if q["must_be_true"] else "")
    console.print(questions)
    console.print(f"may take it: {', '.join(opened['may_take']) or 'nobody in the register now'}")
    verb = f"sto work pass {view['region_code']} {opened['stage']}" if opened["drafted"] else f"sto grant ... {view['region_code']}"
    console.print(f"[dim]{verb} --answer ... --reason ...; the answers' JSON Schema: --json[/]")


def _answers(values: list[str] | None) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip() or not rest.strip():
            raise InvalidInput(f"--answer {value!r}: write ID=yes, ID=no or ID=text", field="--answer",
                               hint="the ids are in `sto work show REGION`")
        text = rest.strip()
        answers[key.strip()] = {"yes": True, "ja": True, "true": True, "no": False, "nee": False,
                                "false": False}.get(text.lower(), text)
    return answers


def _work(name: str, region: str, fields: dict[str, Any], reason: str, actor: str | None, scheme: str | None,
          effective_at: str | None, command_id: uuid.UUID | None, as_json: bool) -> None:
    send(TRANSITIONS[name], region, lambda: fields, reason=reason, actor=actor, file=None, effective_at=effective_at,
         command_id=command_id, expected_version=None, as_json=as_json, scheme=scheme)


def _answers_or_fail(values: list[str] | None, as_json: bool) -> dict[str, Any]:
    try:
        return _answers(values)
    except InvalidInput as error:
        fail(error, as_json)


Answer = Annotated[Optional[list[str]], typer.Option("--answer", help="ID=yes|no|text, once per question of the checklist")]


@app.command("pass")
def pass_stage(region: Region, stage: Annotated[str, typer.Argument(help="the stage the besluit waits in")],
               reason: Annotated[str, typer.Option("--reason", help="why: it goes into the event")],
               answer: Answer = None, actor: Actor = None, scheme: Scheme = None, effective_at: EffectiveAt = None,
               command_id: CommandId = None, as_json: JsonFlag = False) -> None:
    """Pass the stage the besluit waits in, with the answers of its checklist (the signing stage takes the besluit,
    under your mandate)."""
    _work("pass", region, {"stage": stage, "answers": _answers_or_fail(answer, as_json)}, reason, actor, scheme,
          effective_at, command_id, as_json)


@app.command("send-back")
def send_back(region: Region, stage: Annotated[str, typer.Argument(help="the stage the besluit waits in")],
              reason: Annotated[str, typer.Option("--reason", help="why it goes back: the drafter reads it")],
              answer: Answer = None, actor: Actor = None, scheme: Scheme = None, effective_at: EffectiveAt = None,
              command_id: CommandId = None, as_json: JsonFlag = False) -> None:
    """Send the besluit back from the stage it waits in to its drafter (its first stage), with the reason."""
    _work("send-back", region, {"stage": stage, "answers": _answers_or_fail(answer, as_json)}, reason, actor, scheme,
          effective_at, command_id, as_json)


@app.command("claim")
def claim(region: Region, reason: Annotated[str, typer.Option("--reason")] = "werk opgepakt", actor: Actor = None,
          scheme: Scheme = None, effective_at: EffectiveAt = None, command_id: CommandId = None,
          as_json: JsonFlag = False) -> None:
    """Take the grant's open work as your own (a case another holds is refused: exit 3)."""
    _work("claim", region, {}, reason, actor, scheme, effective_at, command_id, as_json)


@app.command("release")
def release(region: Region, reason: Annotated[str, typer.Option("--reason")] = "werk vrijgegeven", actor: Actor = None,
            scheme: Scheme = None, effective_at: EffectiveAt = None, command_id: CommandId = None,
            as_json: JsonFlag = False) -> None:
    """Give up the claim on the grant's open work (a coordinator may release anyone's)."""
    _work("release", region, {}, reason, actor, scheme, effective_at, command_id, as_json)


@app.command("assign")
def assign(region: Region, person: Annotated[str, typer.Argument(help="who gets the work, e.g. ic.smit")],
           reason: Annotated[str, typer.Option("--reason")] = "werk toegewezen", actor: Actor = None,
           scheme: Scheme = None, effective_at: EffectiveAt = None, command_id: CommandId = None,
           as_json: JsonFlag = False) -> None:
    """Give the grant's open work to a person who may take its stage (coordinators only)."""
    _work("assign", region, {"to": person}, reason, actor, scheme, effective_at, command_id, as_json)
