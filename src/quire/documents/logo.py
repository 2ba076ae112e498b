"""The merchant's logo for PDFs: fetched by the render process from ``logoUrl``, checked, cached.

``logoUrl`` (merchant settings, snapshotted on each invoice) is an ``http(s)://`` address. The render
process fetches it when it renders a document (so a finalized invoice's stored PDF carries the logo
as it was then), with a short time-out and a size limit, and keeps it for ``CACHE_SECONDS`` so a burst
of finalizations fetches it once. Only PNG, JPEG, GIF and SVG are accepted, recognised by their first
bytes, not by what the server claims. Anything else (unreachable, too large, not an image) prints no
logo and is logged: a document is never refused for its logo. Decisions in docs/delivery.md.
"""

from __future__ import annotations

import hashlib
import logging
import time
import urllib.request
from pathlib import Path

log = logging.getLogger("quire.pdf")

MAX_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 3.0
CACHE_SECONDS = 600.0
_cache: dict[str, tuple[float, str | None]] = {}


def image_kind(data: bytes) -> str | None:
    """``png``/``jpg``/``gif``/``svg`` by the file's first bytes, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
        return "svg"
    return None


def fetch(url: str) -> bytes | None:
    if not url.startswith(("https://", "http://")):
        return None
    request = urllib.request.Request(url, headers={"User-Agent": "Quire (invoice PDF logo)"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - http(s) only
            data: bytes = response.read(MAX_BYTES + 1)
    except Exception as exc:  # noqa: BLE001 - any failure means: no logo
        log.warning("logo %s not fetched: %r", url, exc)
        return None
    if len(data) > MAX_BYTES:
        log.warning("logo %s is larger than %d bytes: not printed", url, MAX_BYTES)
        return None
    return data


def logo_file(url: str | None, folder: Path) -> str | None:
    """The logo of ``url`` saved in ``folder`` (a folder directly under Typst's root) as
    ``<sha256>.<kind>``, and returned as the path Typst resolves from its root: ``/<folder>/<file>``.
    None when there is no usable logo."""
    if not url:
        return None
    now = time.monotonic()
    hit = _cache.get(url)
    if hit is not None and hit[0] > now:
        return hit[1]
    data = fetch(url)
    kind = image_kind(data) if data else None
    if data and kind is None:
        log.warning("logo %s is not a PNG, JPEG, GIF or SVG image: not printed", url)
    name = None
    if data and kind:
        name = f"{hashlib.sha256(data).hexdigest()}.{kind}"
        path = folder / name
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        name = f"/{folder.name}/{name}"
    if len(_cache) > 256:
        _cache.clear()
    _cache[url] = (now + CACHE_SECONDS, name)
    return name
