"""API versions: the one place that knows which ``Sequence-Version`` values exist.

Absent header → the newest supported version; a supported value → that version; anything else →
400 ``UnrecognisedApiVersion``. Only 2024-01-01 exists today, so every schema is its shape. Where a
later version changes a shape, the domain's ``schemas.py`` names both after their version (as
``Customer20240101`` already is) and its router chooses by ``current_version.get()``.
"""

from __future__ import annotations

from contextvars import ContextVar

from quire.core.errors import UnrecognisedApiVersion

SUPPORTED_VERSIONS: tuple[str, ...] = ("2024-01-01",)
LATEST_VERSION = SUPPORTED_VERSIONS[-1]
HEADER = "Sequence-Version"

current_version: ContextVar[str] = ContextVar("sequence_version", default=LATEST_VERSION)


def resolve_version(header_value: str | None) -> str:
    if header_value is None or header_value == "":
        return LATEST_VERSION
    value = header_value.strip()
    if value in SUPPORTED_VERSIONS:
        return value
    raise UnrecognisedApiVersion(
        "No matching API version found. Please make sure the specified API version is valid. "
        f"Supported versions: {', '.join(SUPPORTED_VERSIONS)}.",
        supportedVersions=list(SUPPORTED_VERSIONS),
    )
