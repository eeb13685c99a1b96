"""`sto money ...`: a grant's money (commitments, instalments, the account, suspension, settlement, claims), the money
of all grants per scheme and budget year, the commands on a ledger, a bank statement read in, and the payment batches.

The ledger's commands go to the service directly, not through the grant's workflow (adapters/operators/
money_commands.py); the domain decides (four eyes on bank data and payments, a payment volmacht, Awb 4:56, set-off):
a refusal prints its rule, its source and what to do, with exit code 3 (`transition_refused`); --json prints the
error object and the exit codes are those of adapters/operators/error_table.py. Who acts: --actor, else STO_ACTOR,
else the OS user. Account numbers are shown masked, always.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from pydantic import ValidationError
from rich.table import Table

from adapters.cli.context import STATE
from adapters.cli.output import console, fail, print_json, shown
from adapters.cli.reads import READ_ERRORS, JsonFlag, open_read_models
from adapters.engine.business_clock import clock_from_env, future_margin_from_env, parse_business_time
from adapters.engine.sender import default_actor_name
from adapters.operators.money_commands import ACTIONS, execute
from adapters.read_side.money_view import batches_view, grant_money, listed_grants, money_summary
from adapters.read_side.paging import MAX_PAGE_SIZE, GrantFilter
from adapters.read_side.presenters import money
from domain.commands import Actor
from domain.errors import DomainError
from domain.values import Role

app = typer.Typer(help="The money of the grants: show, summary, the account, release, suspend, resume, set-off, bank "
                       "statements and the payment batches.", no_args_is_help=True)

Region = Annotated[str, typer.Argument(help="region code, e.g. STO-R001")]
Scheme = Annotated[Optional[str], typer.Option("--scheme", help="the grant's scheme, e.g. sto-2025-2028 (default: the region's grant)")]
AsOf = Annotated[Optional[dt.datetime], typer.Option("--as-of", formats=["%Y-%m-%d"], help="as it stood at the end of this day (default: as it stands, ages counted today)")]
Reason = Annotated[str, typer.Option("--reason", help="why: it goes into every event this causes")]
ActorOption = Annotated[Optional[str], typer.Option("--actor", help="who acts (default: STO_ACTOR, else the OS user)")]
EffectiveAt = Annotated[Optional[str], typer.Option("--effective-at", help="business time it takes effect, ISO (Amsterdam time without an offset); default: the business clock's now")]
CommandId = Annotated[Optional[uuid.UUID], typer.Option("--command-id", help="the command's id (default: a new one)")]


def _days(as_of: dt.datetime | None) -> tuple[dt.date, bool]:
    return (as_of.date(), True) if as_of else (STATE.today(), False)


@app.command("show")
def show(region: Region, scheme: Scheme = None, as_of: AsOf = None, as_json: JsonFlag = False) -> None:
    """One grant's money: commitments per budget year; the instalments (due day, amount, status, releasers, batch,
    end-to-end id); the account (masked); a suspension; the settlement; the claims with their term, default,
    aanmaning, interest, dwangbevel due and what is outstanding."""
    day, replay = _days(as_of)
    try:
        view = grant_money(STATE.service, region.upper(), scheme, day, as_of_day=replay)
    except READ_ERRORS as error:
        fail(error, as_json)
    if as_json:
        print_json(view)
        return
    print_grant(view)


def print_grant(view: dict[str, Any]) -> None:
    t = view["totals"]
    console.print(f"[bold]{view['region_code']}[/] ({view['scheme']}), money as of {view['as_of']}")
    if not view["has_ledger"]:
        console.print("no money ledger: nothing granted since the ledger exists (a grant holds one from its verlening)")
        return
    console.print(f"committed {money(t['committed_cents'])}; to pay {money(t['scheduled_cents'])}, handed over "
                  f"{money(t['instructed_cents'])}, paid {money(t['paid_cents'])}; claimed {money(t['claimed_cents'])}, "
                  f"received {money(t['received_cents'])}, outstanding {money(t['outstanding_cents'])}")
    years = Table(title="per budget year")
    for col in ("year", "committed", "to pay", "handed over", "paid"):
        years.add_column(col, justify="right")
    for y in view["years"]:
        years.add_row(str(y["year"]), money(y["committed_cents"]), money(y["scheduled_cents"]),
                      money(y["instructed_cents"]), money(y["paid_cents"]))
    console.print(years)
    lines = Table(title="instalments")
    for col in ("#", "due", "EUR", "status (batch)", "released by", "end-to-end id"):
        lines.add_column(col, overflow="fold", justify="right" if col == "EUR" else "left",
                         no_wrap=col in ("due", "EUR"))
    for i in view["instalments"]:
        status = i["status"] + (" (final)" if i["final"] else "") + (f" {i['paid_on']}" if i["paid_on"] else "")
        status += f" (batch {i['batch']})" if i["batch"] else ""
        if i["set_off_cents"]:
            status += f", {money(i['set_off_cents'])} set off"
        lines.add_row(str(i["number"]), i["due"], money(i["amount_cents"]).removeprefix("EUR "), status,
                      shown("\n".join(i["releasers"])), i["end_to_end_id"])
    console.print(lines)
    account = view["account"]
    if account is None:
        console.print("account: none recorded (`sto money account REGION IBAN HOLDER`)")
    else:
        confirmed = (f"confirmed by {shown(account['confirmed_by'])}" if account["confirmed"]
                     else "[yellow]not confirmed[/]: another person with the role interne_controle confirms it")
        console.print(f"account: {account['iban']} ({shown(account['holder'])}), recorded by "
                      f"{shown(account['recorded_by'])}, {confirmed}")
    suspension = view["suspension"]
    if suspension is not None:
        state = "[red]suspended[/]" if suspension["in_force"] else "suspension over"
        console.print(f"payments {state}: notice of {suspension['notice_on']}, ends at the latest on "
                      f"{suspension['ends_at_latest']} (Awb 4:56)")
    settlement = view["settlement"]
    if settlement is not None:
        console.print(f"settled on {settlement['on']} (besluit {settlement['besluit']}): determined "
                      f"{money(settlement['determined_cents'])}, paid {money(settlement['paid_cents'])}, difference "
                      f"{money(settlement['difference_cents'])}")
    for c in view["claims"]:
        console.print(f"claim [bold]{c['number']}[/]: {money(c['amount_cents'])}, established {c['established_on']}, to "
                      f"pay by {c['term_ends']} ({shown(c['basis'])})")
        steps = [f"in default since {c['in_default_since']}" if c["in_default_since"] else "not in default",
                 f"aanmaning sent {c['aanmaning_sent_on']}, to pay by {c['aanmaning_term_ends']}" if c["aanmaning_sent_on"] else "",
                 f"interest {money(c['interest_cents'])}" if c["interest_cents"] else "",
                 f"[red]dwangbevel due since {c['dwangbevel_due_on']}[/]" if c["dwangbevel_due_on"] else ""]
        console.print("  " + "; ".join(step for step in steps if step))
        paid = ", ".join(part for part in (f"received {money(c['received_cents'])}" if c["received_cents"] else "",
                                           f"set off {money(c['set_off_cents'])}" if c["set_off_cents"] else "") if part)
        console.print(f"  outstanding {money(c['outstanding_cents'])}" + (f" ({paid})" if paid else "")
                      + (f", {c['days_past_term']} days past the term" if c["days_past_term"] else "")
                      + (" [yellow]lapsed (Awb 4:104)[/]" if c["lapsed"] else f"; lapses on {c['lapses_on']}"))
    if view["unsettled_advances_cents"]:
        console.print(f"[yellow]advances paid more than a year ago, not yet settled: "
                      f"{money(view['unsettled_advances_cents'])}[/]")


@app.command("summary")
def summary(scheme: Scheme = None, as_of: AsOf = None, as_json: JsonFlag = False) -> None:
    """The money of every grant per scheme and budget year: committed, paid, to be settled; per scheme reclaimed,
    received and outstanding; the advances older than a year not settled; the claims outstanding and their age."""
    day, replay = _days(as_of)
    try:
        models = open_read_models()
        wanted = GrantFilter(scheme=scheme)
        grants = listed_grants(lambda after: models.regions(wanted=wanted, day=day, size=MAX_PAGE_SIZE, after=after))
        view = money_summary(STATE.service, grants, day, as_of_day=replay)
    except READ_ERRORS as error:
        fail(error, as_json)
    if as_json:
        print_json(view)
        return
    for row in view["schemes"]:
        t = row["totals"]
        table = Table(title=f"{row['scheme']}: {row['ledgers']} of {row['grants']} grants hold a ledger")
        for col in ("year", "committed", "handed over", "paid", "to be settled"):
            table.add_column(col, justify="right")
        for y in row["years"]:
            table.add_row(str(y["year"]), money(y["committed_cents"]), money(y["instructed_cents"]),
                          money(y["paid_cents"]), money(y["to_be_settled_cents"]))
        table.add_row("total", money(t["committed_cents"]), money(t["instructed_cents"]), money(t["paid_cents"]),
                      money(row["to_be_settled_cents"]), style="bold")
        console.print(table)
        console.print(f"  reclaimed {money(t['claimed_cents'])} (interest {money(t['interest_cents'])}), received "
                      f"{money(t['received_cents'])}, set off {money(t['claims_set_off_cents'])}, outstanding "
                      f"{money(t['outstanding_cents'])}" + (f", lapsed {money(t['lapsed_cents'])}" if t["lapsed_cents"] else ""))
    if not view["schemes"]:
        console.print("no grants yet")
    console.print(f"advances paid more than a year ago on grants not settled: {money(view['unsettled_advances_cents'])}"
                  + "".join(f"\n  {u['region_code']} ({u['scheme']}): {money(u['cents'])}" for u in view["unsettled_advances"]))
    if view["open_claims"]:
        claims = Table(title=f"claims outstanding as of {view['as_of']}")
        for col in ("claim", "region", "outstanding", "term ends", "days past term", "default", "dwangbevel due"):
            claims.add_column(col, overflow="fold")
        for c in view["open_claims"]:
            claims.add_row(c["number"], c["region_code"], money(c["outstanding_cents"]), c["term_ends"],
                           str(c["days_past_term"]), "yes" if c["in_default"] else "", "yes" if c["dwangbevel_due"] else "")
        console.print(claims)


# --- the ledger's commands -----------------------------------------------------------------------------------------

def _act(name: str, region: str, fields: dict[str, Any], *, reason: str, actor: str | None, effective_at: str | None,
         command_id: uuid.UUID | None, scheme: str | None, as_json: bool) -> None:
    action = ACTIONS[name]
    try:
        data = {**fields, "reason": reason}
        if effective_at:
            data["effective_at"] = parse_business_time(effective_at, "--effective-at")
        if command_id is not None:
            data["command_id"] = command_id
        command = action.build(region.upper(), Actor(name=actor or default_actor_name(), role=Role.OPERATOR), data, scheme)
        answer = execute(STATE.service, command, clock_from_env(), future_margin_from_env())
        view = grant_money(STATE.service, answer["region_code"], answer["scheme"], STATE.today())
    except (DomainError, ValidationError, ValueError) as error:
        fail(error, as_json)
    if as_json:
        print_json({**answer, "money": view})
        return
    console.print(f"{answer['region_code']} ({answer['scheme']}): {answer['command_type']} recorded "
                  f"{', '.join(answer['events']) or 'nothing'}")
    if "against" in answer:
        console.print(f"  and on its grant in {answer['against']['scheme']}: {', '.join(answer['against']['events'])}")
    if name == "release":
        line = next(i for i in view["instalments"] if i["number"] == fields["number"])
        more = ("a second betaalfiatteur releases it" if len(line["releasers"]) < 2
                else f"it goes out in the payment run on or after {line['due']}")
        console.print(f"  instalment {line['number']} ({money(line['amount_cents'])}, due {line['due']}): {line['status']}, "
                      f"released by {shown(', '.join(line['releasers']))}; {more}")
    elif view["account"] is not None and name in ("account", "confirm-account"):
        a = view["account"]
        console.print(f"  account {a['iban']} ({shown(a['holder'])}): " + (
            f"confirmed by {shown(a['confirmed_by'])}" if a["confirmed"] else "another person with the role interne_controle confirms it"))
    elif name == "suspend" and view["suspension"] is not None:
        s = view["suspension"]
        console.print(f"  payments suspended from the notice of {s['notice_on']} until the decision, at the latest until "
                      f"{s['ends_at_latest']} (Awb 4:56)")
    elif name == "resume":
        console.print("  payments go on: released instalments go out in the next payment run")


@app.command("account")
def account(region: Region, iban: Annotated[str, typer.Argument(help="the account's IBAN (spaces allowed)")],
            holder: Annotated[str, typer.Argument(help="the account holder's name")], reason: Reason,
            actor: ActorOption = None, effective_at: EffectiveAt = None, command_id: CommandId = None,
            scheme: Scheme = None, as_json: JsonFlag = False) -> None:
    """Record the account the region is paid on (checked: format and check digits); another person confirms it."""
    _act("account", region, {"iban": iban, "holder": holder}, reason=reason, actor=actor, effective_at=effective_at,
         command_id=command_id, scheme=scheme, as_json=as_json)


@app.command("confirm-account")
def confirm_account(region: Region, reason: Reason, actor: ActorOption = None, effective_at: EffectiveAt = None,
                    command_id: CommandId = None, scheme: Scheme = None, as_json: JsonFlag = False) -> None:
    """Confirm the account recorded (interne_controle; not who recorded it)."""
    _act("confirm-account", region, {}, reason=reason, actor=actor, effective_at=effective_at, command_id=command_id,
         scheme=scheme, as_json=as_json)


@app.command("release")
def release(region: Region, number: Annotated[int, typer.Argument(help="the instalment's number (`sto money show`)")],
            reason: Reason, actor: ActorOption = None, effective_at: EffectiveAt = None, command_id: CommandId = None,
            scheme: Scheme = None, as_json: JsonFlag = False) -> None:
    """Release an instalment for payment: it goes out after two different betaalfiatteurs did."""
    _act("release", region, {"number": number}, reason=reason, actor=actor, effective_at=effective_at,
         command_id=command_id, scheme=scheme, as_json=as_json)


@app.command("suspend")
def suspend(region: Region, notice_on: Annotated[dt.datetime, typer.Option("--notice-on", formats=["%Y-%m-%d"], help="the day of the written notice (Awb 4:56)")],
            reason: Reason, actor: ActorOption = None, effective_at: EffectiveAt = None, command_id: CommandId = None,
            scheme: Scheme = None, as_json: JsonFlag = False) -> None:
    """Suspend the grant's payments from the written notice of a serious suspicion, 13 weeks at most (Awb 4:56)."""
    _act("suspend", region, {"notice_on": notice_on.date()}, reason=reason, actor=actor, effective_at=effective_at,
         command_id=command_id, scheme=scheme, as_json=as_json)


