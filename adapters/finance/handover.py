"""Handing payment batches to the finance system: each batch's files written once into the finance outbox, each
export recorded in the store.

For every PaymentBatch (domain/ledger/run.py) that lacks a file, its two files are made from the batch's own
instructions, as the batch recorded them:
- `sto-batch-NNNNNN.pain001.xml`: ISO 20022 pain.001.001.09 (adapters/finance/pain001.py, checked against the XSD),
  message id `STO-BATCH-NNNNNN`, created at the batch's business time, paid from the account of the settings
  (adapters/finance/settings.py: STO_FINANCE_DEBTOR_*);
- `sto-batch-NNNNNN.fdc.csv`: the financial service centre's CSV (adapters/finance/fdc_csv.py).
The same batch gives the same bytes, every time (nothing reads a clock): a file made again is the same file, with
the same message id, which a bank's duplicate check refuses a second time.

Each file is recorded as `PaymentBatch.HandedOver` (format, file name, sha256): every export of bank data is in the
store, with when it was recorded. Exactly once, also when the process dies at any point:
- a file is written as `.NAME.partial` (fsynced), then `.handed-over/NAME.sha256` is written (the mark that the file
  is about to be delivered), then the file is renamed into place and the directory fsynced: the finance system never
  sees half a file, and a dot-file is none of its business;
- on the next attempt a batch whose file is recorded is passed over; a file in place with the same bytes is not
  written again, only recorded; a file gone from the outbox while its mark is there and no `.partial` is left was
  delivered and taken by the finance system: it is recorded, never written a second time. A file in the way with
  other bytes is a problem for an operator (reported, nothing overwritten);
- one handover at a time per outbox (an exclusive lock on `.handed-over/lock`).

The outbox: `STO_FINANCE_OUTBOX` (default `var/finance-outbox`, beside the mail outbox `var/outbox`), made when
missing; files readable by the owner and its group only (bank data). A batch whose files cannot be made (an
instruction the SEPA rules refuse) is reported in `problems`, every run, and the other batches go on.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from adapters.finance import xsd
from adapters.finance.fdc_csv import write_fdc_csv
from adapters.finance.instructions import BatchHeader, DebtorAccount, PaymentInstruction
from adapters.finance.pain001 import write_pain001
from adapters.finance.settings import debtor_from_env
from adapters.logging import get_logger
from domain.errors import InvalidInput
from domain.ledger.run import PaymentBatch, batch_id
from domain.timekeeping import AMSTERDAM

log = get_logger(__name__)

OUTBOX_SETTING = "STO_FINANCE_OUTBOX"
DEFAULT_OUTBOX = Path("var") / "finance-outbox"
MARKS = ".handed-over"
PAIN = xsd.PAIN_001_001_09
CSV = "fdc-csv"
FORMATS = (PAIN, CSV)
SUFFIX = {PAIN: "pain001.xml", CSV: "fdc.csv"}
FILE_MODE = 0o640
RETRIES = 5


class HandoverProblem(Exception):
    """A batch cannot be handed over without an operator (a file in the way, an instruction the bank refuses)."""


@dataclass(frozen=True)
class Delivered:
    batch: int
    format: str
    filename: str
    sha256: str
    written: bool  # False: in place (or taken by the finance system) since an attempt that died


@dataclass
class Handover:
    delivered: list[Delivered] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    through: int = 0  # every batch up to this number has all its files recorded


def outbox_from_env(given: str | os.PathLike | None = None) -> Path:
    """The finance outbox: `given`, else STO_FINANCE_OUTBOX, else var/finance-outbox."""
    text = str(given) if given else os.environ.get(OUTBOX_SETTING, "").strip()
    return Path(text).expanduser() if text else DEFAULT_OUTBOX


def message_id(number: int) -> str:
    return f"STO-BATCH-{number:06d}"


def filename(number: int, format: str) -> str:
    return f"sto-batch-{number:06d}.{SUFFIX[format]}"


def instructions_of(batch: PaymentBatch) -> list[PaymentInstruction]:
    """The batch's instructions as the finance files carry them (each checked against the SEPA rules)."""
    return [PaymentInstruction(instruction_id=i["instruction_id"], end_to_end_id=i["end_to_end_id"],
                               amount_cents=int(i["amount_cents"]), creditor_name=i["creditor_name"],
                               creditor_iban=i["creditor_iban"], remittance=i["remittance"],
                               execution_date=batch.execution_date)
            for i in batch.instructions]


def batch_files(batch: PaymentBatch, debtor: DebtorAccount) -> dict[str, bytes]:
    """The batch's files by format: the same bytes for the same batch and debtor, every time."""
    instructions = instructions_of(batch)
    header = BatchHeader(message_id(batch.number), batch.effective_at.astimezone(AMSTERDAM), debtor)
    return {PAIN: write_pain001(header, instructions), CSV: write_fdc_csv(instructions)}


