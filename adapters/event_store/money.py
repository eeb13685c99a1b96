"""The grants service's money: the ledger that follows each besluit (saved with it, in one transaction), the
commands on a ledger, the payment run and the reconciliation of bank statements. The rules are the domain's
(domain/ledger/); this module loads, decides and saves."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.authority.register import SHIPPED
from domain.decide import Context, Decision
from domain.errors import CommandIdReused, ConcurrencyConflict, GrantNotFound, TransitionRefused
from domain.idempotency import fingerprint
from domain.grant import Grant
from domain.ledger import commands as lc
from domain.ledger.aggregate import Ledger, ledger_id
from domain.ledger.claims import claim_steps, interest_on_payment
from domain.ledger.follow import claim_named_in, follow
from domain.ledger.notices import claim_notices
from domain.ledger.release import decide_ledger
from domain.ledger.setoff import decide_set_off
from domain.ledger.run import BOOK_ID, batch_id, PaymentBatch, PaymentBook, Skipped, instruction, payable
from domain.timekeeping import local_date

# the grants service (adapters/event_store/service.py), which imports this module: named, not imported
GrantService = Any

ENGINE = "sto-engine"
RETRIES = 5


def ledger_of(service: GrantService, grant_id: uuid.UUID) -> Ledger | None:
    try:
        return service.repository.get(ledger_id(grant_id))
    except AggregateNotFoundError:
        return None


def paid_for(ledger: Ledger | None) -> int | None:
    """What a vaststelling sets off as paid: the ledger's, or None for a grant whose advances it never held."""
    return ledger.paid_cents() if ledger is not None and ledger.instalments else None


def follow_decision(service: GrantService, grant: Grant, ledger: Ledger | None, decision: Decision, ctx: Context,
                    common: dict[str, Any]) -> list[Any]:
    """The ledger with what the grant's new events mean for the money, and the payment book when a claim opened
    (nothing: nothing to record)."""
    names = [cls.__name__ for cls, _ in decision.events]
    common = {**common, "command": None}  # the grant's own receipt answers a retry of the grant's command
    money = {"GrantApproved", "AdvancesScheduled", "ExtensionGranted", "GrantDetermined", "GrantWithdrawn", "ObjectionDecided",
             "GrantLowered"}
    if not money & set(names):
        return []
    if ledger is None:
        if "AdvancesScheduled" not in names and "GrantApproved" not in names:
            return []  # a grant whose verlening predates the ledger: its money was kept outside the engine
        ledger = Ledger.open(grant.id, grant.state.region_code, grant.state.scheme, **common)
    follow(ledger, grant.state, names, common, ctx.paid_cents)
    if not ledger.pending_events:
        return []
    opened = [e for e in ledger.pending_events if isinstance(e, Ledger.ClaimEstablished)]
    if not opened:
        return [ledger]
    book = book_of(service)
    for event in opened:
        book.trigger_event(PaymentBook.ClaimOpened, number=event.number, ledger=ledger.id)
    return [ledger, book]


def _common(actor: str, reason: str, effective_at: dt.datetime, command: lc.LedgerCommand | None = None) -> dict[str, Any]:
    """What every ledger event carries besides its own fields; a person's command is named by id and fingerprint, so a
    retry of it is answered without writing again (the engine's own steps are idempotent by their state)."""
    named = f"{command.command_id}:{fingerprint(command)}" if command is not None else None
    return {"actor": actor, "reason": reason, "effective_at": effective_at, "command": named}


def _repeated(ledger: Ledger, command: lc.LedgerCommand) -> bool:
    """True when the ledger recorded this very command (a retry); CommandIdReused when its id names another."""
    seen = getattr(ledger, "commands", {}).get(str(command.command_id))
    if seen is None:
        return False
    if seen != fingerprint(command):
        raise CommandIdReused(str(command.command_id), "another ledger command", command.name)
    return True


