"""Money rules as data: regional maximum, eligible cost lines, co-financing, the 2024 cap, vaststelling.

All amounts are integer euro cents; ratios are Decimal. Every rule takes its numbers from the
regulation in force on the day it is applied, and every refusal names that value's source.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from domain.errors import TransitionRefused
from domain.models import ApplicationDocuments, CostLine, PupilCount
from domain.regulation import Regulation
from domain.values import CostKind


def euro(cents: int) -> str:
    """EUR 1.234.567,89 in Dutch notation."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}EUR {whole:,}".replace(",", ".") + f",{rest:02d}"


def regional_maximum_cents(counts: list[PupilCount], regulation: Regulation, day: dt.date) -> int:
    """The region's maximum from its pupils in the technical profiles on the count date."""
    rates = regulation.param("pupil_rate_cents", day).value
    weights = regulation.param("pupil_track_weight", day).value
    total = Decimal(0)
    for c in counts:
        total += Decimal(c.pupils) * Decimal(rates[c.profile.value]) * Decimal(str(weights[c.track.value]))
    return int(total.to_integral_value(rounding=ROUND_FLOOR))


def check_cost_lines(lines: list[CostLine], regulation: Regulation, day: dt.date, *, years: list[int]) -> None:
    """Refuse the first cost line that a money rule forbids."""
    sectors = regulation.param("eligible_sectors", day)
    assets: dict[str, str] = {}
    for line in lines:
        if line.sector.value not in sectors.value:
            raise TransitionRefused(
                "money.no_havo_vwo_only",
                f"cost line '{line.description}' serves {line.sector.value} only; STO money may go to "
                f"{', '.join(sectors.value)} activities, never to havo/vwo alone",
                sectors.source,
                hint="assign the line to the vmbo activity that havo/vwo pupils may share, or remove it",
            )
        if line.year not in years:
            raise TransitionRefused(
                "money.year_outside_period",
                f"cost line '{line.description}' is for {line.year}; this grant covers {years[0]}–{years[-1]}",
                regulation.param("funded_years", day).source,
                hint="move the line to a year the subsidy covers",
            )
        if line.funded_by_nieuwe_leerweg:
            raise TransitionRefused(
                "money.no_double_funding",
                f"cost line '{line.description}' ({line.asset_id or 'no asset id'}) is also paid from the pilot "
                "nieuwe leerweg; one asset may not be paid from both",
                "Veelgestelde vragen STO: regeling OCW ('niet 1 machine betaald worden van beide subsidies')",
                hint="pay the asset from one of the two subsidies and remove it from the other budget",
            )
        if line.asset_id:
            if line.asset_id in assets:
                raise TransitionRefused(
                    "money.no_double_funding",
                    f"asset {line.asset_id} appears on two cost lines ('{assets[line.asset_id]}' and "
                    f"'{line.description}')",
                    "Veelgestelde vragen STO: regeling OCW (no double funding of one asset)",
                    hint="budget each asset once",
                )
            assets[line.asset_id] = line.description
        if line.kind is CostKind.PERSONNEL:
            check_hourly_rate(line.unit_price_cents, line.rate_motivation, regulation, day, what=line.description)


def check_hourly_rate(rate_cents: int, motivation: str | None, regulation: Regulation, day: dt.date, *, what: str) -> None:
    advised = regulation.param("hourly_rate_advised_cents", day)
    allowed = regulation.param("hourly_rate_allowed_cents", day)
    if rate_cents in (int(advised.value), int(allowed.value)):
        return
    if not (motivation and motivation.strip()):
        raise TransitionRefused(
            "money.hourly_rate_motivation",
            f"'{what}' uses an hourly rate of {euro(rate_cents)}; {euro(int(advised.value))} is advised and "
            f"{euro(int(allowed.value))} allowed without notice; any other rate needs a motivation",
            f"{advised.source}; {allowed.source}",
            hint="add a rate motivation, or use the advised or allowed rate",
        )


