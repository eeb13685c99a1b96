"""Value types of the STO domain: enums and small validated values.

Dutch legal nouns stay Dutch in docstrings and display names; identifiers are English.
"""

from __future__ import annotations

import re
import uuid
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

# Namespace for deterministic grant ids: uuid5(GRANT_NAMESPACE, region code).
GRANT_NAMESPACE = uuid.UUID("5f0c6a2e-8d3b-4f43-9a51-3b0c1d5e7a90")


class RegionKind(StrEnum):
    """The kinds of STO region; each scheme declares which it has (`[[region_kinds]]`)."""

    TECHNIEKREGIO = "techniekregio"
    TECHNIEKARME_REGIO = "techniekarme_regio"  # 2020–2024
    TECHNIEKLUWE_REGIO = "techniekluwe_regio"  # the name from 2025 on


class GrantStatus(StrEnum):
    """Where a region's grant stands in its life."""

    PRE_REGISTERED = "pre_registered"  # vooraanmelding ontvangen
    APPLICATION_SUBMITTED = "application_submitted"  # aanvraag ontvangen
    REPAIR_REQUESTED = "repair_requested"  # herstel verzuim gevraagd (Awb 4:5)
    UNDER_ASSESSMENT = "under_assessment"  # compleet, bij de beoordelingscommissie
    ADVISED = "advised"  # advies beoordelingscommissie ontvangen
    REJECTED = "rejected"  # aanvraag afgewezen of buiten behandeling gesteld
    IN_OBJECTION = "in_objection"  # bezwaar aanhangig
    APPROVED = "approved"  # subsidie verleend, in uitvoering
    FINAL_REPORT_SUBMITTED = "final_report_submitted"  # eindverslag ontvangen
    DETERMINED = "determined"  # subsidie vastgesteld (vaststelling)
    WITHDRAWN = "withdrawn"  # ingetrokken
    LAPSED = "lapsed"  # vervallen: termijn verstreken zonder vereiste stap

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({GrantStatus.DETERMINED, GrantStatus.WITHDRAWN, GrantStatus.LAPSED})


class Role(StrEnum):
    """Who acts: DUS-I back office, auditors, the region's penvoerder, or the engine itself."""

    OPERATOR = "operator"
    AUDITOR = "auditor"
    REGION = "region"
    SYSTEM = "system"


class Sector(StrEnum):
    """Education sector a cost line serves."""

    PO = "po"
    VMBO = "vmbo"
    MBO = "mbo"
    HAVO_VWO = "havo_vwo"


class CostKind(StrEnum):
    PERSONNEL = "personnel"  # inhuur/inzet personeel: price is an hourly rate
    MATERIAL = "material"  # machines, gereedschap, lesmateriaal
    OTHER = "other"


class TechProfile(StrEnum):
    """Technical vmbo profiles counted for the regional maximum."""

    PIE = "PIE"  # Produceren, installeren en energie
    BWI = "BWI"  # Bouwen, wonen en interieur
    MT = "M&T"  # Mobiliteit en transport
    MAT = "MaT"  # Maritiem en techniek
    MVI = "MVI"  # Media, vormgeving en ICT


class Track(StrEnum):
    """vmbo learning track (leerweg) of counted pupils."""

    BB = "bb"  # basisberoepsgerichte leerweg
    KB = "kb"  # kaderberoepsgerichte leerweg
    GL = "gl"  # gemengde leerweg (counts half)


class PartnerKind(StrEnum):
    COMPANY = "company"  # bedrijf
    MUNICIPALITY = "municipality"  # gemeente
    PO_SCHOOL_BOARD = "po_school_board"  # schoolbestuur primair onderwijs (po-samenwerking, from 2025 on)


class AdviceJudgement(StrEnum):
    SUFFICIENT = "sufficient"  # voldoende
    INSUFFICIENT = "insufficient"  # onvoldoende


class ObjectionOutcome(StrEnum):
    UPHELD = "upheld"  # gegrond
    DISMISSED = "dismissed"  # ongegrond


class MeldingKind(StrEnum):
    """What the region reports under its meldingsplicht: activities that will not take place on time, fully or at all."""

    NOT_ON_TIME = "not_on_time"
    NOT_FULLY = "not_fully"
    NOT_AT_ALL = "not_at_all"


class DecisionKind(StrEnum):
    """The besluiten of a grant's life; each is declared, with its objection term, in the scheme's data."""

    APPROVAL = "approval"  # verlening
    REJECTION = "rejection"  # afwijzing
    SET_ASIDE = "set_aside"  # buiten behandeling gesteld (Awb 4:5)
    EXTENSION = "extension"  # verlening van de verlenging (2024)
    DETERMINATION = "determination"  # vaststelling
    WITHDRAWAL = "withdrawal"  # intrekking
    LOWERING = "lowering"  # verlaging van de verlening vóór de vaststelling (Awb 4:48)


# --- numbers -----------------------------------------------------------------------------


