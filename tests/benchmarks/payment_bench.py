"""PAY: the payment run (issue 24): N instalments due on one day to one batch file, exactly once.

PAY   The activity of the daily payment run (`PaymentActivities.run`, adapters/engine/payment_activities.py) on a
      SQLite store holding N grants' ledgers, each with one instalment released by two people and due on Thursday
      15 January 2026, and the payment book that queued them: the run (load the book and N ledgers, one PaymentBatch,
      N InstalmentInstructed and the book's BatchCreated in one transaction, sealed), the day's claims (none), and the
      handover (the batch loaded, N instructions checked against the SEPA rules, pain.001.001.09 written and checked
      against the official XSD, the FDC CSV, both fsynced into the outbox and recorded as HandedOver). Each sample
      on a fresh copy of the store. Checked after every sample, outside the time: one batch of N, the file valid per
      the XSD (checked again by libxml2, a validator independent of the adapter's xmlschema), its N end-to-end ids each once and equal to the batch's, the recorded sha256 that of the file; and a
      second run the same day makes no batch and writes no file.
      Baseline: `write_pain001` alone (the XSD check included, as the engine's) from the same N instructions and the
      same header, in the same process, alternating with the engine.
PAYw  The same through Temporal: the PaymentRun workflow started on the time-skipping server with business time
      just after 07:00 of that day (its run at once), a worker in this process; from the start until its outcome
      says the batch was handed over (one sample; for information).

The store is built once per benchmark run, not through the commands (10,000 grants through the real service would
take most of an hour): the ledgers and the book are made from the domain's own aggregates and events (domain/ledger)
and saved through the service, as the commands would have saved them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import uuid
from functools import lru_cache
from pathlib import Path

from lxml import etree

from adapters.engine.payment_activities import PaymentActivities
from adapters.event_store import money
from adapters.event_store.store import open_service
from adapters.finance import handover, xsd
from adapters.finance.instructions import BatchHeader, DebtorAccount
from adapters.finance.pain001 import write_pain001
from domain.ledger.aggregate import Ledger
from domain.ledger.run import PaymentBook
from domain.timekeeping import AMSTERDAM
from tests.benchmarks.common import Figure, clock, interleave, median, scratch_directory, time_ratio
from workflows.payments import PaymentRunRequest

DAY = dt.date(2026, 1, 15)
RUN_MOMENT = dt.datetime(2026, 1, 15, 7, tzinfo=AMSTERDAM)
SETUP_MOMENT = dt.datetime(2025, 12, 1, 10, tzinfo=AMSTERDAM)
DEBTOR = DebtorAccount("DUS-I, Ministerie van OCW", "NL20INGB0001234567", "INGBNL2A")
SCHEME = "sto-2025-2028"
GRANT_NAMESPACE = uuid.UUID("0b5e7d2c-6a1f-4c38-9e0d-5f2a8b7c1d46")
CHUNK = 1_000
NS = {"p": xsd.namespace(xsd.PAIN_001_001_09)}


def iban(n: int) -> str:
    """A valid Dutch IBAN (check digits of ISO 13616) for account n."""
    bban = f"ABNA{n:010d}"
    digits = "".join(str(int(ch, 36)) for ch in bban + "NL00")
    return f"NL{98 - int(digits) % 97:02d}{bban}"


def build_store(path: Path, instalments: int) -> float:
    """The store of the benchmark: `instalments` ledgers, each with instalment 1 released and due on DAY, and the
    payment book that queued them. Returns the seconds it took."""
    started = clock()
    service = open_service(f"sqlite:///{path}")
    common = {"reason": "bench", "effective_at": SETUP_MOMENT, "command": None}  # the engine's steps name no command
    book = PaymentBook.open()
    ledgers = []
    for n in range(1, instalments + 1):
        code = f"STO-B{n:05d}"
        ledger = Ledger.open(uuid.uuid5(GRANT_NAMESPACE, code), code, SCHEME, actor="co.de-vries", **common)
        ledger.trigger_event(Ledger.InstalmentScheduled, number=1, year=2026, due=DAY, amount_cents=25_000_00 + n,
                             besluit=1, final=False, actor="co.de-vries", legal_basis="bench", **common)
        ledger.trigger_event(Ledger.PaymentAccountRecorded, iban=iban(n), holder=f"Stichting Techniekregio {n:05d}",
                             actor="op.bakker", legal_basis="bench", **common)
        ledger.trigger_event(Ledger.PaymentAccountConfirmed, actor="ic.smit", legal_basis="bench", **common)
        for who in ("fi.de-boer", "fi.peters"):
            ledger.trigger_event(Ledger.InstalmentReleased, number=1, mandate="bench", actor=who, legal_basis="bench", **common)
        book.trigger_event(PaymentBook.Queued, ledger=ledger.id, grant_code=code, number=1, due=DAY)
        ledgers.append(ledger)
        if len(ledgers) == CHUNK:
            service.save(*ledgers)
            ledgers = []
    service.save(*ledgers, book)
    service.close()
    return clock() - started


@lru_cache(maxsize=None)
def libxml2_schema() -> etree.XMLSchema:
    """The official XSD compiled by libxml2 (lxml): a second validator, independent of the adapter's xmlschema, and
    fast enough to check every sample's file."""
    return etree.XMLSchema(etree.parse(str(xsd.SCHEMAS_DIR / f"{xsd.PAIN_001_001_09}.xsd")))


