"""Pure unit tests of quire.tax.taxids (tax id shapes) and quire.tax.rules (zero-rating, sub-rates)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quire.core.contract_enums import COUNTRY_CODE, TAX_STATUS
from quire.tax.rules import ZERO_RATED_STATUSES, effective_tax_rate, sub_rates_problem
from quire.tax.taxids import EU_VAT_PREFIXES, InvalidTaxId, normalise_tax_id, scheme_for

D = Decimal


@pytest.mark.parametrize(("country", "value", "expected"), [
    ("GB", "GB980780684", "GB980780684"),
    ("GB", " gb 980 7806 84 ", "GB980780684"),
    ("GB", "980780684", "GB980780684"),
    ("DE", "DE136695976", "DE136695976"),
    ("DE", "136.695.976", "DE136695976"),
    ("FR", "FR 40 303 265 045", "FR40303265045"),
    ("FR", "40303265045", "FR40303265045"),
    ("GR", "094259216", "EL094259216"),
    ("GR", "GR094259216", "EL094259216"),
    ("AT", "U13585627", "ATU13585627"),
    ("AU", "53 004 085 616", "53004085616"),
    ("US", "  12-3456789 ", "12-3456789"),
    ("JP", "T1234567890123", "T1234567890123"),
])
def test_valid_ids_are_compacted(country: str, value: str, expected: str) -> None:
    assert normalise_tax_id(country, value) == expected


@pytest.mark.parametrize(("country", "value", "reason"), [
    ("GB", "GB980780685", "check digits do not match"),
    ("GB", "GB98078068", "wrong length"),
    ("GB", "GBABCDEFGHI", "wrong format"),
    ("DE", "DE136695977", "check digits do not match"),
    ("DE", "DE13669597", "wrong length"),
    ("DE", "FR40303265045", "is a VAT number of FR, but the registration's country is DE"),
    ("FR", "FR41303265045", "check digits do not match"),
    ("AU", "53004085617", "check digits do not match"),
    ("AU", "5300408561", "wrong length"),
    ("AU", "", "must not be blank"),
    ("US", "   ", "must not be blank"),
])
def test_invalid_ids_say_why(country: str, value: str, reason: str) -> None:
    with pytest.raises(InvalidTaxId) as info:
        normalise_tax_id(country, value)
    assert reason in str(info.value)


def test_messages_name_the_scheme_and_the_expected_shape() -> None:
    with pytest.raises(InvalidTaxId) as info:
        normalise_tax_id("GB", "GB123456789")
    assert str(info.value) == ("'GB123456789' is not a valid GB VAT number: its check digits do not match; "
                               "expected GB followed by 9 or 12 digits, e.g. GB980780684")


def test_schemes_cover_gb_au_and_the_eu() -> None:
    assert len(EU_VAT_PREFIXES) == 27 and EU_VAT_PREFIXES["GR"] == "EL"
    assert set(EU_VAT_PREFIXES) <= set(COUNTRY_CODE)
    for country in ("GB", "AU", *EU_VAT_PREFIXES):
        assert scheme_for(country) is not None
    assert scheme_for("US") is None and scheme_for("CH") is None


@given(country=st.sampled_from(["GB", "AU", "DE", "FR", "GR", "NL", "ES", "IE"]), value=st.text(max_size=64))
def test_any_text_is_either_normalised_or_refused_with_a_reason(country: str, value: str) -> None:
    try:
        result = normalise_tax_id(country, value)
    except InvalidTaxId as exc:
        assert str(exc)
    else:
        assert result == normalise_tax_id(country, result), "normalising is idempotent"


# --- rules ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", TAX_STATUS)
def test_only_taxed_customers_keep_their_rate(status: str) -> None:
    expected = D(0) if status in ("TAX_EXEMPT", "REVERSE_CHARGED") else D("0.2")
    assert effective_tax_rate(status, D("0.2")) == expected
    assert ZERO_RATED_STATUSES <= set(TAX_STATUS)


def test_sub_rates_sum_exactly() -> None:
    assert sub_rates_problem(D("0.12"), []) is None
    assert sub_rates_problem(D("0.12"), [D("0.05"), D("0.07")]) is None
    assert sub_rates_problem(D("0.120"), [D("0.05"), D("0.0700")]) is None
    assert sub_rates_problem(D("0.12"), [D("0.05"), D("0.0699999999")]) == (
        "subRates add up to 0.1199999999 but amount is 0.12; they must be equal")


fractions = st.decimals(min_value=0, max_value=1, places=10, allow_nan=False, allow_infinity=False)


@given(parts=st.lists(fractions, min_size=1, max_size=20))
def test_parts_always_make_up_their_own_sum(parts: list[Decimal]) -> None:
    total = sum(parts, D(0))
    assert sub_rates_problem(total, parts) is None
    assert sub_rates_problem(total + D("0.0000000001"), parts) is not None
