"""The render process's side: Typst compiles the PDF template with a ``DocumentModel``
(``quire.documents.model``), which ``template_data`` turns into the template's JSON input.

Only the render processes import this module (and ``typst``); the API process talks to them through
``quire.documents.pool``. One ``typst.Compiler`` per process is kept for its life: the fonts are found
once, and Typst's memoisation (comemo) makes repeated work cheap.

That memoisation is also the memory problem. typst-py 0.15 evicts, after every compile, the cached
results not used by the last 10 compiles (``comemo::evict(10)``) and offers no other control: ten
different 500-line invoices hold about 0.45 GB. So when a render leaves the process above ``trim_mb``
resident, the pool asks it to ``trim``: compiling an empty document ``_AGEING_COMPILES`` times ages
every cached result of the invoices out, and ``malloc_trim`` hands the freed memory back to the OS.
The pool retires the process if that still leaves it above its hard limit (docs/pdf-engines.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

import typst

from quire.documents.logo import logo_file
from quire.documents.model import Builder, DocumentModel, GroupHeading, Line, Pair, Row, Subtotal

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "pdf"
TEMPLATE = TEMPLATE_DIR / "document.typ"
#: The template versions this renderer ships (``quire.documents.model.TEMPLATE_VERSION``): a frozen
#: document is printed by the template it was frozen with, or not at all.
TEMPLATES = {"1": TEMPLATE}

#: Every PDF is PDF/A-3b: the stored PDF is what the Factur-X download wraps (docs/einvoice.md).
PDF_STANDARD = "a-3b"
#: Tagged (accessible) PDF: reading order and table structure for screen readers (docs/pdf-engines.md).
PDF_TAGS = True
#: Empty compiles that age every cached result out (typst-py evicts what the last 10 did not use).
_AGEING_COMPILES = 12
_MISSING_GLYPH = re.compile(r'the text `"((?:[^"\\]|\\.)*)"` could not be displayed')

# What to print for characters no installed font can draw (before NFKC and the last resort, "?").
_SUBSTITUTES: dict[str, str] = {
    "€": "EUR", "₩": "KRW", "₹": "INR", "₽": "RUB", "₺": "TRY", "₪": "ILS", "฿": "THB", "₫": "VND",
    "₱": "PHP", "₴": "UAH", "₦": "NGN", "₡": "CRC", "₸": "KZT", "₲": "PYG", "₭": "LAK", "₮": "MNT",
    "₼": "AZN", "₾": "GEL", "₿": "BTC", "₵": "GHS", "₨": "Rs", "‘": "'", "’": "'", "“": '"', "”": '"',
    "–": "-", "—": "-", "−": "-", "…": "...", "•": "*", "→": "->", "≤": "<=", "≥": ">=", "≠": "!=",
}


class RenderError(RuntimeError):
    """The template could not be rendered (a plain exception: it crosses the process boundary)."""


class _State:
    compiler: Any = None
    root: Path = TEMPLATE_DIR
    blank: Any = None
    #: Grapheme clusters no font here can draw → what is printed instead; learnt from Typst's
    #: PDF/A errors, kept for the life of the process.
    missing: dict[str, str] = {}
    single: dict[int, str] = {}
    libc: Any = None


def _font_paths() -> list[str]:
    """Extra font folders (``QUIRE_PDF_FONT_PATHS``, ``os.pathsep``-separated) besides the system's."""
    return [p for p in os.environ.get("QUIRE_PDF_FONT_PATHS", "").split(os.pathsep) if p]


def start() -> None:
    """Process initialiser: make the compilers (finds the fonts once)."""
    if _State.compiler is None:
        # The template is compiled from a private folder of this process, which also holds the fetched
        # logos (Typst reads files only under its root; the package folder may be read-only).
        _State.root = Path(tempfile.mkdtemp(prefix="quire-typst-"))
        # Removed when the process exits (multiprocessing runs its finalizers in pool workers too).
        Finalize(None, shutil.rmtree, args=(str(_State.root),), kwargs={"ignore_errors": True}, exitpriority=0)
        shutil.copy(TEMPLATE, _State.root / TEMPLATE.name)
        _State.compiler = typst.Compiler(
            str(_State.root / TEMPLATE.name), root=str(_State.root), font_paths=_font_paths(),
            # QUIRE_PDF_SYSTEM_FONTS=0: only the fonts in the typst wheel (what a machine without fonts gets)
            ignore_system_fonts=os.environ.get("QUIRE_PDF_SYSTEM_FONTS", "1") == "0",
        )
        # An empty in-memory document (bytes are passed to each compile: typst-py 0.15 cannot
        # compile a Compiler's own bytes input twice).
        _State.blank = typst.Compiler(root=str(TEMPLATE_DIR), ignore_system_fonts=True)
        try:
            _State.libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _State.libc.malloc_trim  # glibc only
        except (OSError, AttributeError):
            _State.libc = None


