"""The advances of replayed grants, paid as DUS-I pays them, before their vaststelling: the account recorded by a
beoordelaar and confirmed by interne controle, the instalments due released by two betaalfiatteurs (each grant's in
one payment list), and one payment run for the day. In-process on the store (the money does not go through the
grant's workflow), so a determined grant's vaststelling sets off what was paid, as the law counts it (Awb 4:95 lid 4).

tests/support/scripted.py has its own `GrantScript.pay_advances` for one scripted grant (a run on each due day, as
the daily payment run would); the replay pays every grant determined the next day in one run, which keeps the demo
fast. They are kept apart: the tests' grants and the replay's differ in who pays and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from adapters.event_store import money
from adapters.event_store.service import GrantService
from domain.ledger import commands as lc
from domain.values import Role
from domain import commands as c
from domain.timekeeping import local_date

IBAN = "NL91ABNA0417164300"  # a valid IBAN (ISO 13616); the replay's regions share the example account


def _actor(name: str) -> c.Actor:
    return c.Actor(name=name, role=Role.OPERATOR)


def release_advances(service: GrantService, code: str, scheme: str | None, moment: dt.datetime) -> int:
    """Release (by two) every instalment of the grant due by `moment` that is still scheduled, the account recorded and
    confirmed first if it is not; the number released."""
    state = service.state(code, scheme=scheme)
    ledger = money.ledger_of(service, state.grant_id)
    if ledger is None:
        return 0
    moment = max(moment, ledger.last_effective_at)
    day = local_date(moment)
    envelope = {"region_code": code, "scheme": scheme, "effective_at": moment, "reason": "betaling voorschotten"}
    if ledger.account is None:
        money.execute_ledger(service, lc.RecordPaymentAccount(**envelope, actor=_actor("op.bakker"), iban=IBAN,
                                                              holder=state.penvoerder.name))
        money.execute_ledger(service, lc.ConfirmPaymentAccount(**envelope, actor=_actor("ic.mulder")))
    due = [n for n, line in sorted(ledger.instalments.items()) if line.status == "scheduled" and line.due <= day]
    if not due:
        return 0
    for releaser in ("fi.de-boer", "fi.peters"):
        money.execute_ledger(service, lc.ReleaseInstalments(**envelope, actor=_actor(releaser), numbers=due))
    return len(due)


def pay_advances(service: GrantService, codes: Sequence[str], scheme: str | None, moment: dt.datetime) -> list[dict[str, Any]]:
    """Pay every instalment of these grants due by `moment` that is still scheduled, in one payment run on that day;
    the instructions of its batch (none: nothing was due)."""
    if not sum(release_advances(service, code, scheme, moment) for code in codes):
        return []
    made = money.run_payments(service, local_date(moment), moment)
    return list(made.batch.instructions) if made.batch is not None else []