def assert_valid(document: bytes) -> None:
    schema = libxml2_schema()
    assert schema.validate(xsd.parse(document)), f"not valid per the XSD: {schema.error_log.last_error}"


class Sample:
    """One engine sample on a fresh copy of the store."""

    def __init__(self, template: Path, directory: Path, n: int):
        self.directory = directory / f"run-{n}"
        self.directory.mkdir()
        shutil.copyfile(template, self.directory / "sto.sqlite")
        self.service = open_service(f"sqlite:///{self.directory / 'sto.sqlite'}")
        self.outbox = self.directory / "finance"
        self.activities = PaymentActivities(self.service, self.outbox, DEBTOR)

    def run(self):
        return self.activities.run(PaymentRunRequest(day=DAY, business_time=RUN_MOMENT))

    def check(self, instalments: int) -> str:
        """Exactly once: one batch of N, one valid file holding each end-to-end id once, recorded; a second run adds
        nothing. Returns the pain.001 file's sha256."""
        (batch,) = money.batches(self.service)
        assert len(batch.instructions) == instalments
        document = (self.outbox / handover.filename(1, handover.PAIN)).read_bytes()
        assert_valid(document)
        ids = [e.text for e in xsd.parse(document).iterfind(".//p:CdtTrfTxInf/p:PmtId/p:EndToEndId", NS)]
        assert len(ids) == len(set(ids)) == instalments and set(ids) == {i["end_to_end_id"] for i in batch.instructions}
        assert batch.files[handover.PAIN]["sha256"] == handover.sha256(document)
        again = self.run()
        assert again.batch is None and again.handed_over == [] and len(list(money.batches(self.service))) == 1
        return batch.files[handover.PAIN]["sha256"]

    def close(self) -> None:
        self.service.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def p_payment_run(instalments: int = 10_000, repetitions: int = 5, through_temporal: bool = True) -> list[Figure]:
    with scratch_directory("sto-bench-pay-") as directory:
        template = directory / "template.sqlite"
        built = build_store(template, instalments)
        first = Sample(template, directory, 0)  # warm-up (the XSD compiled, the code loaded), and the instructions
        first.run()
        digest = first.check(instalments)
        (batch,) = money.batches(first.service)
        instructions = handover.instructions_of(batch)
        header = BatchHeader(handover.message_id(batch.number), batch.effective_at.astimezone(AMSTERDAM), DEBTOR)
        first.close()
        parts: dict[str, list[float]] = {"second run": []}
        counter = iter(range(1, 1_000))

        def engine() -> float:
            sample = Sample(template, directory, next(counter))
            try:
                started = clock()
                sample.run()
                seconds = clock() - started
                again = clock()
                assert sample.check(instalments) == digest  # the same bytes in every sample
                parts["second run"].append(clock() - again)
                return seconds
            finally:
                sample.close()

        def baseline() -> float:
            started = clock()
            document = write_pain001(header, instructions)
            seconds = clock() - started
            assert handover.sha256(document) == digest  # the same file
            return seconds

        samples = interleave({"engine": engine, "baseline": baseline}, repetitions)
        e, b = median(samples["engine"]), median(samples["baseline"])
        # each engine sample against the baseline sample next to it in time (ABBA): on a machine whose load swings
        # by a factor of two within a minute, the ratio of medians can pair a slow engine with a quick baseline
        paired = median([time_ratio(x, y) for x, y in zip(samples["engine"], samples["baseline"])])
        split = _split(template, directory)
        figures = [Figure(
            id="PAY", store="sqlite",
            what=f"payment run: {instalments:,} instalments due on one day to one batch, its pain.001 (XSD-checked) and "
                 "CSV written and recorded, exactly once",
            engine=e, baseline=b, unit="s", ratio=paired, target="one valid file, exactly once", ok=True,
            baseline_what=f"write_pain001 alone from the same {instalments:,} instructions (XSD check included)",
            notes=f"ratio: median of the {repetitions} paired samples (medians' ratio {time_ratio(e, b):.2f}x); one more "
                  f"run split: {split}; a second run the same day: median {median(parts['second run']):.2f} s, no batch, "
                  f"no file; store built in {built:.1f} s",
            samples={**samples, **parts, "paired ratios": [time_ratio(x, y) for x, y in zip(samples["engine"], samples["baseline"])]},
        )]
        if through_temporal:
            figures.append(asyncio.run(_through_temporal(template, directory, instalments, e)))
        return figures