def execute_ledger(service: GrantService, command: lc.LedgerCommand) -> Ledger:
    """Run a command on a grant's ledger; TransitionRefused writes nothing. A second release queues the instalment
    in the payment book, in the same transaction."""
    moment = command.effective_at or service.clock()
    scheme = service.scheme_of(command.region_code, command.scheme, day=local_date(moment))
    for _ in range(RETRIES):
        grant = service._find(command.region_code, scheme)
        if grant is None:
            raise GrantNotFound(command.region_code)
        ledger = ledger_of(service, grant.id)
        if ledger is None:
            raise GrantNotFound(command.region_code, hint="the grant has no money ledger: it has no verlening recorded since the ledger exists")
        if _repeated(ledger, command):
            return ledger
        events, basis = decide_ledger(ledger, grant.state, command, SHIPPED, moment)
        for cls, fields in events:
            ledger.trigger_event(cls, **_common(command.actor.name, command.reason, moment, command), legal_basis=basis, **fields)
        book = _queue(service, ledger, command)
        try:
            service.save(ledger, *([book] if book else []))
            return ledger
        except IntegrityError:
            continue
    raise ConcurrencyConflict(command.region_code, None, None)


def book_of(service: GrantService) -> PaymentBook:
    try:
        return service.repository.get(BOOK_ID)
    except AggregateNotFoundError:
        return PaymentBook.open()


def _queue(service: GrantService, ledger: Ledger, command: lc.LedgerCommand) -> PaymentBook | None:
    """The payment book with every instalment the command released for the second time queued; None if none."""
    numbers = [command.number] if isinstance(command, lc.ReleaseInstalment) else \
        list(command.numbers) if isinstance(command, lc.ReleaseInstalments) else []
    lines = [ledger.instalments[n] for n in numbers if ledger.instalments[n].status == "released"]
    if not lines:
        return None
    book = book_of(service)
    for line in lines:
        book.trigger_event(PaymentBook.Queued, ledger=ledger.id, grant_code=ledger.grant_code, number=line.number, due=line.due)
    return book


@dataclass
class RunResult:
    batch: PaymentBatch | None
    skipped: list[Skipped] = field(default_factory=list)


def run_payments(service: GrantService, day: dt.date, moment: dt.datetime) -> RunResult:
    """One payment run on `day`: every released, due, payable instalment in one new batch, exactly once."""
    for _ in range(RETRIES):
        book = book_of(service)
        ledgers: dict[str, Ledger] = {}
        items, skipped, dropped = [], [], []
        for queued in book.due(day):
            key = str(queued["ledger"])
            ledger = ledgers.get(key) or service.repository.get(queued["ledger"])
            ledgers[key] = ledger
            _end_suspension(ledger, day, moment)
            why = payable(ledger, queued["number"], day)
            if why is None:
                items.append((ledger, queued["number"]))
            elif why.startswith("dropped"):
                dropped.append(f"{key}:{queued['number']}")
            else:
                skipped.append(Skipped(ledger.grant_code, queued["number"], why))
        if dropped:
            book.trigger_event(PaymentBook.Dropped, keys=dropped, why="cancelled or returned since it was released")
        batch = None
        if items:
            number = book.batches + 1
            instructions = [instruction(ledger, n) for ledger, n in items]
            batch = PaymentBatch.create(number, day, instructions, ENGINE, moment)
            for ledger, n in items:
                ledger.trigger_event(Ledger.InstalmentInstructed, number=n, batch=number, execution_date=day,
                                     **_common(ENGINE, f"betaalrun {day.isoformat()}", moment),
                                     legal_basis="Awb art. 4:52 en 4:95; betaalopdracht aan het financieel dienstencentrum")
            book.trigger_event(PaymentBook.BatchCreated, batch=number, keys=[f"{l.id}:{n}" for l, n in items])
        changed = [a for a in (book, batch, *ledgers.values()) if a is not None and a.pending_events]
        if not changed:
            return RunResult(None, skipped)
        try:
            service.save(*changed)
            return RunResult(batch, skipped)
        except IntegrityError:
            continue  # another run or release was first: read the book again
    raise ConcurrencyConflict("payment-book", None, None)


def _end_suspension(ledger: Ledger, day: dt.date, moment: dt.datetime) -> None:
    """Awb 4:56: a suspension ends at the latest 13 weeks after the notice; the run is the timer that ends it."""
    if ledger.suspension is not None and day >= ledger.suspension["ends_at_latest"]:
        ledger.trigger_event(Ledger.PaymentsResumed, **_common(ENGINE, "13 weken na de mededeling verstreken", moment),
                             legal_basis="Algemene wet bestuursrecht art. 4:56 (ten hoogste 13 weken)")


