"""What a letter says of the advances its besluit set (Aanwijzingen voor subsidieverstrekking, aanwijzing 18 c-d:
the advance is decided with the verlening, in instalments whose amounts and days the beschikking states; Awb 4:95
lid 4: the advances are set off against the amount due at the vaststelling)."""

from __future__ import annotations

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
