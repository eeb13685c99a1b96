"""What an auditor reads about one grant on one day: its state at the end of that day (business time,
Europe/Amsterdam) and the regulation then in force."""

from __future__ import annotations

import datetime as dt
from typing import Any

from adapters.read_side.presenters import event_row, grant_view
from domain.errors import DomainError, GrantNotFound
from adapters.event_store.service import GrantService
from domain.timekeeping import end_of_day

# The instant just before the next day begins: an event at 00:00 the next day belongs to that day.
EPSILON = dt.timedelta(microseconds=1)


class NotYetExisting(GrantNotFound):
    """The grant exists now, but not yet at the end of the day asked about."""

    code = "grant_not_yet_existing"

    def __init__(self, region_code: str, day: dt.date, first: dt.date):
        DomainError.__init__(
            self,
            f"{region_code} had no grant yet at the end of {day.isoformat()}: its vooraanmelding took effect on "
            f"{first.isoformat()}",
            hint=f"ask for a day on or after {first.isoformat()}",
        )
        self.region_code = region_code


def end_of(day: dt.date) -> dt.datetime:
    return end_of_day(day) - EPSILON


def regulation_view(service: GrantService, day: dt.date, scheme: str | None = None) -> dict[str, Any]:
    in_force = service.regulation(scheme).in_force(day)
    return {
        "name": in_force.name,
        "as_of": day.isoformat(),
        "versions_in_force": [
            {"id": v.id, "kind": v.kind.value, "title": v.title, "signed": v.signed.isoformat(),
             "effective": v.effective.isoformat(), "source": v.source.label()}
            for v in in_force.versions
        ],
        "latest_version": in_force.latest_version.id if in_force.latest_version else None,
        "parameters": {
            p.key: {"value": p.value, "unit": p.unit, "version": p.version, "source": p.source}
            for p in in_force.parameters
        },
    }


def as_of_view(service: GrantService, region_code: str, day: dt.date, scheme: str | None = None) -> dict[str, Any]:
    """The grant as it stood at the end of `day`, its last event by then, and the rules of that day (of its scheme)."""
    scheme = service.scheme_of(region_code, scheme)
    history = service.history(region_code, scheme=scheme)  # raises GrantNotFound
    moment = end_of(day)
    state = service.state_as_of(region_code, moment, scheme=scheme)
    if state is None:
        raise NotYetExisting(region_code, day, history[0].effective_on)
    last = next(e for e in history if e.originator_version == state.version)
    later = [e for e in history if e.originator_version > state.version]
    return {
        "region_code": region_code,
        "as_of": day.isoformat(),
        "moment": end_of_day(day).isoformat(),
        "version": state.version,
        "versions_now": history[-1].originator_version,
        "last_event": event_row(last),
        "next_event": event_row(later[0]) if later else None,
        "grant": grant_view(state, service.regulation(state.scheme), day),
        "regulation": regulation_view(service, day, state.scheme),
    }
