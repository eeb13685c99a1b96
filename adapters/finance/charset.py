"""The SEPA character set: what a name, a remittance text or a reference may hold in a SEPA message.

Source: EPC, SEPA Credit Transfer Scheme Customer-to-PSP Implementation Guidelines, section "Character set":
every bank must accept the Latin characters

    a-z  A-Z  0-9  / - ? : ( ) . , ' +  and the space

and may accept more only by agreement. References and identifiers (message id, payment information id,
instruction id, end-to-end id) are restricted to that set, must not start or end with '/' and must not hold
'//'.

Our choice (decided here, for every bank alike): free text (names, remittance information) is **transliterated**
to the basic set before it goes into a pain.001 batch: accents are dropped (é -> e, ë -> e, ç -> c), a few
letters are spelled out (ß -> ss, æ -> ae, ø -> o, ł -> l), '&' becomes '+', typographic quotes become "'", and
runs of white space become one space. A character with no Latin spelling (say '€' or 'ж') is refused with the
field named, never dropped or replaced silently: the operator writes it in Latin letters. Identifiers are never
changed: one outside the set is refused, because the end-to-end id must come back from the bank exactly as we
sent it; we refuse the space in identifiers too (the set allows it, but banks strip it from references).
"""

from __future__ import annotations

import re
import string
import unicodedata

from domain.errors import InvalidInput

SEPA_CHARACTERS = frozenset(string.ascii_letters + string.digits + "/-?:().,'+ ")
CHARSET_RULE = "EPC SEPA Credit Transfer Implementation Guidelines, character set (Latin)"

# letters NFKD does not split into a base letter and an accent, and punctuation with a SEPA equivalent
_SPELLED = {
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L",
    "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH", "ı": "i", "ĸ": "k",
    "&": "+", "‘": "'", "’": "'", "‚": "'", "`": "'", "´": "'", "\"": "'", "“": "'", "”": "'", "„": "'",
    "–": "-", "—": "-", "‐": "-", "_": "-", ";": ",",
}
_WHITE_SPACE = re.compile(r"\s+")


def sepa_text(value: str, *, field: str) -> str:
    """`value` in the SEPA Latin set (see the module's docstring), or InvalidInput naming what has no spelling."""
    out: list[str] = []
    for char in _WHITE_SPACE.sub(" ", value).strip():
        if char in SEPA_CHARACTERS:
            out.append(char)
        elif char in _SPELLED:
            out.append(_SPELLED[char])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            if not base or any(c not in SEPA_CHARACTERS for c in base):
                raise InvalidInput(
                    f"{field} holds {char!r}, which has no spelling in the SEPA character set ({CHARSET_RULE})",
                    field=field,
                    hint="write it in Latin letters, digits and / - ? : ( ) . , ' + only",
                )
            out.append(base)
    return "".join(out)


def check_identifier(value: str, *, field: str, max_length: int = 35) -> str:
    """A SEPA reference or identifier, unchanged; InvalidInput when the EPC's rules for identifiers forbid it."""
    problem = None
    if not isinstance(value, str) or not value:
        problem = "is empty"
    elif len(value) > max_length:
        problem = f"is {len(value)} characters long; at most {max_length} are allowed"
    elif any(c not in SEPA_CHARACTERS for c in value) or " " in value:
        bad = sorted({c for c in value if c not in SEPA_CHARACTERS or c == " "})
        problem = f"holds {', '.join(repr(c) for c in bad)}, outside the SEPA character set for identifiers"
    elif value.startswith("/") or value.endswith("/") or "//" in value:
        problem = "starts or ends with '/' or holds '//', which the EPC forbids in identifiers"
    if problem:
        raise InvalidInput(
            f"{field} {value!r} {problem} ({CHARSET_RULE})",
            field=field,
            hint=f"use at most {max_length} of the letters a-z, A-Z, digits and / - ? : ( ) . , ' + (no spaces)",
        )
    return value
