"""What people (and the engine) ask of a grant's money ledger. Imperative names; the same envelope as the grant's
commands (command id, region and scheme, actor, reason, business time)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, Field, TypeAdapter

from domain.commands import Command, PlausibleDate
from domain.finance_iban import check_iban_value
from domain.values import Name, Role


class LedgerCommand(Command):
    """A command on the money ledger of a grant (not through the grant's lifecycle)."""


class ReleaseInstalment(LedgerCommand):
    """Release an instalment for payment: it goes out after two different people with a payment volmacht did."""

    type: Literal["ReleaseInstalment"] = "ReleaseInstalment"
    number: Annotated[int, Field(ge=1, le=10_000, strict=True)]


class ReleaseInstalments(LedgerCommand):
    """Release several instalments at once (a payment list): each is released as by ReleaseInstalment, by the same
    rules; one refused refuses the list and nothing is written."""

    type: Literal["ReleaseInstalments"] = "ReleaseInstalments"
    numbers: Annotated[list[Annotated[int, Field(ge=1, le=10_000, strict=True)]], Field(min_length=1, max_length=500)]


class RecordPaymentAccount(LedgerCommand):
    """Record the account the region is paid on (checked: format and check digits, no Dutch elfproef)."""

    type: Literal["RecordPaymentAccount"] = "RecordPaymentAccount"
    iban: Annotated[str, AfterValidator(check_iban_value)]
    holder: Name


class ConfirmPaymentAccount(LedgerCommand):
    """A second person confirms the account recorded (four eyes on bank data)."""

    type: Literal["ConfirmPaymentAccount"] = "ConfirmPaymentAccount"


class SuspendPayments(LedgerCommand):
    """Record the written notice of a serious suspicion (Awb 4:56): payments stop until the decision, 13 weeks at most."""

    type: Literal["SuspendPayments"] = "SuspendPayments"
    notice_on: PlausibleDate


class ResumePayments(LedgerCommand):
    """The decision on the suspicion is made known: payments go on."""

    type: Literal["ResumePayments"] = "ResumePayments"


class SetOffClaim(LedgerCommand):
    """Set a claim of this grant off against an advance of the region's grant in another scheme, by besluit (Awb 4:57
    lid 3, 4:93)."""

    type: Literal["SetOffClaim"] = "SetOffClaim"
    claim: Annotated[str, Field(pattern=r"^VORD-[A-Za-z0-9-]{3,40}$")]
    against_scheme: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$")]
    against_instalment: Annotated[int, Field(ge=1, le=10_000, strict=True)]


LEDGER_COMMANDS = (ReleaseInstalment, ReleaseInstalments, RecordPaymentAccount, ConfirmPaymentAccount, SuspendPayments, ResumePayments, SetOffClaim)
AnyLedgerCommand = Annotated[Union[ReleaseInstalment, ReleaseInstalments, RecordPaymentAccount, ConfirmPaymentAccount, SuspendPayments,
                                   ResumePayments, SetOffClaim], Field(discriminator="type")]
_ADAPTER: TypeAdapter | None = None


def parse_ledger_command(data: dict | str | bytes) -> LedgerCommand:
    global _ADAPTER
    if _ADAPTER is None:
        _ADAPTER = TypeAdapter(AnyLedgerCommand)
    return _ADAPTER.validate_json(data) if isinstance(data, (str, bytes)) else _ADAPTER.validate_python(data)


__all__ = ["LEDGER_COMMANDS", "LedgerCommand", "Role", "dt", "parse_ledger_command"]
