"""The paying account, from the process's settings.

| setting | meaning |
| --- | --- |
| `STO_FINANCE_DEBTOR_NAME` | the name the payees see as the sender (e.g. "DUS-I, Ministerie van OCW") |
| `STO_FINANCE_DEBTOR_IBAN` | the account the batches are paid from |
| `STO_FINANCE_DEBTOR_BIC` | its bank's BIC; optional (a SEPA batch then says "NOTPROVIDED") |

Each value is checked as DebtorAccount checks it (adapters/finance/instructions.py); a missing one is refused
with the setting named.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from adapters.finance.instructions import DebtorAccount
from domain.errors import InvalidInput

NAME_SETTING = "STO_FINANCE_DEBTOR_NAME"
IBAN_SETTING = "STO_FINANCE_DEBTOR_IBAN"
BIC_SETTING = "STO_FINANCE_DEBTOR_BIC"


def debtor_from_env(env: Mapping[str, str] | None = None) -> DebtorAccount:
    """The paying account the settings name; InvalidInput when the name or the IBAN is missing or wrong."""
    env = os.environ if env is None else env
    for setting in (NAME_SETTING, IBAN_SETTING):
        if not env.get(setting, "").strip():
            raise InvalidInput(f"{setting} is not set: the engine does not know which account pays", field=setting,
                               hint=f"set {NAME_SETTING} and {IBAN_SETTING} (and {BIC_SETTING} if the bank wants it)")
    bic = env.get(BIC_SETTING, "").strip() or None
    return DebtorAccount(env[NAME_SETTING].strip(), env[IBAN_SETTING], bic)
