"""Value types of the STO domain: enums and small validated values.

Dutch legal nouns stay Dutch in docstrings and display names; identifiers are English.
"""

from __future__ import annotations

import re
import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, WithJsonSchema

# Namespace for deterministic grant ids: uuid5(GRANT_NAMESPACE, region code).
GRANT_NAMESPACE = uuid.UUID("5f0c6a2e-8d3b-4f43-9a51-3b0c1d5e7a90")


class RegionKind(StrEnum):
    """The two kinds of STO region (Subsidieregeling STO 2020–2023)."""

    TECHNIEKREGIO = "techniekregio"
    TECHNIEKARME_REGIO = "techniekarme_regio"


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


class AdviceJudgement(StrEnum):
    SUFFICIENT = "sufficient"  # voldoende
    INSUFFICIENT = "insufficient"  # onvoldoende


class ObjectionOutcome(StrEnum):
    UPHELD = "upheld"  # gegrond
    DISMISSED = "dismissed"  # ongegrond


class DecisionKind(StrEnum):
    APPROVAL = "approval"  # verlening
    REJECTION = "rejection"  # afwijzing
    SET_ASIDE = "set_aside"  # buiten behandeling gesteld (Awb 4:5)


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


def _non_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


# The patterns say the same as the validators (in the JSON Schema and so in the API's OpenAPI document);
# the validators check, normalise (strip, upper-case) and give the explanatory message.
Brin6 = Annotated[
    str, AfterValidator(_brin6), WithJsonSchema({"type": "string", "pattern": r"^\s*[0-9]{2}[A-Za-z0-9]{2}[0-9]{2}\s*$"})
]
RegionCode = Annotated[
    str, AfterValidator(_region_code), WithJsonSchema({"type": "string", "pattern": r"^\s*[A-Za-z0-9][A-Za-z0-9-]{1,31}\s*$"})
]
NonBlank = Annotated[str, AfterValidator(_non_blank), WithJsonSchema({"type": "string", "pattern": r"\S"})]


def grant_id_for(region_code: str) -> uuid.UUID:
    """The deterministic aggregate id of a region's grant."""
    return uuid.uuid5(GRANT_NAMESPACE, _region_code(region_code))
