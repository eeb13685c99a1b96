"""Statutory interest on a debt in default, dated cases with their sources.

- Awb 4:98 lid 1: default brings the wettelijke rente under BW 6:119 lid 1 and 2 and 6:120 lid 1.
- BW 6:119 lid 2: after each year of default the year's interest is added to the sum it is computed on.
- BW 6:120 lid 1: a new rate applies to running interest from the day it is in force.
- Rates: Stb. 2014, 491 (2 % from 1 January 2015); Besluit vaststelling wettelijke rente, Stb. 2022, 520
  (4 % from 1 January 2023); Besluit van 29 juni 2023 (6 % from 1 July 2023, unconfirmed); Stb. 2023, 484
  (7 % from 1 January 2024, unconfirmed).
- Awb 4:98 lid 2: no interest when it is under EUR 20 (EUR 10 when the bestuursorgaan owes it).
Day count: actual days / 365; rounded half up to the cent at each anniversary and at the end.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from domain.errors import InvalidInput
from domain.finance.interest import Debtor, interest_due_after_awb_4_98_minimum, statutory_interest
from domain.finance.statutory_rates import load_rate_table, statutory_rates

D = dt.date
TEN_THOUSAND_EURO = 1_000_000


def test_one_year_at_two_percent_from_stb_2014_491_is_simple_interest():
    # 1 March 2017 to 1 March 2018: 365 days at 2 % (Stb. 2014, 491): 10,000 x 0.02 = EUR 200.00
    result = statutory_interest(TEN_THOUSAND_EURO, D(2017, 3, 1), D(2018, 3, 1))
    assert result.interest_cents == 200_00
    assert [p.days for p in result.periods] == [365]
    assert result.confirmed


def test_after_a_year_the_interest_is_added_to_the_base_bw_6_119_lid_2():
    # 1 January 2016 to 1 January 2018 at 2 % (Stb. 2014, 491).
    # Year 1, 366 days (2016 is a leap year): 10,000 x 0.02 x 366/365 = 200.5479 -> EUR 200.55, added to the base.
    # Year 2, 365 days on 10,200.55: 204.011 -> EUR 204.01. Total EUR 404.56 (simple interest would be 400.55).
    result = statutory_interest(TEN_THOUSAND_EURO, D(2016, 1, 1), D(2018, 1, 1))
    assert result.interest_cents == 404_56
    assert [(p.start, p.base_cents) for p in result.periods] == [(D(2016, 1, 1), 1_000_000), (D(2017, 1, 1), 1_020_055)]
    assert result.confirmed


def test_a_rate_change_cuts_the_period_bw_6_120_lid_1():
    # 1 July 2022 to 1 July 2023: 184 days at 2 % (Stb. 2014, 491), 181 days at 4 % (Stb. 2022, 520).
    # 10,000 x (0.02 x 184 + 0.04 x 181) / 365 = 299.178 -> EUR 299.18.
    result = statutory_interest(TEN_THOUSAND_EURO, D(2022, 7, 1), D(2023, 7, 1))
    assert [(p.start, p.end, p.rate.percent) for p in result.periods] == [
        (D(2022, 7, 1), D(2023, 1, 1), Decimal("2")), (D(2023, 1, 1), D(2023, 7, 1), Decimal("4"))]
    assert result.interest_cents == 299_18
    assert result.confirmed
    assert "Stb. 2022, 520" in result.periods[1].rate.source


def test_three_rates_in_one_year_and_the_unconfirmed_ones_are_named():
    # 1 May 2023 to 1 May 2024: 61 days at 4 % (Stb. 2022, 520), 184 at 6 % (besluit of 29 June 2023),
    # 121 at 7 % (Stb. 2023, 484). 10,000 x (2.44 + 11.04 + 8.47) / 365 = 601.3698... -> EUR 601.37.
    result = statutory_interest(TEN_THOUSAND_EURO, D(2023, 5, 1), D(2024, 5, 1))
    assert [p.days for p in result.periods] == [61, 184, 121]
    assert result.interest_cents == 601_37
    assert not result.confirmed
    assert any("29 juni 2023" in why for why in result.unconfirmed)
    assert any("Stb. 2023, 484" in why for why in result.unconfirmed)


def test_a_year_of_default_from_29_february_ends_on_28_february():
    # default from 29 February 2016 (2 %, Stb. 2014, 491): the second year begins on 1 March 2017
    result = statutory_interest(TEN_THOUSAND_EURO, D(2016, 2, 29), D(2017, 6, 1))
    assert [p.start for p in result.periods] == [D(2016, 2, 29), D(2017, 3, 1)]
    assert result.periods[1].base_cents > TEN_THOUSAND_EURO


def test_a_debt_paid_on_the_first_day_of_default_bears_no_interest():
    result = statutory_interest(TEN_THOUSAND_EURO, D(2024, 3, 1), D(2024, 3, 1))
    assert result.interest_cents == 0 and result.periods == ()


def test_one_day_of_default_counts_one_day():
    # 10,000 x 0.04 / 365 = 1.0959 -> EUR 1.10 (Stb. 2022, 520)
    assert statutory_interest(TEN_THOUSAND_EURO, D(2023, 3, 1), D(2023, 3, 2)).interest_cents == 1_10


def test_a_payment_before_the_default_is_refused():
    with pytest.raises(InvalidInput) as refused:
        statutory_interest(TEN_THOUSAND_EURO, D(2024, 3, 1), D(2024, 2, 1))
    assert refused.value.field == "paid_on"


@pytest.mark.parametrize("principal", [-1, 10.5, True])
def test_a_principal_that_is_no_whole_number_of_cents_is_refused(principal):
    with pytest.raises(InvalidInput):
        statutory_interest(principal, D(2024, 3, 1), D(2024, 4, 1))


def test_a_day_before_the_table_has_no_rate():
    with pytest.raises(ValueError, match="begins on 2012-07-01"):
        statutory_interest(TEN_THOUSAND_EURO, D(2012, 1, 1), D(2012, 8, 1))


def test_interest_past_the_checked_rates_says_so():
    table = statutory_rates()
    after = table.checked_through + dt.timedelta(days=30)
    result = statutory_interest(TEN_THOUSAND_EURO, table.checked_through, after)
    assert any("looked for through" in why for why in result.unconfirmed)


def test_awb_4_98_lid_2_no_interest_under_20_euro_when_the_recipient_owes_it():
    assert interest_due_after_awb_4_98_minimum(19_99, Debtor.RECIPIENT) == 0
    assert interest_due_after_awb_4_98_minimum(20_00, Debtor.RECIPIENT) == 20_00
    assert interest_due_after_awb_4_98_minimum(601_37, Debtor.RECIPIENT) == 601_37


def test_awb_4_98_lid_2_no_interest_under_10_euro_when_the_bestuursorgaan_owes_it():
    assert interest_due_after_awb_4_98_minimum(9_99, Debtor.BESTUURSORGAAN) == 0
    assert interest_due_after_awb_4_98_minimum(10_00, Debtor.BESTUURSORGAAN) == 10_00
    assert interest_due_after_awb_4_98_minimum(19_99, Debtor.BESTUURSORGAAN) == 19_99


def test_a_small_claim_paid_two_months_late_owes_no_interest():
    # EUR 500 in default from 1 January to 2 March 2023: 60 days at 4 % (Stb. 2022, 520) = EUR 3.29 < EUR 20
    interest = statutory_interest(500_00, D(2023, 1, 1), D(2023, 3, 2)).interest_cents
    assert interest == 3_29
    assert interest_due_after_awb_4_98_minimum(interest, Debtor.RECIPIENT) == 0


def test_the_rate_table_is_dated_sourced_and_marks_what_no_decree_confirmed():
    table = load_rate_table()
    days = [r.effective_from for r in table.rates]
    assert days == sorted(days) and len(set(days)) == len(days)
    assert all(r.source for r in table.rates)
    assert all("Stb." in r.source for r in table.rates if r.confirmed)
    assert table.rate_on(D(2019, 6, 1)).percent == Decimal("2")
    assert table.rate_on(D(2023, 1, 1)).percent == Decimal("4")
    assert not table.rate_on(D(2024, 6, 1)).confirmed
    assert (table.minimum.recipient_owes_cents, table.minimum.bestuursorgaan_owes_cents) == (20_00, 10_00)
