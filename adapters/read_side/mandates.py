"""The organisation register as operators and auditors read it (`sto mandates`, GET /v1/mandates): its versions,
each with the day it took effect and its source, and as in force on one day the people with their roles per
scheme and the mandates: what each covers and up to which amount, on whose behalf, the chain of (sub-)mandates
and the signature a letter signed under it prints (domain/authority/register.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.authority.register import SHIPPED, Person, Register
from domain.money import euro

SIGNER = Person(name="ondertekenaar", display_name="(naam van wie ondertekent)")


def mandates_view(day: dt.date, register: Register = SHIPPED) -> dict[str, Any]:
    view = register.on(day)
    versions = [{
        "number": v.number, "valid_from": v.valid_from.isoformat(), "summary": v.summary, "source": v.source.label(),
        "confirmed": v.source.confirmed, "digest": register.digest(v.number), "in_force": view is not None and
        view.version.number == v.number, "changes": [part for part in ("people", "mandates") if getattr(v, part) is not None],
    } for v in register.versions]
    body: dict[str, Any] = {"name": register.name, "as_of": day.isoformat(), "versions": versions,
                            "in_force": None, "people": [], "mandates": []}
    if view is None:
        return body
    body["in_force"] = view.version.number
    body["people"] = [{"name": p.name, "display_name": p.display_name, "roles": {s: list(r) for s, r in p.roles.items()}}
                      for p in view.people]
    for m in view.mandates:
        chain = view.chain(m)
        by_role = [p.name for p in view.people if any(set(p.roles_for(s)) & set(m.holder_roles) for s in m.schemes)]
        body["mandates"].append({
            "id": m.id, "title": m.title, "on_behalf_of": chain[0].on_behalf_of, "besluiten": list(m.besluiten),
            "schemes": list(m.schemes), "max_cents": m.max_cents,
            "limit": "no limit" if m.max_cents is None else f"up to {euro(m.max_cents)}",
            "holders": sorted(set(m.holders) | set(by_role)), "holder_roles": list(m.holder_roles),
            "sub_mandate_of": m.sub_mandate_of, "may_sub_mandate": m.may_sub_mandate, "chain": [c.id for c in chain],
            "signature": view.signature(m, SIGNER).lines[:-2], "source": m.source.label(),
            "confirmed": m.source.confirmed,
        })
    return body
