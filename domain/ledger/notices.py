"""What the region is told of its claims, by mail, once each (the outbox delivers a key once): a reminder before the
term of Awb 4:87 ends, and the aanmaning itself, which Awb 4:112 lid 1 requires in writing ("maant ... schriftelijk
aan"), with the warning of lid 3 that collection may follow at the debtor's cost. Pure; the daily run sends them."""

from __future__ import annotations

import datetime as dt
import uuid

from domain.ledger.aggregate import ClaimLine, Ledger
from domain.notifications import REMINDER_NAMESPACE, Notification, datum_nl
from domain.state import GrantState

CLAIM_REMINDER_DAYS = (14, 3)  # before the last day of the term


def _euro(cents: int) -> str:
    whole, rest = divmod(cents, 100)
    return f"€ {whole:,}".replace(",", ".") + f",{rest:02d}"


def _notice(state: GrantState, claim: ClaimLine, kind: str, due: dt.date, offset: int, subject: str, lines: list[str]) -> Notification:
    key = f"{state.region_code}|{state.scheme or ''}|{claim.number}|{kind}|{due.isoformat()}|{offset}"
    return Notification(
        key=key, message_id=f"<{uuid.uuid5(REMINDER_NAMESPACE, key)}@sto.dus-i.example>", region_code=state.region_code,
        deadline_key=f"claim:{claim.number}:{kind}", due=due, offset_days=offset, to=state.penvoerder.email,
        subject=subject, body="\n".join([f"Geachte penvoerder van {state.region_name},", "", *lines, "",
                                         "Met vriendelijke groet,", "Dienst Uitvoering Subsidies aan Instellingen"]))


def claim_notices(ledger: Ledger, state: GrantState, day: dt.date) -> list[Notification]:
    """The mails `day` brings for the grant's claims."""
    found: list[Notification] = []
    for claim in ledger.claims.values():
        if claim.lapsed or claim.principal_outstanding_cents == 0:
            continue
        pay_under = f"onder vermelding van vorderingsnummer {claim.number} en subsidienummer {state.region_code}"
        for offset in CLAIM_REMINDER_DAYS:
            if claim.in_default_since is None and (claim.term_ends - day).days == offset:
                found.append(_notice(state, claim, "reminder", claim.term_ends, offset,
                                     f"Herinnering: vordering {claim.number} betalen uiterlijk {datum_nl(claim.term_ends)}", [
                    f"Op {datum_nl(claim.term_ends)} eindigt de termijn om de vordering {claim.number} te betalen "
                    f"(Algemene wet bestuursrecht art. 4:87). Openstaand: {_euro(claim.principal_outstanding_cents)}.",
                    f"Betaal {pay_under}. Na die dag bent u in verzuim (art. 4:97) en is wettelijke rente verschuldigd (art. 4:98).",
                ]))
        if claim.aanmaning_sent_on == day and claim.aanmaning_term_ends is not None:
            found.append(_notice(state, claim, "aanmaning", claim.aanmaning_term_ends, 0,
                                 f"Aanmaning: vordering {claim.number}", [
                f"U hebt de vordering {claim.number} niet binnen de termijn betaald en bent in verzuim sinds "
                f"{datum_nl(claim.in_default_since or day)} (Algemene wet bestuursrecht art. 4:97).",
                f"Wij manen u aan het openstaande bedrag van {_euro(claim.principal_outstanding_cents)} te betalen binnen twee "
                f"weken, gerekend vanaf de dag na deze aanmaning: uiterlijk op {datum_nl(claim.aanmaning_term_ends)} "
                f"(art. 4:112 lid 1), {pay_under}.",
                "Betaalt u niet op tijd, dan kunnen wij de vordering invorderen bij dwangbevel, op uw kosten (art. 4:112 lid 3, "
                "4:114 tot en met 4:117 en 4:57 lid 2). Over het bedrag bent u wettelijke rente verschuldigd vanaf het verzuim "
                "(art. 4:98).",
            ]))
    return found