class _Counters:
    renders = 0
    releases = 0


def render(build: Builder, parts: tuple[Any, ...], trim_mb: float = 0.0) -> tuple[bytes, dict[str, float]]:
    """(the PDF of ``build(*parts)``, this process's resident MiB afterwards). Runs in a render process.

    The pool releases Typst's cache between renders (``trim``); with ``trim_mb`` > 0 a process that is
    still above it (the release went to another process of the pool) releases it first."""
    if trim_mb:
        trim(trim_mb)
    try:
        start()
        pdf = render_model(build(*parts))
    except RenderError:
        raise
    except Exception as exc:  # noqa: BLE001 - Typst's own exception types do not cross processes
        raise RenderError(f"{type(exc).__name__}: {exc}") from None
    _Counters.renders += 1
    return pdf, {"pid": os.getpid(), "rss_mb": resident_mb()}


def trim(trim_mb: float) -> dict[str, float]:
    """Release Typst's cache if this process is above ``trim_mb`` resident; its figures afterwards."""
    start()
    if resident_mb() > trim_mb:
        release_memory()
        _Counters.releases += 1
    return {"pid": os.getpid(), "rss_mb": resident_mb()}


def render_model(document: DocumentModel) -> bytes:
    """The PDF of a document model, in this process (the logo is fetched here)."""
    start()
    if TEMPLATES.get(document.template_version) != TEMPLATE:
        raise RenderError(f"template version {document.template_version!r} is not shipped by this Quire")
    model = template_data(document, logo_file(document.logo_url, _State.root / "logos"))
    timestamp = _timestamp(document.created_at)
    for _ in range(3):
        data = json.dumps(_substituted(model) if _State.missing else model, ensure_ascii=False)
        try:
            out = _State.compiler.compile(
                format="pdf", sys_inputs={"data": data}, pdf_standards=PDF_STANDARD, timestamp=timestamp, pdf_tags=PDF_TAGS,
            )
        except typst.TypstError as exc:
            clusters = _missing_glyphs(exc)
            if not clusters and model.get("logo"):
                # An image Typst cannot decode (its first bytes looked right): the document without it.
                model = {**model, "logo": None}
                continue
            if not clusters:
                if "PDF/A" in (getattr(exc, "message", "") or str(exc)):
                    break  # a PDF/A objection this code does not know: the plain PDF below
                raise RenderError(_describe(exc)) from None
            for cluster in clusters:
                _learn_missing(cluster)
            continue
        assert isinstance(out, bytes)
        return out
    # Still refused as PDF/A: a plain PDF rather than no PDF.
    data = json.dumps(_substituted(model) if _State.missing else model, ensure_ascii=False)
    out = _State.compiler.compile(format="pdf", sys_inputs={"data": data}, timestamp=timestamp, pdf_tags=PDF_TAGS)
    assert isinstance(out, bytes)
    return out


def release_memory() -> None:
    """Age every cached Typst result of earlier documents out, then return freed memory to the OS."""
    start()
    for _ in range(_AGEING_COMPILES):
        _State.blank.compile(input=b" ", format="svg")
    if _State.libc is not None:
        _State.libc.malloc_trim(0)


def resident_mb() -> float:
    """This process's resident set (VmRSS), in MiB; 0 where /proc is not available."""
    try:
        with open("/proc/self/statm", "rb") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 1048576


