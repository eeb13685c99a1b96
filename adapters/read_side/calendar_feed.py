"""The calendar feeds (RFC 5545, with RFC 7986's NAME and REFRESH-INTERVAL): a region's deadlines, and DUS-I's
own decision terms for the back office.

Built from the deadline calendar of the read models (projections/deadline_calendar.py), as in force on the
business day. A region's feed also carries its money's days (`money_entries`, from the grants' ledgers): the payment
day of each instalment of the advance (and of a final payment), and the last day of each claim's term (Awb 4:87) and
of an aanmaning's (Awb 4:112). Each deadline is one all-day VEVENT on its last day, with a UID that stays the same while the
deadline exists (the grant's id and the deadline's key): a deadline that moves (Awb 4:15 suspension, an
amended instrument) updates the same entry, with a higher SEQUENCE, a new LAST-MODIFIED and a line saying
from which date it moved and why (the deadline's own explanation). The text names the rule, the legal source
and the step asked; never an amount, never a person (no penvoerder, no actor, no releaser).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Iterable

from icalendar import Calendar, Event

from adapters.event_store import money
from adapters.operators.calendar_secrets import BACK_OFFICE, CalendarSecrets
from domain.regulation.schemes import grant_id

if TYPE_CHECKING:
    from adapters.event_store.service import GrantService

PRODID = "-//Sterk Techniekonderwijs//STO grant engine//NL"
REFRESH = dt.timedelta(hours=1)  # deadlines move seldom; an hour keeps a calendar close enough (PT1H)
UID_DOMAIN = "sto-grant-engine"
MEDIA_TYPE = "text/calendar; charset=utf-8"


def entry_uid(region_code: str, deadline_key: str, scheme: str | None = None) -> str:
    """Stable per grant and deadline: the same entry in every calendar program, whatever date it has (the grant
    of the region in its scheme: a region with grants in two schemes has two entries for a key they share)."""
    return f"{grant_id(region_code, scheme)}.{deadline_key.replace(':', '.')}@{UID_DOMAIN}"


def feed_name(scope: str) -> str:
    if scope == BACK_OFFICE:
        return "STO: beslistermijnen van DUS-I"
    return f"STO: termijnen van {scope}"


def _description(entry: dict[str, Any], moved_from: str | None) -> str:
    lines = []
    if entry.get("required_step"):
        lines.append(f"Gevraagd: {entry['required_step']}")
    if entry.get("consequence"):
        lines.append(f"Gevolg als de termijn verstrijkt: {entry['consequence']}")
    lines.append(f"Uiterlijk {entry['due']} 23:59 (Europe/Amsterdam).")
    lines.append(f"Bron: {entry['source']} (regeling versie {entry['version']}).")
    if moved_from:
        lines.append(f"Verplaatst: deze termijn stond eerder op {moved_from}; nu {entry['due']}.")
    if entry.get("explanation"):
        lines.append("Waarom deze datum:")
        lines.extend(f"- {line}" for line in entry["explanation"])
    if entry.get("overdue"):
        lines.append(f"Deze termijn is {entry['days_late']} dag(en) verstreken en nog niet afgehandeld.")
    return "\n".join(lines)


def build_feed(scope: str, entries: Iterable[dict[str, Any]], entries_state: CalendarSecrets,
               generated_at: dt.datetime | None = None) -> bytes:
    """The feed for `scope` (a region code or BACK_OFFICE) from deadline-calendar entries."""
    generated_at = generated_at or dt.datetime.now(dt.timezone.utc)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", feed_name(scope))
    calendar.add("x-wr-calname", feed_name(scope))
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")  # the older name of REFRESH-INTERVAL (Outlook, Apple)
    entries = list(entries)
    uids = [entry_uid(entry["region_code"], entry["key"], entry.get("scheme")) for entry in entries]
    states = entries_state.seen(list(zip(uids, (entry["due"] for entry in entries))))
    for uid, entry in zip(uids, entries):
        state = states[uid]
        modified = dt.datetime.fromisoformat(state.modified_at)
        due = dt.date.fromisoformat(entry["due"])
        event = Event()
        event.add("uid", uid)
        event.add("dtstamp", modified)
        event.add("last-modified", modified)
        event.add("sequence", state.sequence)
        event.add("dtstart", due)
        event.add("dtend", due + dt.timedelta(days=1))
        title = entry.get("title_nl") or entry["title"]
        event.add("summary", f"{entry['region_code']}: {title}" if scope == BACK_OFFICE else title)
        event.add("description", _money_description(entry, state.previous_due) if "lines" in entry
                  else _description(entry, state.previous_due))
        event.add("categories", ["STO", entry["kind"]])
        event.add("transp", "TRANSPARENT")
        event.add("x-sto-deadline-key", entry["key"])
        event.add("x-sto-legal-source", entry["source"])
        calendar.add_component(event)
    return calendar.to_ical()


def back_office_entries(deadlines: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """DUS-I's own terms (decision terms, addressed to the operator) of every grant."""
    return [d for d in deadlines if d.get("addressee") == "operator"]