def batches(service: GrantService) -> Iterable[PaymentBatch]:
    book = book_of(service)
    for number in range(1, book.batches + 1):
        yield service.repository.get(batch_id(number))


def run_claims(service: GrantService, day: dt.date, moment: dt.datetime) -> list[tuple[str, str]]:
    """What `day` brings for every open claim (default, aanmaning, dwangbevel due, lapse: domain/ledger/claims.py);
    the (claim, event) pairs recorded."""
    recorded: list[tuple[str, str]] = []
    for number, lid in sorted(book_of(service).claims.items()):
        for _ in range(RETRIES):
            ledger: Ledger = service.repository.get(lid)
            steps = claim_steps(ledger.claims[number], day)
            for cls, fields in steps:
                ledger.trigger_event(cls, **_common(ENGINE, f"vordering {number} op {day.isoformat()}", moment), **fields)
            if not steps:
                break
            try:
                service.save(ledger)
                recorded += [(number, cls.__name__) for cls, _ in steps]
                break
            except IntegrityError:
                continue
    return recorded


@dataclass
class Reconciled:
    paid: list[str] = field(default_factory=list)  # end-to-end ids
    returned: list[str] = field(default_factory=list)
    repaid: list[str] = field(default_factory=list)  # claim numbers
    unmatched: list[str] = field(default_factory=list)  # what an operator must look at, in words


def reconcile(service: GrantService, entries: Iterable[Any], moment: dt.datetime) -> Reconciled:
    """Match a bank statement's entries (adapters/finance/camt053.StatementEntry) with the ledgers: an outgoing
    transfer by its end-to-end id (paid, or returned), an incoming repayment by the claim number in its remittance.
    Matching is idempotent: an entry already recorded (same bank reference) is passed over. What the statement says
    is saved in one transaction, each ledger once (a statement of a run of 10,000 transfers is one write, not
    10,000); when another writer was first, the statement is matched again from the ledgers as they are then."""
    entries = list(entries)
    by_e2e: dict[str, tuple[uuid.UUID, int]] = {}
    for batch in batches(service):
        for item in batch.instructions:
            by_e2e[item["end_to_end_id"]] = (uuid.UUID(item["ledger"]), int(item["number"]))
    for _ in range(RETRIES):
        book = book_of(service)
        result = Reconciled()
        ledgers: dict[uuid.UUID, Ledger] = {}

        def get(lid: uuid.UUID) -> Ledger:
            if lid not in ledgers:
                ledgers[lid] = service.repository.get(lid)
            return ledgers[lid]

        for entry in entries:
            if entry.status != "BOOK":
                continue
            if entry.returned or entry.direction.name == "DEBIT":
                _outgoing(get, entry, by_e2e, moment, result)
            else:
                _incoming(get, entry, book, moment, result)
        changed = [ledger for ledger in ledgers.values() if ledger.pending_events]
        if not changed:
            return result
        try:
            service.save(*changed)
            return result
        except IntegrityError:
            continue
    raise ConcurrencyConflict("bank statement", None, None)


def _outgoing(get: Any, entry: Any, by_e2e: dict, moment: dt.datetime, result: Reconciled) -> None:
    e2e = entry.end_to_end_id
    if e2e not in by_e2e:
        result.unmatched.append(f"{entry.bank_reference or '?'}: no instruction with end-to-end id {e2e!r}")
        return
    lid, number = by_e2e[e2e]
    ledger: Ledger = get(lid)
    line = ledger.instalments[number]
    common = _common(ENGINE, f"bankafschrift {entry.bank_reference or ''}".strip(), moment)
    booked = entry.booking_date or local_date(moment)
    if entry.returned:
        if line.status not in ("instructed", "paid"):  # a return may come after the debit was booked
            result.unmatched.append(f"{entry.bank_reference or '?'}: a return of {e2e}, which is {line.status}")
            return
        ledger.trigger_event(Ledger.InstalmentReturned, number=number, booked_on=booked, return_reason=entry.return_reason or "",
                             legal_basis="Awb art. 4:89 lid 3: betaald is wat de rekening van de schuldeiser crediteert", **common)
        result.returned.append(e2e)
    else:
        if line.status != "instructed":
            return
        ledger.trigger_event(Ledger.InstalmentPaid, number=number, booked_on=booked, bank_reference=entry.bank_reference or "",
                             legal_basis="Awb art. 4:89 lid 3 (de betaling is verricht)", **common)
        result.paid.append(e2e)


