"""An IBAN as a value of a command: ISO 13616 format and check digits, by `schwifty` (a pure library). No Dutch
"elfproef": newer Dutch accounts need not pass it (Betaalvereniging), so it is never asked."""

from __future__ import annotations

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException


def check_iban_value(value: str) -> str:
    compact = "".join(value.split()).upper()
    try:
        IBAN(compact)
    except SchwiftyException as error:
        raise ValueError(f"not a valid IBAN ({error}); give the account number as the bank prints it, e.g. "
                         "NL91 ABNA 0417 1643 00") from None
    return compact
