"""What a letter says of the advances its besluit set (Aanwijzingen voor subsidieverstrekking, aanwijzing 18 c-d:
the advance is decided with the verlening, in instalments whose amounts and days the beschikking states; Awb 4:95
lid 4: the advances are set off against the amount due at the vaststelling)."""

from __future__ import annotations

from domain.ledger.follow import claim_number, payment_term  # the ledger names the claim the same way
from domain.state import BesluitRecord, GrantState
from domain.notifications import datum_nl


def _euro(cents: int) -> str:
    whole, rest = divmod(cents, 100)
    return f"€ {whole:,}".replace(",", ".") + f",{rest:02d}"


def advance_paragraphs(state: GrantState, besluit: BesluitRecord) -> list[str]:
    instalments = [i for i in state.advance_schedule if i.besluit == besluit.number]
    if not instalments:
        return []
    parts = "; ".join(f"termijn {i.number}: {_euro(i.amount_cents)} op of na {datum_nl(i.due)}" for i in instalments)
    return [
        f"Wij betalen de subsidie als voorschot uit, in {len(instalments)} termijnen (Aanwijzingen voor "
        f"subsidieverstrekking, aanwijzing 18): {parts}. Een termijn wordt betaald nadat twee medewerkers met een "
        "betaalvolmacht hem hebben vrijgegeven; wij schorten betalingen op als artikel 4:56 van de Algemene wet "
        "bestuursrecht dat vraagt.",
        "Bij de vaststelling verrekenen wij de betaalde voorschotten met het vastgestelde bedrag (Awb art. 4:95 lid 4).",
    ]


def claim_paragraphs(state: GrantState, besluit: BesluitRecord) -> list[str]:
    """A vaststelling that reclaims: the claim by beschikking (Awb 4:86: the sum and the term), with the number a
    repayment is matched on (the vorderingsnummer and the subsidy number, as DUS-I's letters ask)."""
    determination = state.determination
    if besluit.kind != "determination" or determination is None or determination.reclaim_cents <= 0:
        return []
    last_day, words = payment_term(besluit.sent_on)
    return [
        f"Wij vorderen {_euro(determination.reclaim_cents)} van u terug: het verschil tussen de betaalde voorschotten en "
        "het vastgestelde bedrag (Awb art. 4:57 lid 1 en 4:95 lid 4).",
        f"Betaal dit bedrag uiterlijk op {datum_nl(last_day)} ({words}), onder vermelding van vorderingsnummer "
        f"{claim_number(state.region_code, state.scheme, besluit.number)} en subsidienummer {state.region_code}. Betaalt u "
        "niet op tijd, dan bent u in verzuim (Awb art. 4:97), sturen wij een aanmaning (art. 4:112) en bent u wettelijke "
        "rente verschuldigd vanaf het verzuim (art. 4:98).",
    ]