def _no_truth_value(value: Any) -> Any:
    if isinstance(value, bool):  # pydantic's lax mode reads true as 1 and false as 0: a rate of 1 cent
        raise ValueError("a number, not true or false")
    return value


# Every whole number of a command or a document is one of these (an amount, a count, a year, a version, a choice
# of 1, 2 or 3): JSON's true and false are refused, what else pydantic takes for a number (12, "12", 12.0) is not.
# tests/unit/test_numbers_are_no_booleans.py checks every number field of every command for it.
NOT_TRUE_OR_FALSE = BeforeValidator(_no_truth_value)
WholeNumber = Annotated[int, NOT_TRUE_OR_FALSE]


# --- small validated strings -------------------------------------------------------------

_BRIN6 = re.compile(r"^[0-9]{2}[A-Z0-9]{2}[0-9]{2}$")
_REGION_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")


def _brin6(value: str) -> str:
    value = value.strip().upper()
    if not _BRIN6.match(value):
        raise ValueError(
            "a vmbo school is identified by its 6-character BRIN with location number "
            "(4-character BRIN + 2-digit vestigingsnummer, e.g. '12AB00')"
        )
    return value


def _region_code(value: str) -> str:
    value = value.strip().upper()
    if not _REGION_CODE.match(value):
        raise ValueError(
            "a region code is 2-32 characters: capital letters, digits and '-', "
            "starting with a letter or digit (e.g. 'STO-GOOI')"
        )
    return value


# Characters that no text of a grant may hold: C0 and C1 controls (NUL, ESC, ...), DEL, and the Unicode
# controls that reorder or hide text on screen (bidi embeddings, overrides and isolates, line separators).
# They would be stored raw and written raw to a terminal or a letter. Tab and newline are allowed in
# multi-line texts only.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_FORBIDDEN_MULTILINE = re.compile(f"[{_CONTROLS}]")
_FORBIDDEN_ONE_LINE = re.compile(f"[{_CONTROLS}\t\n\r]")

# Bounds every store, read model and terminal can hold; far above what any real document needs.
NAME_MAX = 200  # names, titles, identifiers: one line
TEXT_MAX = 2_000  # reasons, grounds, remarks, motivations
LONG_TEXT_MAX = 20_000  # regiovisie, summaries, addenda


def _checked_text(value: str, limit: int, forbidden: re.Pattern[str], blank_ok: bool = False) -> str:
    value = value.strip()
    if not value and not blank_ok:
        raise ValueError("must not be blank")
    if len(value) > limit:
        raise ValueError(f"at most {limit} characters (this has {len(value)}); shorten it or attach a document")
    found = forbidden.search(value)
    if found:
        raise ValueError(
            f"must not contain the control character U+{ord(found.group()):04X} (at position {found.start() + 1}); "
            "retype the text without it"
        )
    return value


def _text(limit: int, one_line: bool, blank_ok: bool = False) -> Any:
    forbidden = _FORBIDDEN_ONE_LINE if one_line else _FORBIDDEN_MULTILINE
    allowed = f"[^{_CONTROLS}{chr(92)}t{chr(92)}n{chr(92)}r]" if one_line else f"[^{_CONTROLS}]"
    pattern = f"^{allowed}*$" if blank_ok else f"^{allowed}*\\S{allowed}*$"
    return Annotated[
        str,
        AfterValidator(lambda value: _checked_text(value, limit, forbidden, blank_ok)),
        WithJsonSchema({"type": "string", "pattern": pattern, "maxLength": limit}),
    ]


# The patterns say the same as the validators (in the JSON Schema and so in the API's OpenAPI document);
# the validators check, normalise (strip, upper-case) and give the explanatory message.
Brin6 = Annotated[
    str, AfterValidator(_brin6), WithJsonSchema({"type": "string", "pattern": r"^\s*[0-9]{2}[A-Za-z0-9]{2}[0-9]{2}\s*$"})
]
RegionCode = Annotated[
    str, AfterValidator(_region_code), WithJsonSchema({"type": "string", "pattern": r"^\s*[A-Za-z0-9][A-Za-z0-9-]{1,31}\s*$"})
]
Name = _text(NAME_MAX, one_line=True)  # one line: a name, title or key
NonBlank = _text(TEXT_MAX, one_line=False)  # a reason, ground, remark: may span lines
LongText = _text(LONG_TEXT_MAX, one_line=False)  # a regiovisie, summary or addendum
OptionalText = _text(TEXT_MAX, one_line=False, blank_ok=True)  # a remark that may be left empty


def grant_id_for(region_code: str, scope: str | None = None) -> uuid.UUID:
    """The deterministic aggregate id of a region's grant in a scheme (`scope`: the scheme id; None for the
    scheme of the grants recorded before there were schemes, whose ids name the region only)."""
    code = _region_code(region_code)
    return uuid.uuid5(GRANT_NAMESPACE, code if scope is None else f"{scope}/{code}")