def _peak_mb() -> float:
    """The process's high-water mark of resident memory (VmHWM), in MiB."""
    try:
        with open("/proc/self/status") as f:
            for row in f:
                if row.startswith("VmHWM:"):
                    return int(row.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def ping() -> dict[str, float]:
    """pid, resident and peak MiB, renders and cache releases so far: for the pool, tests, the benchmark."""
    start()
    return {"pid": os.getpid(), "rss_mb": resident_mb(), "peak_mb": _peak_mb(),
            "renders": _Counters.renders, "releases": _Counters.releases}


# --- details ---------------------------------------------------------------------------------------


def template_data(model: DocumentModel, logo: str | None = None) -> dict[str, Any]:
    """The model as ``templates/pdf/document.typ`` reads it (``sys.inputs.data``): printed text with
    break opportunities (``breakable``), metadata as is; ``logo`` is the image's path under Typst's root."""
    b = breakable
    merchant, customer, totals = model.merchant, model.customer, model.totals
    return {
        "title": model.title,
        "subject": model.subject,
        "author": model.author,
        "kind_title": b(model.heading),
        "number": b(model.number),
        "id_line": b(model.id_line),
        "accent": model.accent,
        "watermark": model.watermark,
        "running_title": b(model.running_title),
        "footer": b(model.footer),
        "merchant": {"name": b(merchant.name), "lines": _texts(merchant.lines)},
        "dates": _pairs(model.dates),
        "customer": {"name": b(customer.name), "lines": _texts(customer.lines), "extra": _texts(customer.extra)},
        "ship_to": _texts(model.ship_to),
        "details": _pairs(model.details),
        "rows": [_row(row) for row in model.rows],
        "breakdown": [_texts(rate) for rate in model.breakdown],
        "tax_note": b(model.tax_note),
        "totals": {"net": b(totals.net), "tax": b(totals.tax), "gross": b(totals.gross), "label": b(totals.label)},
        "memo": _texts(model.memo),
        "payment": {
            "intro": b(model.payment_intro),
            "sections": [{"title": b(s.title), "rows": _pairs(s.rows)} for s in model.payment_sections],
        },
        "created_at": model.created_at,
        "logo": logo,
    }


def _row(row: Row) -> dict[str, Any]:
    b = breakable
    if isinstance(row, Line):
        return {"kind": "line", "grouped": row.grouped, "title": b(row.title), "extra": _texts(row.extra),
                "qty": b(row.qty), "price": b(row.price), "tax": b(row.tax), "amount": b(row.amount)}
    if isinstance(row, GroupHeading):
        return {"kind": "group", "title": b(row.title), "description": _texts(row.description)}
    assert isinstance(row, Subtotal)
    return {"kind": "subtotal", "label": b(row.label), "amount": b(row.amount)}


def _texts(values: Sequence[str]) -> list[str]:
    return [breakable(v) for v in values]


def _pairs(pairs: Sequence[Pair]) -> list[list[str]]:
    return [[breakable(k), breakable(v)] for k, v in pairs]


#: Runs this long with no space, "/" or "-" (where lines may break anyway) get break opportunities.
_LONG_RUN = re.compile(r"[^\s/\-\u200b]{25,}")
_ZWSP = "\u200b"


def breakable(value: str) -> str:
    """``value`` with a zero-width space every 12 characters inside runs of 25 or more that have no
    other place to break (tokens, long numbers): Typst never breaks inside a word, so such a run would
    run across the neighbouring column."""
    if len(value) < 25:
        return value
    return _LONG_RUN.sub(lambda m: _ZWSP.join(m[0][i : i + 12] for i in range(0, len(m[0]), 12)), value)


def _timestamp(value: Any) -> dt.datetime:
    text = str(value or "")
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        stamp = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp.astimezone(dt.timezone.utc).replace(microsecond=0)  # typst takes whole seconds


def _describe(exc: Exception) -> str:
    message = getattr(exc, "message", "") or str(exc)
    return f"Typst could not render the document: {message}"


def _unescape(rust: str) -> str:
    """A Rust ``{:?}`` string body back to text (``\\u{1f680}``, ``\\n``, ``\\"`` …)."""
    def one(m: re.Match[str]) -> str:
        s = m.group(0)
        if s.startswith("\\u{"):
            return chr(int(s[3:-1], 16))
        return {"\\n": "\n", "\\t": "\t", "\\r": "\r", "\\0": "\0"}.get(s, s[1:])

    return re.sub(r"\\u\{[0-9a-fA-F]+\}|\\.", one, rust)


def _missing_glyphs(exc: Exception) -> list[str]:
    found = _MISSING_GLYPH.findall(getattr(exc, "diagnostic", "") or "") or _MISSING_GLYPH.findall(str(exc))
    return list(dict.fromkeys(_unescape(f) for f in found if f))


def _learn_missing(cluster: str) -> None:
    replacement = _SUBSTITUTES.get(cluster)
    if replacement is None:
        folded = unicodedata.normalize("NFKC", cluster)
        if folded == cluster:
            folded = "".join(c for c in unicodedata.normalize("NFKD", cluster) if not unicodedata.combining(c))
        replacement = folded if folded and folded != cluster and folded not in _State.missing else "?"
    if any(part in _State.missing for part in replacement):
        replacement = "?"
    _State.missing[cluster] = replacement
    for known, printed in list(_State.missing.items()):  # "が" → "か" is no use once "か" is missing too
        if cluster in printed:
            _State.missing[known] = "?"
    _State.single = {ord(k): v for k, v in _State.missing.items() if len(k) == 1}


#: Document metadata (XMP, the info dictionary) needs no glyphs: it keeps every character.
_METADATA_KEYS = frozenset({"title", "subject", "author"})


def _substituted(value: Any, top: bool = True) -> Any:
    if isinstance(value, str):
        out = value.translate(_State.single)
        for cluster, replacement in _State.missing.items():
            if len(cluster) > 1 and cluster in out:
                out = out.replace(cluster, replacement)
        return out
    if isinstance(value, Mapping):
        return {k: v if top and k in _METADATA_KEYS else _substituted(v, False) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_substituted(v, False) for v in value]
    return value

