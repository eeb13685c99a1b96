"""IBANs are checked for format and check digits (ISO 13616, with schwifty), never with the Dutch elfproef;
a bad one is refused as bad input that names the rule and what to do; shown, only its last four characters."""

from __future__ import annotations

import pytest

from adapters.finance.iban import check_bic, check_iban, mask_iban, normalise_iban
from domain.errors import InvalidInput


def passes_elfproef(iban: str) -> bool:
    """The old Dutch account check: the ten digits weighted 10..1 sum to a multiple of 11."""
    account = iban[-10:]
    return sum(int(d) * (10 - i) for i, d in enumerate(account)) % 11 == 0


def test_an_iban_is_stored_without_spaces_in_upper_case():
    assert normalise_iban(" nl91 abna 0417 1643 00 ") == "NL91ABNA0417164300"
    assert check_iban("nl91 abna 0417 1643 00") == "NL91ABNA0417164300"


def test_a_dutch_iban_that_fails_the_elfproef_is_accepted_when_its_check_digits_are_right():
    # Betaalvereniging (IBAN-next): accounts issued since need not pass the elfproef; only ISO 13616 counts
    iban = "NL20INGB0001234567"
    assert not passes_elfproef(iban)
    assert check_iban(iban) == iban


def test_a_dutch_iban_that_passes_the_elfproef_is_accepted_too():
    assert passes_elfproef("NL91ABNA0417164300")
    assert check_iban("NL91ABNA0417164300") == "NL91ABNA0417164300"


def test_an_iban_of_another_sepa_country_is_accepted():
    assert check_iban("DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"


def test_a_typing_error_is_refused_naming_the_check_digits_and_what_to_do():
    with pytest.raises(InvalidInput) as refused:
        check_iban("NL91ABNA0417164301", field="creditor_iban")
    error = refused.value
    assert error.field == "creditor_iban"
    assert "check digits" in error.message and "ISO 13616" in error.message
    assert "copy the IBAN again" in error.hint
    assert error.to_dict()["details"] == [{"field": "creditor_iban", "problem": error.message}]


@pytest.mark.parametrize("value, problem", [
    ("NL91ABNA041716430", "17 characters"),
    ("XX91ABNA0417164300", "no country that uses the IBAN"),
    ("NL91AB1A0417164300", "format of an IBAN of NL"),
    ("NL9!ABNA0417164300", "format of an IBAN of NL"),
    ("", "is empty"),
])
def test_a_wrong_iban_is_refused_with_the_fault_named(value, problem):
    with pytest.raises(InvalidInput, match=problem):
        check_iban(value)


def test_a_refusal_does_not_repeat_the_whole_iban():
    with pytest.raises(InvalidInput) as refused:
        check_iban("NL91ABNA0417164301")
    assert "NL91ABNA0417164301" not in refused.value.message
    assert "4301" in refused.value.message


def test_a_masked_iban_shows_only_its_last_four_characters():
    masked = mask_iban("NL91 ABNA 0417 1643 00")
    assert masked == "**************4300"
    assert len(masked) == len("NL91ABNA0417164300")
    assert set(masked[:-4]) == {"*"}


def test_a_bic_is_normalised_and_a_wrong_one_refused():
    assert check_bic("abna nl 2a") == "ABNANL2A"
    assert check_bic("INGBNL2AXXX") == "INGBNL2AXXX"
    with pytest.raises(InvalidInput, match="ISO 9362") as refused:
        check_bic("ABNAXX2A", field="creditor_bic")
    assert refused.value.field == "creditor_bic"