def _incoming(get: Any, entry: Any, book: PaymentBook, moment: dt.datetime, result: Reconciled) -> None:
    text = " ".join(filter(None, [entry.remittance, entry.creditor_reference]))
    number = claim_named_in(text, book.claims)
    if number is None:
        result.unmatched.append(f"{entry.bank_reference or '?'}: a receipt of {entry.amount_cents} cents names no claim number, "
                                "or more than one")
        return
    ledger: Ledger = get(book.claims[number])
    if any(e for e in ledger.receipts if e == entry.bank_reference):
        return
    booked = entry.booking_date or local_date(moment)
    common = _common(ENGINE, f"bankafschrift {entry.bank_reference or ''}".strip(), moment)
    ledger.trigger_event(Ledger.RepaymentReceived, number=number, amount_cents=entry.amount_cents, booked_on=booked,
                         bank_reference=entry.bank_reference or "", legal_basis="Awb art. 4:89 en 4:92 (toerekening)", **common)
    step = interest_on_payment(ledger.claims[number], booked)
    if step is not None:
        cls, fields = step
        ledger.trigger_event(cls, **common, **fields)
    result.repaid.append(number)


def set_off(service: GrantService, command: lc.SetOffClaim) -> tuple[Ledger, Ledger]:
    """A claim of one grant set off against an advance of the region's grant in another scheme (domain/ledger/setoff.py);
    both ledgers saved in one transaction."""
    moment = command.effective_at or service.clock()
    day = local_date(moment)
    for _ in range(RETRIES):
        lid = book_of(service).claims.get(command.claim)  # the claim names its grant
        if lid is None:
            raise TransitionRefused("money.no_such_claim", f"no claim {command.claim} is known", "Algemene wet bestuursrecht "
                                    "art. 4:57 lid 3 en 4:93", hint="`sto money show REGION` lists a grant's claims")
        claim_ledger: Ledger | None = service.repository.get(lid)
        other_grant = service._find(command.region_code, command.against_scheme)
        grant = service._find(claim_ledger.grant_code, claim_ledger.scheme) if claim_ledger is not None else None
        if grant is None or other_grant is None or grant.state.region_code != command.region_code:
            raise GrantNotFound(command.region_code, hint=f"the claim {command.claim} and the grant in {command.against_scheme} "
                                "must both be the region's")
        other = ledger_of(service, other_grant.id)
        if other is None:
            raise GrantNotFound(command.region_code, hint="the grant to set off against has no money ledger")
        if _repeated(claim_ledger, command):
            return claim_ledger, other
        mine, theirs = decide_set_off(claim_ledger, grant.state, other, other_grant.state, service.regulation(command.against_scheme),
                                      command, SHIPPED, moment)
        common = _common(command.actor.name, command.reason, moment, command)
        for ledger, events in ((claim_ledger, mine), (other, theirs)):
            for cls, fields in events:
                ledger.trigger_event(cls, **common, **fields)
        try:
            service.save(claim_ledger, other)
            return claim_ledger, other
        except IntegrityError:
            continue
    raise ConcurrencyConflict(command.region_code, None, None)


def claim_mail(service: GrantService, day: dt.date) -> list[Any]:
    """The mails `day` brings for every open claim (domain/ledger/notices.py): deliver each with
    `service.deliver_notification`, which sends a key once."""
    found = []
    for lid in sorted(set(book_of(service).claims.values()), key=str):
        ledger: Ledger = service.repository.get(lid)
        state = service.state(ledger.grant_code, scheme=ledger.scheme)
        found += claim_notices(ledger, state, day)
    return found
