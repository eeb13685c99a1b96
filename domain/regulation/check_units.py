"""The scheme check's rule parameters: every parameter a rule reads has the unit that rule expects, and every
value has the shape of its unit (money in whole cents, never negative; ratios between 0 and 1; years; dates)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from domain.regulation.check_findings import Findings, Parsed, listed
from domain.values import RegionKind, Sector

# The parameters the rules read, and the units they expect (domain/money.py, domain/decide/, the budget pools).
RULE_UNITS: dict[str, tuple[set[str], str]] = {
    "repair_period_days": ({"days"}, "herstel verzuim (Awb 4:5), domain/decide/application.py"),
    "cofinancing_threshold": ({"ratio"}, "co-financing at application and vaststelling, domain/money.py"),
    "cofinancing_shortfall_method": ({"method"}, "vaststelling, domain/money.py"),
    "funded_years": ({"years"}, "the years a grant may cover, domain/decide/core.py"),
    "pupil_count_date": ({"date"}, "the regional maximum, domain/money.py"),
    "pupil_rate_cents": ({"cents_per_pupil"}, "the regional maximum, domain/money.py"),
    "pupil_track_weight": ({"ratio"}, "the regional maximum, domain/money.py"),
    "eligible_sectors": ({"sectors"}, "cost lines, domain/money.py"),
    "hourly_rate_advised_cents": ({"cents"}, "hourly rates, domain/money.py"),
    "hourly_rate_allowed_cents": ({"cents"}, "hourly rates, domain/money.py"),
    "region_min_vmbo_schools": ({"count"}, "region composition, domain/decide/application.py"),
    "region_min_mbo_institutions": ({"count"}, "region composition, domain/decide/application.py"),
    "region_min_partners": ({"count"}, "region composition, domain/decide/application.py"),
    "region_min_po_school_boards": ({"count"}, "region composition (po cooperation), domain/decide/application.py"),
    "eligible_costs_from": ({"date"}, "eligible costs"),
    "extension_cap_share": ({"ratio"}, "the extension's cap, domain/money.py"),
    "extension_budget_cents": ({"cents"}, "the extension's budget pool"),
    "extension_year": ({"year"}, "the extension year, domain/decide/execution.py"),
    "regional_maximum_per_kind_cents": ({"cents_per_kind"}, "a fixed regional maximum per region kind, domain/money.py"),
}
METHODS = {"cofinancing_shortfall_method": {"proportional"}}


def check_parameters(parsed: Parsed, findings: Findings) -> None:
    for i, p in parsed.section("parameters"):
        expected = RULE_UNITS.get(p.key)
        if expected is not None and p.unit not in expected[0]:
            findings.error(f"parameters[{i}].unit", f"parameter {p.key!r} is read by {expected[1]} as {listed(expected[0])}, not {p.unit!r}",
                           f"write unit = {sorted(expected[0])[0]!r} and a value of that unit", "parameter.unit")
            continue
        shape = SHAPES.get(p.unit)
        for j, value in enumerate(p.values):
            where = f"parameters[{i}].values[{j}].value"
            if shape is None:
                if j == 0:
                    findings.note(f"parameters[{i}].unit", f"unit {p.unit!r} is not one the checker knows: the values are not checked",
                                  f"units checked: {listed(set(SHAPES))}", "parameter.unit")
                continue
            problem = shape(value.value)
            if problem:
                findings.error(where, f"{p.key} ({p.unit}): {problem}", f"write {UNIT_EXAMPLES[p.unit]}", "parameter.value")
            elif p.key in METHODS and value.value not in METHODS[p.key]:
                findings.error(where, f"{value.value!r} is not a method the rule knows", f"use one of {listed(METHODS[p.key])}", "parameter.value")


def _whole(value: Any, low: int = 0, high: int | None = None) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{value!r} is not a whole number"
    if value < low:
        return f"{value} is negative" if low == 0 else f"{value} is below {low}"
    if high is not None and value > high:
        return f"{value} is above {high}"
    return None


def _ratio(value: Any) -> str | None:
    if isinstance(value, dict):
        return next((f"{k}: {bad}" for k, r in value.items() if (bad := _ratio(r))), None)
    if isinstance(value, bool):
        return f"{value!r} is not a ratio"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return f"{value!r} is not a number"
    return None if Decimal(0) <= number <= Decimal(1) else f"{value} is not between 0 and 1"


def _date(value: Any) -> str | None:
    if isinstance(value, dt.date):
        return None
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return f"{value!r} is not a date"
    return None


def _per(value: Any, key: Callable[[str], str | None]) -> str | None:
    if not isinstance(value, dict) or not value:
        return "not a table"
    return next((f"{k}: {p}" for k, v in value.items() if (p := key(str(k)) or _whole(v))), None)


def _year_key(key: str) -> str | None:
    return None if key.isdigit() and 1900 <= int(key) <= 2200 else f"{key!r} is not a year"


def _list(value: Any, item: Callable[[Any], str | None]) -> str | None:
    if not isinstance(value, list) or not value:
        return "not a list"
    return next((p for v in value if (p := item(v))), None)


SHAPES: dict[str, Callable[[Any], str | None]] = {
    "days": _whole,
    "count": _whole,
    "cents": _whole,
    "year": lambda v: _whole(v, 1900, 2200),
    "years": lambda v: _list(v, lambda y: _whole(y, 1900, 2200)),
    "ratio": _ratio,
    "date": _date,
    "cents_per_year": lambda v: _per(v, _year_key),
    "cents_per_pupil": lambda v: _per(v, lambda k: None),
    "cents_per_kind": lambda v: _per(v, lambda k: None if k in {r.value for r in RegionKind} else f"{k!r} is not a region kind"),
    "sectors": lambda v: _list(v, lambda s: None if s in {x.value for x in Sector} else f"{s!r} is not a sector ({listed({x.value for x in Sector})})"),
    "method": lambda v: None if isinstance(v, str) and v else f"{v!r} is not a method's name",
}
UNIT_EXAMPLES = {
    "days": "a whole number of days, e.g. 42", "count": "a whole number, 0 or more", "cents": "a whole number of cents, 0 or more",
    "year": "a year, e.g. 2030", "years": "a list of years, e.g. [2030, 2031]", "ratio": 'a ratio between 0 and 1 as text, e.g. "0.10"',
    "date": 'a date, e.g. "2030-01-01"', "cents_per_year": "a table of year = cents, e.g. { 2030 = 9000000000 }",
    "cents_per_pupil": 'a table of profile = cents, e.g. { "PIE" = 400000 }',
    "cents_per_kind": 'a table of region kind = cents, e.g. { "techniekregio" = 400000000 }', "sectors": 'a list of sectors, e.g. ["po", "vmbo"]',
    "method": 'the name of a method, e.g. "proportional"',
}
