"""The regulation as dated, versioned data with its legal sources."""

from domain.regulation.answers import DeadlineInfo, ParameterInForce, RegulationInForce, UnknownRule
from domain.regulation.calendar import Regulation
from domain.regulation.schemes import default_regulation
from domain.regulation.model import (
    Addressee,
    Amendment,
    LegalSource,
    RegulationData,
    RegulationVersion,
    RollForward,
    TermKind,
    TermValue,
    VersionKind,
)

__all__ = [
    "Addressee",
    "Amendment",
    "DeadlineInfo",
    "LegalSource",
    "ParameterInForce",
    "Regulation",
    "RegulationData",
    "RegulationInForce",
    "RegulationVersion",
    "RollForward",
    "TermKind",
    "TermValue",
    "UnknownRule",
    "VersionKind",
    "default_regulation",
]
