"""The plain CSV for the financial service centre: UTF-8, `;`, a header row, euro with a dot and two decimals;
read back with the csv module it gives the same batch as the pain.001."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from adapters.finance.fdc_csv import COLUMNS, write_fdc_csv
from domain.errors import InvalidInput
from tests.unit.finance.batches import PAY_DAY, instruction


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=";"))


def test_the_file_has_its_header_and_one_row_per_instruction_with_every_column():
    data = write_fdc_csv([instruction(1, cents=125_000_00)])
    assert data.decode("utf-8").splitlines()[0] == ";".join(COLUMNS)
    assert rows(data) == [{
        "reference": "STO-R0001-2025-1",
        "end_to_end_id": "E2E-STO-R0001-2025-1",
        "amount": "125000.00",
        "iban": "NL20INGB0001234567",
        "name": "Stichting Sterk Techniekonderwijs Regio Delft",
        "remittance": "Voorschot STO 2025-2028 termijn 1, subsidienummer STO25-0001",
        "execution_date": "2026-12-10",
    }]


@pytest.mark.parametrize("cents, amount", [(1, "0.01"), (10, "0.10"), (123456, "1234.56"), (999_999_999, "9999999.99")])
def test_amounts_are_euro_with_a_dot_and_two_decimals_without_thousands_separators(cents, amount):
    assert rows(write_fdc_csv([instruction(cents=cents)]))[0]["amount"] == amount


def test_names_keep_their_letters_in_utf8_and_a_semicolon_in_a_name_is_quoted():
    name = "Zoë Çelik; Techniek & Søn"
    data = write_fdc_csv([instruction(name=name)])
    assert not data.startswith(b"\xef\xbb\xbf")  # no byte-order mark
    assert rows(data)[0]["name"] == name
    assert f'"{name}"'.encode() in data


def test_rows_follow_the_batch_order_whatever_order_they_came_in():
    later, sooner = instruction(1, day=PAY_DAY + dt.timedelta(days=1)), instruction(2, day=PAY_DAY)
    data = write_fdc_csv([later, sooner])
    assert [r["reference"] for r in rows(data)] == ["STO-R0002-2025-1", "STO-R0001-2025-1"]
    assert write_fdc_csv([sooner, later]) == data


def test_an_instalment_is_never_twice_in_the_file():
    with pytest.raises(InvalidInput, match="appears twice"):
        write_fdc_csv([instruction(1), instruction(1)])
