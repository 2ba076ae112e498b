"""The portal's pure parts: the usage chart's geometry, the months it covers, the token's shape and hash."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from quire.portal import chart
from quire.portal.links import TOKEN_SHAPE, digest, new_token
from quire.portal.pages import months_back


def test_bars_scale_to_the_largest_value_and_sit_on_the_baseline() -> None:
    drawn = chart.bar_chart([("Jan", Decimal(0), "0"), ("Feb", Decimal(2), "2"), ("Mar", Decimal(4), "4"),
                             ("Apr", Decimal(-3), "-3")])
    plot = chart.HEIGHT - chart.TOP - chart.BOTTOM
    assert [b.height for b in drawn.bars] == [0.0, plot / 2, plot, 0.0]
    assert all(b.y + b.height == drawn.baseline for b in drawn.bars)
    assert [b.value for b in drawn.bars] == ["0", "2", "4", "-3"] and drawn.bars[2].y == chart.TOP


@given(st.lists(st.decimals(min_value=0, max_value=10**12, places=3), min_size=1, max_size=24))
def test_bars_stay_inside_the_box_in_order(values: list[Decimal]) -> None:
    drawn = chart.bar_chart([(str(i), v, str(v)) for i, v in enumerate(values)])
    for left, right in zip(drawn.bars, drawn.bars[1:]):
        assert left.x + left.width < right.x
    for bar in drawn.bars:
        assert 0 <= bar.x and bar.x + bar.width <= chart.WIDTH
        assert chart.TOP - 0.01 <= bar.y <= drawn.baseline and bar.height >= 0


def test_all_zero_draws_flat_bars() -> None:
    assert all(b.height == 0 for b in chart.bar_chart([("a", Decimal(0), "0")] * 6).bars)
    assert chart.bar_chart([]).bars == ()


def test_months_back_are_calendar_months_ending_today() -> None:
    assert months_back(date(2026, 3, 10), 4) == [
        (date(2025, 12, 1), date(2025, 12, 31)), (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)), (date(2026, 3, 1), date(2026, 3, 10))]
    assert months_back(date(2024, 12, 31), 1) == [(date(2024, 12, 1), date(2024, 12, 31))]
    assert months_back(date(2024, 3, 1), 2) == [(date(2024, 2, 1), date(2024, 2, 29)), (date(2024, 3, 1), date(2024, 3, 1))]


def test_tokens_have_192_bits_and_only_their_hash_is_kept() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200 and all(TOKEN_SHAPE.fullmatch(t) for t in tokens)
    token = next(iter(tokens))
    assert digest(token) == hashlib.sha256(token.encode()).hexdigest() and len(digest(token)) == 64
    for wrong in (token + "A", token[:-1] + "/", token + "\n", token[:-1]):
        assert not TOKEN_SHAPE.fullmatch(wrong), wrong
