"""The paying account comes from the settings, checked; the shipped ISO 20022 schemas are the files the README
names (byte for byte) and compile."""

from __future__ import annotations

import hashlib
import re

import pytest

from adapters.finance import xsd
from adapters.finance.settings import BIC_SETTING, IBAN_SETTING, NAME_SETTING, debtor_from_env
from domain.errors import InvalidInput


def test_the_paying_account_is_read_from_the_settings():
    debtor = debtor_from_env({NAME_SETTING: " DUS-I ", IBAN_SETTING: "nl91 abna 0417 1643 00", BIC_SETTING: "abnanl2a"})
    assert (debtor.name, debtor.iban, debtor.bic) == ("DUS-I", "NL91ABNA0417164300", "ABNANL2A")
    assert debtor_from_env({NAME_SETTING: "DUS-I", IBAN_SETTING: "NL91ABNA0417164300"}).bic is None


def test_a_missing_or_wrong_paying_account_is_refused_with_the_setting_named():
    with pytest.raises(InvalidInput) as refused:
        debtor_from_env({NAME_SETTING: "DUS-I"})
    assert refused.value.field == IBAN_SETTING
    with pytest.raises(InvalidInput) as refused:
        debtor_from_env({NAME_SETTING: "DUS-I", IBAN_SETTING: "NL91ABNA0417164301"})
    assert refused.value.field == "debtor_iban"


def test_each_shipped_schema_is_the_file_its_readme_names():
    readme = (xsd.SCHEMAS_DIR / "README.md").read_text()
    for name in xsd.SHIPPED:
        digest = hashlib.sha256((xsd.SCHEMAS_DIR / f"{name}.xsd").read_bytes()).hexdigest()
        assert re.search(rf"`{re.escape(name)}\.xsd`.*`{digest}`", readme), f"{name}: sha256 {digest} not in the README"


@pytest.mark.parametrize("name", xsd.SHIPPED)
def test_each_shipped_schema_compiles_for_its_own_namespace(name):
    assert xsd.schema(name).target_namespace == xsd.namespace(name)