def _split(template: Path, directory: Path) -> str:
    """Where one run's time goes: the batch made, the files made and handed over, the claims."""
    sample = Sample(template, directory, 998)
    try:
        started = clock()
        made = money.run_payments(sample.service, DAY, RUN_MOMENT)
        ran = clock()
        (batch,) = handover.batches_after(sample.service)
        instructions = handover.instructions_of(batch)
        checked = clock()
        handover.hand_over(sample.service, sample.outbox, DEBTOR)
        handed = clock()
        money.run_claims(sample.service, DAY, RUN_MOMENT)
        claims = clock()
        assert made.batch is not None and len(instructions) == len(made.batch.instructions)
    finally:
        sample.close()
    return (f"run_payments {ran - started:.1f} s, the batch loaded and its instructions checked (SEPA, IBAN) {checked - ran:.1f} s, "
            f"hand_over (those again, pain.001 with its XSD check, CSV, fsync, record) {handed - checked:.1f} s, "
            f"run_claims {claims - handed:.1f} s")


async def _through_temporal(template: Path, directory: Path, instalments: int, direct: float) -> Figure:
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.testing import WorkflowEnvironment

    from adapters.engine.payment_activities import start_payment_run
    from adapters.engine.temporal import build_worker, test_server_binary
    from adapters.notify.notifiers import FileNotifier
    from workflows.payments import PaymentRunOutcome, PaymentRunWorkflow

    sample = Sample(template, directory, 999)
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=test_server_binary(),
                                                        data_converter=pydantic_data_converter)
    try:
        worker = build_worker(env.client, sample.service, FileNotifier(sample.directory / "outbox"),
                              finance_outbox=sample.outbox, debtor=DEBTOR)
        async with worker:
            offset = RUN_MOMENT + dt.timedelta(seconds=1) - await env.get_current_time()
            started = clock()
            handle = await start_payment_run(env.client, clock_offset_seconds=offset.total_seconds())
            while True:
                outcome = await handle.query(PaymentRunWorkflow.last_run, result_type=PaymentRunOutcome)
                if outcome is not None:
                    break
                await asyncio.sleep(0.02)
            seconds = clock() - started
            await handle.terminate("benchmark done")
        assert outcome.batch == 1 and outcome.instructions == instalments and len(outcome.handed_over) == 2
        sample.check(instalments)
    finally:
        await env.shutdown()
        sample.close()
    return Figure(id="PAYw", store="temporal",
                  what="the same run through the PaymentRun workflow (time-skipping server, worker in process): start "
                       "to outcome, one sample",
                  engine=seconds, baseline=direct, unit="s", ratio=time_ratio(seconds, direct),
                  baseline_what="PAY's engine median (the activity called directly)")


if __name__ == "__main__":  # python -m tests.benchmarks.payment_bench [instalments]
    import sys

    for figure in p_payment_run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000, repetitions=3):
        print(figure.id, f"{figure.engine:.3f}", f"{figure.baseline:.3f}", f"{figure.ratio:.2f}x", figure.notes)

