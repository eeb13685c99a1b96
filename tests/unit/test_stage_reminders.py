"""DUS-I's reminder of its own term, while a besluit waits in a stage, says which stage, its role and who holds it,
and goes to the mailbox of that role."""

from __future__ import annotations

import datetime as dt

from adapters.engine.grants_client import role_addresses_from_env
from adapters.event_store.store import open_service
from domain import commands as c
from domain.deadlines import pending_deadlines
from domain.notifications import reminder_message
from domain.regulation.model import Addressee
from domain.values import Role
from tests.support.scripted import GrantScript, at


def test_a_reminder_while_a_besluit_waits_in_a_stage_names_it_and_goes_to_the_roles_mailbox():
    svc = open_service("memory:")
    grant = GrantScript(svc, stages=False)
    grant.pre_register()
    grant.apply()
    grant.accept()
    grant.advise()
    grant.approve()  # drafted only: it waits in the interne controle
    svc.execute(c.ClaimCase(region_code=grant.code, actor=c.Actor(name="ic.mulder", role=Role.OPERATOR), reason="pak op",
                            effective_at=at(2019, 6, 21)))
    state = svc.state(grant.code)
    regulation = svc.regulation(None)
    ours = [d for d in pending_deadlines(state, regulation, dt.date(2019, 6, 21)) if d.addressee is Addressee.OPERATOR]
    assert ours, "the decision term of DUS-I runs while the besluit waits"
    message = reminder_message(state, ours[0], 7, "dus-i@sto.example", dt.date(2019, 6, 21),
                               waiting=("Interne controle", "interne_controle", "ic.mulder"),
                               role_addresses={"interne_controle": "ic@dus-i.example"})
    assert message.to == "ic@dus-i.example"
    assert "fase Interne controle (rol interne_controle), in behandeling bij ic.mulder" in message.body
    plain = reminder_message(state, ours[0], 7, "dus-i@sto.example", dt.date(2019, 6, 21))
    assert plain.to == "dus-i@sto.example" and "fase" not in plain.body


def test_role_mailboxes_are_read_from_the_setting(monkeypatch):
    monkeypatch.setenv("STO_ROLE_ADDRESSES", "interne_controle=ic@dus-i.example, coordinator = co@dus-i.example,kapot")
    assert role_addresses_from_env() == {"interne_controle": "ic@dus-i.example", "coordinator": "co@dus-i.example"}
