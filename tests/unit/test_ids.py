"""UUIDv7 ids: RFC 9562 layout, time order, uniqueness."""

from __future__ import annotations

import time
import uuid

from quire.core.ids import is_uuid, uuid7


def test_layout_version_variant_and_text_form() -> None:
    for _ in range(2000):
        text = uuid7()
        value = uuid.UUID(text)
        assert value.version == 7
        assert value.variant == uuid.RFC_4122
        assert str(value) == text and is_uuid(text)


def test_ids_carry_the_millisecond_and_sort_by_it() -> None:
    before = time.time_ns() // 1_000_000
    first = uuid7()
    time.sleep(0.003)
    second = uuid7()
    after = time.time_ns() // 1_000_000
    stamp = uuid.UUID(first).int >> 80
    assert before <= stamp <= after
    assert first < second


def test_ids_are_unique_and_their_random_bits_vary() -> None:
    ids = [uuid7() for _ in range(50_000)]
    assert len(set(ids)) == 50_000
    # every random hex digit position takes many values (a stuck digit would show here)
    for position in (15, 16, 17, 20, 21, 22, 30, 35):
        assert len({text[position] for text in ids}) == 16
    assert {text[19] for text in ids} == set("89ab")