def check_application_money(
    documents: ApplicationDocuments,
    vmbo_schools: list[str],
    regulation: Regulation,
    day: dt.date,
    *,
    kind: str | None = None,
) -> int:
    """Refuse an application whose money breaks a rule; return the regional maximum."""
    years = [int(y) for y in regulation.param("funded_years", day).value]
    check_cost_lines(documents.begroting, regulation, day, years=years)
    unknown = sorted({c.brin for c in documents.pupil_counts} - set(vmbo_schools))
    if unknown:
        raise TransitionRefused(
            "money.pupils_of_member_schools",
            f"pupils are counted for schools that are not members of the region: {', '.join(unknown)}",
            regulation.param("pupil_count_date", day).source,
            hint="count only the region's vmbo schools from its vooraanmelding",
        )
    fixed = regulation.param("regional_maximum_per_kind_cents", day) if regulation.has_param(
        "regional_maximum_per_kind_cents", day) else None
    requested = documents.requested_cents
    if fixed is not None and kind in fixed.value:
        maximum = int(fixed.value[kind])
        basis, source = f"the fixed maximum per {kind}", fixed.source
    else:
        maximum = regional_maximum_cents(documents.pupil_counts, regulation, day)
        basis = f"computed from pupils on the count date {regulation.param('pupil_count_date', day).value}"
        source = regulation.param("pupil_rate_cents", day).source
    if requested > maximum:
        raise TransitionRefused(
            "money.regional_maximum",
            f"the begroting asks {euro(requested)}, above the regional maximum of {euro(maximum)} {basis}",
            source,
            hint="lower the begroting to the regional maximum",
        )
    threshold = regulation.param("cofinancing_threshold", day)
    needed = required_share(requested, Decimal(str(threshold.value)))
    if documents.cofinancing_cents < needed:
        raise TransitionRefused(
            "money.cofinancing_threshold",
            f"business co-financing pledged is {euro(documents.cofinancing_cents)}, below "
            f"{percent(Decimal(str(threshold.value)))} of {euro(requested)} = {euro(needed)}",
            threshold.source,
            hint="add pledges of companies (money or in kind) up to the threshold",
        )
    return maximum


def percent(ratio: Decimal) -> str:
    """0.075 -> '7.5%'."""
    return f"{(ratio * 100).normalize():f}%"


def required_share(amount_cents: int, ratio: Decimal) -> int:
    return int((Decimal(amount_cents) * ratio).to_integral_value(rounding=ROUND_CEILING))


def extension_cap_cents(granted_cents: int, regulation: Regulation, day: dt.date) -> int:
    share = Decimal(str(regulation.param("extension_cap_share", day).value))
    return int((Decimal(granted_cents) * share).to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True)
class Determination:
    granted_total_cents: int
    realised_costs_cents: int
    eligible_cents: int
    threshold: Decimal
    threshold_source: str
    cofinancing_required_cents: int
    cofinancing_realised_cents: int
    determined_cents: int
    paid_cents: int
    reclaim_cents: int
    explanation: list[str]


def determine(
    granted_total_cents: int,
    realised_costs_cents: int,
    cofinancing_realised_cents: int,
    paid_cents: int,
    regulation: Regulation,
    day: dt.date,
) -> Determination:
    """The vaststelling: eligible costs, then lowered when co-financing stays under the threshold."""
    threshold_param = regulation.param("cofinancing_threshold", day)
    threshold = Decimal(str(threshold_param.value))
    method = regulation.param("cofinancing_shortfall_method", day).value
    eligible = min(granted_total_cents, realised_costs_cents)
    required = required_share(eligible, threshold)
    explanation = [
        f"Granted {euro(granted_total_cents)}, realised costs {euro(realised_costs_cents)}: "
        f"eligible {euro(eligible)}.",
        f"Co-financing threshold in force on {day.isoformat()}: {percent(threshold)} ({threshold_param.source}); "
        f"required {euro(required)}, realised {euro(cofinancing_realised_cents)}.",
    ]
    determined = eligible
    if cofinancing_realised_cents < required:
        if method != "proportional":
            method_param = regulation.param("cofinancing_shortfall_method", day)
            raise TransitionRefused(
                "determination.shortfall_method",
                f"the scheme's co-financing shortfall method {method!r} is not one the engine knows (it knows 'proportional')",
                method_param.source,
                hint="correct cofinancing_shortfall_method in the scheme file (`sto schemes check` names it)",
            )
        supported = int((Decimal(cofinancing_realised_cents) / threshold).to_integral_value(rounding=ROUND_FLOOR))
        determined = min(eligible, supported)
        explanation.append(
            f"Co-financing under the threshold: the subsidy is determined lower, to the amount the realised "
            f"co-financing supports ({euro(cofinancing_realised_cents)} / {threshold}) = {euro(determined)}."
        )
    else:
        explanation.append("Co-financing meets the threshold: the subsidy is determined at the eligible amount.")
    reclaim = max(0, paid_cents - determined)
    explanation.append(f"Paid in advance {euro(paid_cents)}; to reclaim {euro(reclaim)}.")
    return Determination(
        granted_total_cents=granted_total_cents,
        realised_costs_cents=realised_costs_cents,
        eligible_cents=eligible,
        threshold=threshold,
        threshold_source=threshold_param.source,
        cofinancing_required_cents=required,
        cofinancing_realised_cents=cofinancing_realised_cents,
        determined_cents=determined,
        paid_cents=paid_cents,
        reclaim_cents=reclaim,
        explanation=explanation,
    )
