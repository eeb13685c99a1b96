"""Synthetic regions: names, schools, pupils and budgets generated deterministically from a seed.

Used by the historic replay (`sto demo`), the benchmarks and the tests. Nothing here is real data;
amounts are generated within the regulation's rates and ceilings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from domain.models import (
    Activity,
    ApplicationDocuments,
    CofinancingPledge,
    CostLine,
    ExtensionPlan,
    Partner,
    Penvoerder,
    PupilCount,
)
from domain.values import CostKind, PartnerKind, RegionKind, Sector, TechProfile, Track

PLACES = [
    "Gooi", "Amersfoort", "Zwolle", "Twente", "Achterhoek", "Drechtsteden", "Westland", "Haaglanden",
    "Rijnmond", "Zeeland", "West-Brabant", "Midden-Brabant", "Noordoost-Brabant", "Eindhoven", "Helmond",
    "Noord-Limburg", "Midden-Limburg", "Zuid-Limburg", "Nijmegen", "Arnhem", "Rivierenland", "Veluwe",
    "Apeldoorn", "Deventer", "Salland", "Drenthe", "Groningen", "Friesland", "Noordwest-Friesland",
    "Flevoland", "Almere", "Utrecht", "Amstelland", "Zaanstreek", "West-Friesland", "Kop van Noord-Holland",
    "Kennemerland", "Haarlemmermeer", "Leiden", "Alphen", "Gouda", "Delft", "Dordrecht", "Hoeksche Waard",
    "Voorne-Putten", "Goeree", "Walcheren", "Zeeuws-Vlaanderen", "Bergen op Zoom", "Breda", "Tilburg",
    "Den Bosch", "Oss", "Uden", "Venlo", "Roermond", "Weert", "Heerlen", "Sittard", "Maastricht", "Tiel",
    "Ede", "Wageningen", "Harderwijk", "Kampen", "Hardenberg", "Emmen", "Assen", "Hoogeveen", "Meppel",
    "Heerenveen", "Sneek", "Leeuwarden", "Drachten", "Delfzijl", "Veendam", "Winschoten", "Stadskanaal",
    "Den Helder", "Hoorn", "Enkhuizen", "Purmerend", "Hilversum", "Woerden", "Nieuwegein", "Zeist", "Veenendaal",
    "Lelystad", "Dronten", "Urk", "Terneuzen", "Middelburg", "Vlissingen", "Goes", "Schouwen", "Tholen",
]
COMPANIES = ["Installatiebedrijf", "Bouwgroep", "Metaalunie-lid", "Technisch Bureau", "Scheepswerf", "Autobedrijf", "ICT-bedrijf"]


def region_code(index: int) -> str:
    return f"STO-R{index:03d}"


@dataclass(frozen=True)
class SyntheticRegion:
    index: int
    code: str
    name: str
    kind: RegionKind
    penvoerder: Penvoerder
    vmbo_schools: list[str]
    mbo_institutions: list[str]
    partners: list[Partner]

    def vooraanmelding_fields(self) -> dict:
        return {
            "region_code": self.code,
            "region_name": self.name,
            "kind": self.kind,
            "penvoerder": self.penvoerder,
            "vmbo_schools": self.vmbo_schools,
            "mbo_institutions": self.mbo_institutions,
            "partners": self.partners,
        }


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def synthetic_region(index: int, seed: int = 2018, kind: RegionKind | None = None) -> SyntheticRegion:
    rng = _rng(seed, "region", index)
    place = PLACES[index % len(PLACES)] + ("" if index < len(PLACES) else f" {index // len(PLACES) + 1}")
    if kind is None:
        kind = RegionKind.TECHNIEKARME_REGIO if rng.random() < 0.15 else RegionKind.TECHNIEKREGIO
    brin4 = f"{rng.randint(10, 99)}{rng.choice('ABCDEFGHJKLMNPRSTUVWXZ')}{rng.choice('ABCDEFGHJKLMNPRSTUVWXZ')}"
    schools = [f"{brin4}{n:02d}" for n in range(rng.randint(2, 6))]
    partners = [
        Partner(name=f"{rng.choice(COMPANIES)} {place} {n + 1}", kind=PartnerKind.COMPANY) for n in range(rng.randint(1, 3))
    ]
    if rng.random() < 0.6:
        partners.append(Partner(name=f"Gemeente {place}", kind=PartnerKind.MUNICIPALITY))
    return SyntheticRegion(
        index=index,
        code=region_code(index),
        name=f"STO {place}",
        kind=kind,
        penvoerder=Penvoerder(
            name=f"Stichting Voortgezet Onderwijs {place}",
            bevoegd_gezag=f"{40000 + index:05d}",
            email=f"penvoerder@{region_code(index).lower()}.sto.example",
        ),
        vmbo_schools=schools,
        mbo_institutions=[f"ROC {place}"],
        partners=partners,
    )


# the rows a school's pupils fill in turn when one row would pass the domain's bound of 10,000 (PupilCount);
# all bb or kb, so each pupil weighs 1; the gl row of each school is drawn apart
_FULL_ROWS = [(profile, track) for track in (Track.BB, Track.KB) for profile in TechProfile]
_ROW_BOUND = 10_000


def pupil_counts_for(region: SyntheticRegion, target_maximum_cents: int, seed: int = 2018) -> list[PupilCount]:
    """Pupil counts whose regional maximum lies a little above `target_maximum_cents` (at the lowest rate).

    A school's pupils go to PIE/bb first; what passes the bound of one count row moves on to the next profile
    and track. With few regions one region's share of a national ceiling is large (`sto demo --regions 6`):
    a row capped at the bound without moving on gave a maximum below the begroting (money.regional_maximum).
    """
    rng = _rng(seed, "pupils", region.index)
    per_school = target_maximum_cents / len(region.vmbo_schools)
    counts = []
    for brin in region.vmbo_schools:
        # at least 2,400 EUR per weighted pupil (the lowest rate): enough pupils for any profile mix
        pupils = int(per_school / 240_000 * 1.25) + 1
        if pupils > _ROW_BOUND * len(_FULL_ROWS):
            raise ValueError(f"{region.code}: {pupils} pupils per school do not fit {len(_FULL_ROWS)} count rows")
        for profile, track in _FULL_ROWS:
            counts.append(PupilCount(brin=brin, profile=profile, track=track, pupils=min(pupils, _ROW_BOUND)))
            pupils -= _ROW_BOUND
            if pupils <= 0:
                break
        counts.append(PupilCount(brin=brin, profile=rng.choice([TechProfile.BWI, TechProfile.MT]), track=Track.GL, pupils=rng.randint(5, 40)))
    return counts


def begroting_for(region: SyntheticRegion, per_year: dict[int, int], seed: int = 2018, tag: str = "") -> list[CostLine]:
    """Cost lines (price x quantity) that add up to exactly `per_year`."""
    rng = _rng(seed, "begroting", region.index, tag)
    lines: list[CostLine] = []
    for year, amount in sorted(per_year.items()):
        personnel = amount * rng.randint(30, 50) // 100
        hours = personnel // 5500
        personnel_cents = hours * 5500
        material = amount - personnel_cents
        if hours:
            lines.append(
                CostLine(
                    description=f"Inzet docenten techniek {year}",
                    sector=Sector.VMBO,
                    year=year,
                    kind=CostKind.PERSONNEL,
                    unit_price_cents=5500,
                    quantity=Decimal(hours),
                )
            )
        po_part = material // 5
        if po_part:
            lines.append(
                CostLine(description=f"Techniekles basisonderwijs {year}", sector=Sector.PO, year=year,
                         kind=CostKind.OTHER, unit_price_cents=po_part, quantity=Decimal(1))
            )
        rest = material - po_part
        if rest:
            lines.append(
                CostLine(description=f"Machines en gereedschap {year}", sector=Sector.VMBO, year=year,
                         kind=CostKind.MATERIAL, unit_price_cents=rest, quantity=Decimal(1),
                         asset_id=f"{region.code}-M{year}")
            )
    return lines


def application_documents(
    region: SyntheticRegion,
    per_year: dict[int, int],
    *,
    cofinancing_share: Decimal = Decimal("0.12"),
    addendum: str | None = None,
    seed: int = 2018,
    tag: str = "",
) -> ApplicationDocuments:
    total = sum(per_year.values())
    cofinancing = int(total * cofinancing_share) + 1
    partners = [p for p in region.partners if p.kind is PartnerKind.COMPANY] or region.partners
    share, rest = divmod(cofinancing, len(partners))
    pledges = [
        CofinancingPledge(partner=p.name, amount_cents=share + (rest if i == 0 else 0), in_kind=i % 2 == 1)
        for i, p in enumerate(partners)
    ]
    return ApplicationDocuments(
        regiovisie=f"Regiovisie {region.name}: sterk techniekonderwijs voor alle leerlingen in de regio.",
        activiteitenplan=[
            Activity(title="Moderne praktijklokalen", programme_line="infrastructuur"),
            Activity(title="Doorlopende leerlijn po-vmbo-mbo", programme_line="doorlopende leerlijnen"),
            Activity(title="Samenwerking met het bedrijfsleven", programme_line="bedrijfsleven"),
        ],
        begroting=begroting_for(region, per_year, seed, tag),
        cofinancing=pledges,
        pupil_counts=pupil_counts_for(region, int(total * 1.15), seed),
        addendum=addendum,
    )


def extension_plan(region: SyntheticRegion, requested_cents: int, year: int = 2024) -> ExtensionPlan:
    return ExtensionPlan(
        summary=f"Plan 2024 {region.name}: bestaande activiteiten en afschrijvingen lopen door.",
        requested_cents=requested_cents,
        cost_lines=[
            CostLine(description=f"Activiteiten {year}", sector=Sector.VMBO, year=year, kind=CostKind.OTHER,
                     unit_price_cents=requested_cents, quantity=Decimal(1))
        ],
    )


def detailed_plan(region: SyntheticRegion, key: str, per_year: dict[int, int]) -> ExtensionPlan:
    """An uitgewerkt plan (2025–2028) with a budget line per year of the plan, adding up to `per_year`."""
    lines = [
        CostLine(description=f"Activiteiten {year} volgens het uitgewerkte plan", sector=Sector.VMBO, year=year,
                 kind=CostKind.OTHER, unit_price_cents=amount, quantity=Decimal(1))
        for year, amount in sorted(per_year.items()) if amount
    ]
    return ExtensionPlan(
        summary=f"Uitgewerkt plan {key} {region.name}: activiteiten en begroting per jaar, met het primair onderwijs.",
        requested_cents=sum(per_year.values()), cost_lines=lines,
    )
