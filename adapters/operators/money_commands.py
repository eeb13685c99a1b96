"""The commands on a grant's money ledger, as the CLI (`sto money ...`) and the API (POST .../money/...) send them.

They do not go through the grant's workflow: the service runs them on the ledger directly (adapters/event_store/
money.py), the domain decides (domain/ledger/release.py, setoff.py). This module only names them, builds the command
from what was given (the acting person from the token or STO_ACTOR, never chosen here), dates it on the business
clock when no time is given (checked not to lie too far ahead, as every command), and says what was recorded.

A grant without a money ledger, a claim that is not the region's, or a grant to set off against that is not
there, is answered here as not found (404 / exit 5) or invalid input, before the ledger code is asked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic.fields import FieldInfo

from adapters.event_store import money
from adapters.finance.charset import sepa_text
from domain.clock import BusinessClock, check_not_ahead
from domain.commands import Actor
from domain.errors import GrantNotFound, InvalidInput
from domain.ledger import commands as lc
from domain.ledger.aggregate import Ledger
from domain.regulation.schemes import legacy_scheme_id

if TYPE_CHECKING:
    from adapters.event_store.service import GrantService

SENDER_CHOSEN = ("region_code", "actor", "type", "scheme", "expected_version")  # a ledger takes no expected version


@dataclass(frozen=True)
class LedgerAction:
    name: str
    command: type[lc.LedgerCommand]
    in_path: tuple[str, ...] = ()  # fields the API takes from the path (the CLI: arguments)

    @property
    def command_type(self) -> str:
        return self.command.__name__

    @property
    def title(self) -> str:
        return (self.command.__doc__ or self.command_type).strip().splitlines()[0]

    def body_fields(self) -> dict[str, FieldInfo]:
        """The command's fields a request body carries: its own (but those in the path), reason, command id and
        effective time."""
        return {name: info for name, info in self.command.model_fields.items()
                if name not in SENDER_CHOSEN and name not in self.in_path}

    def build(self, region_code: str, actor: Actor, fields: dict[str, Any], scheme: str | None = None) -> lc.LedgerCommand:
        """The command, validated; raises pydantic.ValidationError naming the wrong fields."""
        chosen = {"region_code": region_code, "actor": actor, **({"scheme": scheme} if scheme else {})}
        return self.command.model_validate({**fields, **chosen})


ACTIONS: dict[str, LedgerAction] = {a.name: a for a in (
    LedgerAction("account", lc.RecordPaymentAccount),
    LedgerAction("confirm-account", lc.ConfirmPaymentAccount),
    LedgerAction("release", lc.ReleaseInstalment, ("number",)),
    LedgerAction("suspend", lc.SuspendPayments),
    LedgerAction("resume", lc.ResumePayments),
    LedgerAction("set-off", lc.SetOffClaim, ("claim",)),
)}


def no_ledger(region_code: str) -> GrantNotFound:
    error = GrantNotFound(region_code)
    error.message = f"the grant of {region_code} has no money ledger"
    error.hint = "a grant holds one from its verlening on (granted since the ledger exists): `sto money show REGION`"
    return error


def dated(command: lc.LedgerCommand, clock: BusinessClock, margin: dt.timedelta) -> lc.LedgerCommand:
    """The command with its business time: as given (not too far ahead of the clock), else the clock's now."""
    check_not_ahead(command, clock, margin)
    if command.effective_at is not None:
        return command
    return command.model_copy(update={"effective_at": clock.now()})


def execute(service: "GrantService", command: lc.LedgerCommand, clock: BusinessClock,
            margin: dt.timedelta) -> dict[str, Any]:
    """Run the command on its ledger (or, for a set-off, on two); what was recorded. TransitionRefused (the rule,
    its source, what to do), GrantNotFound or InvalidInput write nothing."""
    command = dated(command, clock, margin)
    if isinstance(command, lc.RecordPaymentAccount):  # a name the bank cannot carry would make every batch unwritable
        sepa_text(command.holder, field="holder")
    if isinstance(command, lc.SetOffClaim):
        return _set_off(service, command)
    scheme = service.scheme_of(command.region_code, command.scheme)
    state = service.state(command.region_code, scheme=scheme)
    ledger = money.ledger_of(service, state.grant_id)
    if ledger is None:
        raise no_ledger(command.region_code)
    before = ledger.version
    after = money.execute_ledger(service, command.model_copy(update={"scheme": scheme}))
    return {**_answer(command, after, _recorded(service, after, before)), "scheme": scheme}


def _answer(command: lc.LedgerCommand, ledger: Ledger, events: list[str]) -> dict[str, Any]:
    return {"region_code": command.region_code, "scheme": ledger.scheme or legacy_scheme_id(), "command_type": command.name,
            "command_id": str(command.command_id), "effective_at": command.effective_at.isoformat() if command.effective_at else None,
            "events": events, "ledger_version": ledger.version}


def _recorded(service: "GrantService", ledger: Ledger, before: int) -> list[str]:
    return [type(e).__name__ for e in service.events.get(ledger.id, gt=before, lte=ledger.version)]


def _set_off(service: "GrantService", command: lc.SetOffClaim) -> dict[str, Any]:
    """The claim is found by its number (the payment book knows its ledger) and must be one of this region's; the
    grant set off against is the region's grant in `against_scheme`, with a ledger."""
    region = command.region_code
    lid = money.book_of(service).claims.get(command.claim)
    claim_ledger: Ledger | None = service.repository.get(lid) if lid is not None else None
    if claim_ledger is None or claim_ledger.grant_code != region:
        raise InvalidInput(f"{command.claim} is no claim of {region}", field="claim",
                           hint=f"`sto money show {region}` (GET /v1/grants/{region}/money) lists its claims")
    other_state = service.state(region, scheme=command.against_scheme)  # GrantNotFound when the region has none there
    other = money.ledger_of(service, other_state.grant_id)
    if other is None:
        raise no_ledger(region)
    versions = (claim_ledger.version, other.version)
    mine, theirs = money.set_off(service, command)
    answer = _answer(command, mine, _recorded(service, mine, versions[0]))
    answer["against"] = {"scheme": theirs.scheme, "instalment": command.against_instalment,
                         "events": _recorded(service, theirs, versions[1]), "ledger_version": theirs.version}
    return answer
