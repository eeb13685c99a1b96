"""IBANs and BICs as the engine stores and shows them: normalised, checked with schwifty, masked for display.

The check is ISO 13616: the country's length and BBAN format (the IBAN registry) and the two check digits
(ISO 7064 mod 97-10). There is deliberately **no** national check of the account number: Dutch accounts issued
since the IBAN took over need not pass the old "elfproef" (Betaalvereniging, IBAN-next; schwifty no longer
registers the Dutch algorithm, and `validate_bban` stays off so no country's national digits refuse a payee).
A wrong IBAN is refused with InvalidInput naming the rule and what to do; nothing else is raised.
"""

from __future__ import annotations

import re

from schwifty import BIC, IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    InvalidStructure,
    SchwiftyException,
)

from domain.errors import InvalidInput

IBAN_RULE = "ISO 13616: the country's IBAN format and the check digits"
BIC_RULE = "ISO 9362: a BIC has 8 or 11 characters"
_NOT_PART = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\-.]+")


def normalise_iban(value: str) -> str:
    """The IBAN as stored: no spaces, dashes or dots, upper case ("nl91 abna 0417 1643 00" -> "NL91ABNA0417164300")."""
    return _NOT_PART.sub("", value or "").upper()


def check_iban(value: str, *, field: str = "iban") -> str:
    """The normalised IBAN when its format and check digits are right; InvalidInput naming the fault otherwise."""
    iban = normalise_iban(value)
    problem = _problem(iban) if iban else "is empty"
    if problem is None:
        return iban
    raise InvalidInput(
        f"{field} {mask_iban(iban)} {problem} ({IBAN_RULE})".replace("  ", " "),
        field=field,
        hint="copy the IBAN again from the bank statement or the account holder's letter; it is printed in groups of four",
    )


def _problem(iban: str) -> str | None:
    try:
        IBAN(iban)
    except InvalidCountryCode:
        return f"starts with {iban[:2]!r}, which is no country that uses the IBAN"
    except InvalidLength:
        return f"has {len(iban)} characters, not the length an IBAN of {iban[:2]} has"
    except InvalidChecksumDigits:
        return "has wrong check digits (a typing error: two characters swapped, one wrong or missing)"
    except InvalidStructure:
        return f"does not have the format of an IBAN of {iban[:2]}"
    except SchwiftyException as error:
        return f"is not a valid IBAN ({error})"
    return None


def check_bic(value: str, *, field: str = "bic") -> str:
    """The normalised BIC (8 or 11 characters, a known country); InvalidInput otherwise."""
    bic = _NOT_PART.sub("", value or "").upper()
    try:
        return str(BIC(bic))
    except SchwiftyException as error:
        raise InvalidInput(
            f"{field} {bic!r} is not a valid BIC ({error}; {BIC_RULE})",
            field=field,
            hint="leave the BIC out (a SEPA payment needs only the IBAN) or copy it from the bank's own papers",
        ) from None


def mask_iban(value: str) -> str:
    """The IBAN for display with only its last four characters shown ("NL91ABNA0417164300" -> "**************4300")."""
    iban = normalise_iban(value)
    if len(iban) <= 4:
        return "*" * len(iban)
    return "*" * (len(iban) - 4) + iban[-4:]