# --- the money's days (a region's feed) ----------------------------------------------------------------------------

PAYMENT_SOURCE = "verleningsbeschikking (Aanwijzingen voor subsidieverstrekking, aanwijzing 18; Awb art. 4:95)"
FINAL_SOURCE = "vaststellingsbeschikking (Awb art. 4:52 lid 1 en 4:95 lid 4)"
CLAIM_SOURCE = "Awb art. 4:87 lid 1 (zes weken na bekendmaking), verschoven door de Algemene termijnenwet"
AANMANING_SOURCE = "Awb art. 4:112 lid 1 (twee weken na de dag van verzending), verschoven door de Algemene termijnenwet"
STATUS_NL = {"scheduled": "gepland", "released": "vrijgegeven voor betaling",
             "instructed": "aan het financieel dienstencentrum overgedragen", "paid": "betaald",
             "returned": "door de bank teruggeboekt; wordt opnieuw vrijgegeven"}


def _money_description(entry: dict[str, Any], moved_from: str | None) -> str:
    lines = list(entry["lines"])
    lines.append(f"Bron: {entry['source']}.")
    if moved_from:
        lines.append(f"Verplaatst: deze dag stond eerder op {moved_from}; nu {entry['due']}.")
    return "\n".join(lines)


def money_entries(service: "GrantService", region_code: str, schemes: Iterable[str | None]) -> list[dict[str, Any]]:
    """The money's days of the region's grants (one per scheme): each instalment's payment day (not a cancelled
    one), and the last day of each claim's term and of its aanmaning. Dates, references and sources only: never an
    amount."""
    entries: list[dict[str, Any]] = []
    for scheme in schemes:
        ledger = money.ledger_of(service, grant_id(region_code, scheme))
        if ledger is None:
            continue
        base = {"region_code": region_code, "scheme": scheme}
        for line in sorted(ledger.instalments.values(), key=lambda i: i.number):
            if line.status == "cancelled":
                continue
            what = "nabetaling" if line.final else f"voorschot, termijn {line.number}"
            status = STATUS_NL.get(line.status, line.status) + (f" op {line.paid_on.isoformat()}" if line.paid_on else "")
            entries.append({**base, "key": f"payment_T{line.number:03d}", "due": line.due.isoformat(), "kind": "betaling",
                            "title": f"Betaaldag {what}", "source": FINAL_SOURCE if line.final else PAYMENT_SOURCE,
                            "lines": [f"De betaaldag van de {what} ({scheme or 'sto'}): het geld gaat op of na deze dag "
                                      "naar de rekening van de penvoerder.",
                                      f"Stand: {status}.", f"Kenmerk op het bankafschrift: {line.end_to_end_id}."]})
        for claim in sorted(ledger.claims.values(), key=lambda c: c.number):
            settled = ("De vordering is voldaan." if claim.outstanding_cents == 0 and not claim.lapsed
                       else "Het bedrag staat in de vorderingsbeschikking.")
            entries.append({**base, "key": f"claim_{claim.number}", "due": claim.term_ends.isoformat(), "kind": "vordering",
                            "title": f"Laatste dag: vordering {claim.number} betalen", "source": CLAIM_SOURCE,
                            "lines": [f"De laatste dag om vordering {claim.number} te betalen, onder vermelding van dat "
                                      "nummer. Wie later betaalt, is in verzuim (Awb art. 4:97) en krijgt een aanmaning.",
                                      settled]})
            if claim.aanmaning_term_ends is not None:
                entries.append({**base, "key": f"aanmaning_{claim.number}", "due": claim.aanmaning_term_ends.isoformat(),
                                "kind": "vordering", "title": f"Laatste dag aanmaning: vordering {claim.number}",
                                "source": AANMANING_SOURCE,
                                "lines": [f"De laatste dag van de aanmaning van {claim.aanmaning_sent_on.isoformat()} om "
                                          f"vordering {claim.number} te betalen. Daarna kan een dwangbevel worden "
                                          "uitgevaardigd (Awb art. 4:117).", settled]})
    return entries