@app.command("resume")
def resume(region: Region, reason: Reason, actor: ActorOption = None, effective_at: EffectiveAt = None,
           command_id: CommandId = None, scheme: Scheme = None, as_json: JsonFlag = False) -> None:
    """Resume the grant's payments: the decision on the suspicion is made known."""
    _act("resume", region, {}, reason=reason, actor=actor, effective_at=effective_at, command_id=command_id,
         scheme=scheme, as_json=as_json)


@app.command("set-off")
def set_off(region: Region, claim: Annotated[str, typer.Argument(help="the claim's number, e.g. VORD-STO-R001-2020-05")],
            against_scheme: Annotated[str, typer.Option("--against-scheme", help="the scheme of the region's other grant, e.g. sto-2025-2028")],
            instalment: Annotated[int, typer.Option("--instalment", help="the number of its instalment not yet handed over")],
            reason: Reason, actor: ActorOption = None, effective_at: EffectiveAt = None, command_id: CommandId = None,
            as_json: JsonFlag = False) -> None:
    """Set a claim off against an advance of the region's grant in another scheme, by besluit (Awb 4:57 lid 3, 4:93)."""
    _act("set-off", region, {"claim": claim, "against_scheme": against_scheme, "against_instalment": instalment},
         reason=reason, actor=actor, effective_at=effective_at, command_id=command_id, scheme=None, as_json=as_json)