def batches_after(service, after: int = 0) -> Iterator[PaymentBatch]:
    """Every batch numbered above `after`, oldest first. Batches are numbered 1, 2, ... without gaps (each is made in
    the transaction that counts it in the payment book), so they are read by their ids until one is missing: the
    payment book itself, which grows with every instalment queued, is not read."""
    number = after + 1
    while True:
        try:
            yield service.repository.get(batch_id(number))
        except AggregateNotFoundError:
            return
        number += 1


def missing(batch: PaymentBatch) -> list[str]:
    """The formats of the batch's files not yet recorded as handed over."""
    return [f for f in FORMATS if f not in batch.files]


def pending(service, after: int = 0) -> list[PaymentBatch]:
    """Every batch (numbered above `after`) with a file not yet handed over, oldest first."""
    return [batch for batch in batches_after(service, after) if missing(batch)]


def hand_over(service, outbox: Path, debtor: DebtorAccount | None = None, *, after: int = 0,
              pause: Callable[[str], None] = lambda where: None) -> Handover:
    """Write and record the files of every batch (numbered above `after`: those up to it are known to be handed over)
    that lacks one. The debtor is read from the settings (InvalidInput naming the setting) only when a batch is
    waiting. `pause` is a hook for the crash tests ("before-record": the files are in place, not yet recorded)."""
    result = Handover(through=after)
    scanned = list(batches_after(service, after))
    waiting = [batch for batch in scanned if missing(batch)]
    done: set[int] = set()
    try:
        if waiting:
            _hand_over(service, outbox, debtor or debtor_from_env(), waiting, result, done, pause)
    finally:
        for batch in scanned:
            if missing(batch) and batch.number not in done:
                break
            result.through = batch.number
    return result


def _hand_over(service, outbox: Path, debtor: DebtorAccount, waiting: list[PaymentBatch], result: Handover,
               done: set[int], pause: Callable[[str], None]) -> None:
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / MARKS).mkdir(exist_ok=True)
    with _locked(outbox / MARKS / "lock"):
        for batch in waiting:
            try:
                contents = batch_files(batch, debtor)
                delivered = [_deliver(outbox, batch.number, fmt, contents[fmt]) for fmt in missing(batch)]
            except (InvalidInput, HandoverProblem) as error:
                problem = (f"payment batch {batch.number} ({len(batch.instructions)} instructions, execution "
                           f"{batch.execution_date.isoformat()}) was not handed over: {error}")
                log.error("payment batch not handed over", batch=batch.number, error=str(error))
                result.problems.append(problem)
                continue
            pause("before-record")
            _record(service, batch.number, delivered)
            done.add(batch.number)
            for item in delivered:
                log.info("payment batch handed over", batch=batch.number, format=item.format, file=item.filename,
                         sha256=item.sha256, written=item.written, instructions=len(batch.instructions),
                         total_cents=batch.total_cents, outbox=str(outbox))
            result.delivered += delivered


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _deliver(outbox: Path, number: int, format: str, data: bytes) -> Delivered:
    name = filename(number, format)
    final, partial, mark = outbox / name, outbox / f".{name}.partial", outbox / MARKS / f"{name}.sha256"
    digest = sha256(data)
    if final.exists():
        found = sha256(final.read_bytes())
        if found != digest:
            raise HandoverProblem(f"{final} is in the outbox with other content (sha256 {found[:12]}…, this batch's is "
                                  f"{digest[:12]}…); nothing was overwritten: find out where it came from, move it "
                                  "away, and the next run hands the batch over")
        return Delivered(number, format, name, digest, written=False)
    if mark.exists() and not partial.exists():  # renamed into place before, and taken since by the finance system
        return Delivered(number, format, name, mark.read_text().strip() or digest, written=False)
    _write(partial, data)
    _write(mark, digest.encode(), via=mark.with_name(f".{mark.name}.partial"))
    os.replace(partial, final)
    _sync_directory(outbox)
    return Delivered(number, format, name, digest, written=True)


def _write(path: Path, data: bytes, via: Path | None = None) -> None:
    """`data` in `path`, fsynced (through `via` and a rename when given: never half a file)."""
    target = via or path
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    if via is not None:
        os.replace(via, path)
        _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _record(service, number: int, delivered: list[Delivered]) -> None:
    """PaymentBatch.HandedOver for each file not recorded yet (a second handover at once conflicts and finds it)."""
    for _ in range(RETRIES):
        batch: PaymentBatch = service.repository.get(batch_id(number))
        for item in delivered:
            if item.format not in batch.files:
                batch.trigger_event(PaymentBatch.HandedOver, format=item.format, filename=item.filename, sha256=item.sha256)
        if not batch.pending_events:
            return
        try:
            service.save(batch)
            return
        except IntegrityError:
            continue
    raise RuntimeError(f"payment batch {number}: its handover could not be recorded after {RETRIES} attempts (conflicts)")
