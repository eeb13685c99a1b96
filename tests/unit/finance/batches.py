"""Payment instructions and batch headers for the finance tests, and the official XSD they are checked against."""

from __future__ import annotations

import datetime as dt
import io
from functools import lru_cache

import xmlschema

from adapters.finance.instructions import BatchHeader, DebtorAccount, PaymentInstruction
from adapters.finance.xsd import SCHEMAS_DIR

CET = dt.timezone(dt.timedelta(hours=1))
DEBTOR = DebtorAccount("DUS-I, Ministerie van OCW", "NL91 ABNA 0417 1643 00", "ABNANL2A")
HEADER = BatchHeader("STO-20261207-0001", dt.datetime(2026, 12, 7, 9, 30, tzinfo=CET), DEBTOR)
PAY_DAY = dt.date(2026, 12, 10)


def instruction(n: int = 1, *, cents: int = 125_000_00, name: str = "Stichting Sterk Techniekonderwijs Regio Delft",
                day: dt.date = PAY_DAY, bic: str | None = None, remittance: str | None = None) -> PaymentInstruction:
    return PaymentInstruction(
        instruction_id=f"STO-R{n:04d}-2025-1",
        end_to_end_id=f"E2E-STO-R{n:04d}-2025-1",
        amount_cents=cents,
        creditor_name=name,
        creditor_iban="NL20INGB0001234567",
        remittance=remittance or f"Voorschot STO 2025-2028 termijn 1, subsidienummer STO25-{n:04d}",
        execution_date=day,
        creditor_bic=bic,
    )


@lru_cache(maxsize=None)
def official_schema(name: str) -> xmlschema.XMLSchema:
    """The shipped ISO 20022 XSD, compiled by xmlschema directly (not through the adapter's own check)."""
    return xmlschema.XMLSchema(str(SCHEMAS_DIR / f"{name}.xsd"))


def assert_valid(document: bytes, name: str) -> None:
    errors = [f"{e.path}: {e.reason}" for e in official_schema(name).iter_errors(io.BytesIO(document))]
    assert not errors, "\n".join(errors[:10])
