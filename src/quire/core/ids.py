"""UUIDv7 identifiers (RFC 9562): time-ordered like Sequence's, so indexes stay append-mostly."""

from __future__ import annotations

import os
import time
import uuid


def uuid7() -> str:
    """48 bits of Unix milliseconds, version 7, 12 random bits, variant 0b10, 62 random bits."""
    stamp = ((time.time_ns() // 1_000_000) & 0xFFFF_FFFF_FFFF).to_bytes(6, "big").hex()
    rand = os.urandom(10).hex()  # 80 random bits; 74 are used
    # In hex: the version nibble replaces the first random nibble, and the variant's two bits replace
    # the top two bits of the fifth (one of 8, 9, a, b). Building the text directly costs a third less
    # than going through an int and uuid.UUID (a CSV import makes one id per row).
    return f"{stamp[:8]}-{stamp[8:]}-7{rand[1:4]}-{'89ab'[int(rand[4], 16) & 3]}{rand[5:8]}-{rand[8:20]}"


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return len(value) == 36