@app.command("import-statement")
def import_statement(file: Annotated[Path, typer.Argument(help="a camt.053 statement (.001.02 or .001.08)")],
                     account: Annotated[Optional[str], typer.Option("--account", help="the IBAN the statement must be of (default: STO_FINANCE_DEBTOR_IBAN; unchecked when neither is given)")] = None,
                     as_json: JsonFlag = False) -> None:
    """Read a camt.053 bank statement into the ledgers (adapters/finance/statements.py): instalments paid or
    returned (by end-to-end id), repayments of claims (by claim number). Reading it again records nothing new; what
    matches nothing is listed; another account's statement is refused before anything is recorded."""
    from adapters.finance.statements import reconcile_statement

    try:
        found = reconcile_statement(STATE.service, file, clock_from_env().now(), account=account)
    except (DomainError, ValueError) as error:
        fail(error, as_json)
    if as_json:
        print_json({"file": found.file, "statements": found.statements, "entries": found.entries,
                    "not_booked": found.not_booked, "paid": found.paid, "returned": found.returned,
                    "repaid": found.repaid, "unmatched": found.unmatched})
        return
    for line in found.lines():
        console.print(shown(line))


@app.command("batches")
def batches(as_json: JsonFlag = False) -> None:
    """The payment batches, oldest first: their day, instructions and total, and the files they were handed over in."""
    try:
        found = batches_view(STATE.service)
    except READ_ERRORS as error:
        fail(error, as_json)
    if as_json:
        print_json({"batches": found})
        return
    table = Table(title=f"payment batches ({len(found)})")
    for col in ("batch", "day", "instructions", "total", "grants", "files handed over"):
        table.add_column(col, overflow="fold")
    for b in found:
        files = "\n".join(f"{f['format']}: {f['filename']} (sha256 {f['sha256'][:12]}…)" for f in b["files"]) or "not yet"
        table.add_row(str(b["number"]), b["execution_date"], str(b["instructions"]), money(b["total_cents"]),
                      str(len(b["grants"])), shown(files))
    console.print(table)
