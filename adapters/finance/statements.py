"""Reading a bank statement into the ledgers, for an operator: a camt.053 file in, a summary out.

`reconcile_statement(service, path)` reads the file (camt.053.001.02 or .08, checked against its XSD by the hardened
parser, adapters/finance/camt053.py), checks that it is a statement of the paying account (STO_FINANCE_DEBTOR_IBAN,
when set; another account's statement is refused before anything is recorded), and hands its booked entries to
`money.reconcile`: an outgoing transfer is matched by its end-to-end id (the instalment is paid, or returned), an
incoming one by the claim number in its remittance (a repayment, with the interest of Awb 4:98 and 4:99 set when the
principal is paid after a default). Reading the same statement again records nothing new. What matches nothing is
listed for the operator, in words; pending and information-only entries are counted, not matched.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from adapters.event_store import money
from adapters.finance.camt053 import read_camt053
from adapters.finance.iban import check_iban
from adapters.finance.settings import IBAN_SETTING
from adapters.logging import get_logger
from domain.errors import InvalidInput

log = get_logger(__name__)
MAX_BYTES = 64 * 1024 * 1024  # a day's statement of one account is kilobytes; this is a file that is something else
FIELD = "statement"


@dataclass
class StatementSummary:
    file: str
    statements: list[str] = field(default_factory=list)  # "<statement id> (<version>, <account>)"
    entries: int = 0  # transactions read
    not_booked: int = 0  # pending or information only: not matched
    paid: list[str] = field(default_factory=list)  # end-to-end ids of instalments now paid
    returned: list[str] = field(default_factory=list)  # end-to-end ids of instalments returned by the bank
    repaid: list[str] = field(default_factory=list)  # claim numbers with a repayment recorded
    unmatched: list[str] = field(default_factory=list)  # for an operator to look at

    @property
    def recorded(self) -> int:
        return len(self.paid) + len(self.returned) + len(self.repaid)

    def lines(self) -> list[str]:
        """The summary as an operator reads it."""
        out = [f"{self.file}: {len(self.statements)} statement(s), {self.entries} transaction(s)"
               + (f", {self.not_booked} not booked (pending or information)" if self.not_booked else "")]
        out += [f"  paid: {len(self.paid)}", f"  returned: {len(self.returned)}", f"  repayments: {len(self.repaid)}"]
        if self.recorded == 0:
            out.append("  nothing new recorded: every transaction of ours was recorded before")
        out += [f"  to look at: {line}" for line in self.unmatched]
        return out


def expected_account(env: dict[str, str] | None = None) -> str | None:
    """The paying account's IBAN from the settings, normalised; None when it is not set."""
    text = (os.environ if env is None else env).get(IBAN_SETTING, "").strip()
    return check_iban(text, field=IBAN_SETTING) if text else None


def reconcile_statement(service, source: Path | bytes, moment: dt.datetime | None = None, *,
                        account: str | None = None) -> StatementSummary:
    """Read a camt.053 statement (a file, or its bytes) and record what it says on the ledgers.

    `account`: the IBAN the statement must be of (default: STO_FINANCE_DEBTOR_IBAN; unchecked when neither is
    set). `moment`: the business time recorded on the events (default: the service's clock). InvalidInput, before
    anything is recorded, for a file that is not a valid statement, in another currency, or of another account."""
    name = str(source) if isinstance(source, Path) else "statement"
    document = _read(source)
    statements = read_camt053(document)
    wanted = check_iban(account, field="account") if account else expected_account()
    summary = StatementSummary(file=name)
    entries = []
    for statement in statements:
        if wanted and statement.account_iban and check_iban(statement.account_iban, field=FIELD) != wanted:
            raise InvalidInput(f"{name}: statement {statement.statement_id} is of account …{statement.account_iban[-4:]}, "
                               f"not of the paying account …{wanted[-4:]}; nothing was recorded", field=FIELD,
                               hint=f"read the statements of the account in {IBAN_SETTING} only")
        summary.statements.append(f"{statement.statement_id} ({statement.version}, …{(statement.account_iban or '????')[-4:]})")
        entries += statement.entries
    summary.entries = len(entries)
    summary.not_booked = sum(1 for e in entries if e.status != "BOOK")
    result = money.reconcile(service, entries, moment or service.clock())
    summary.paid, summary.returned, summary.repaid = result.paid, result.returned, result.repaid
    summary.unmatched = result.unmatched
    log.info("bank statement reconciled", file=name, statements=len(statements), entries=summary.entries,
             paid=len(summary.paid), returned=len(summary.returned), repaid=len(summary.repaid),
             unmatched=len(summary.unmatched))
    return summary


def _read(source: Path | bytes) -> bytes:
    if isinstance(source, bytes):
        document = source
    else:
        try:
            if source.stat().st_size > MAX_BYTES:
                raise InvalidInput(f"{source} is larger than {MAX_BYTES // (1024 * 1024)} MiB: not a statement of one account",
                                   field=FIELD, hint="split the bank's file per statement")
            document = source.read_bytes()
        except OSError as error:
            raise InvalidInput(f"{source} cannot be read: {error.strerror or error}", field=FIELD,
                               hint="give the path of the camt.053 file the bank delivered") from None
    if len(document) > MAX_BYTES:
        raise InvalidInput(f"the statement is larger than {MAX_BYTES // (1024 * 1024)} MiB", field=FIELD,
                           hint="split the bank's file per statement")
    return document
