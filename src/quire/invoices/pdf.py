"""Invoice and credit note PDFs, rendered with fpdf2 from the API's own JSON shapes.

The renderer takes the documents exactly as the API serialises them (camelCase dicts, money as
decimal strings) and never trusts them to be complete: every field except the totals may be
absent, and any text may hold any unicode. Amounts stay ``Decimal`` from the string to Babel.

Fonts: DejaVu Sans (unicode) when the machine has it, else fpdf2's core Helvetica, which only
speaks latin-1; either way, characters the chosen font cannot draw are transliterated (``€`` →
``EUR``, ``ő`` → ``o``) or replaced by ``?`` rather than left to fail or print as empty boxes.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from babel import Locale
from babel.numbers import format_currency, format_decimal
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

__all__ = ["address_lines", "bank_sections", "format_date", "format_money", "render_credit_note_pdf", "render_invoice_pdf"]

LOCALE = "en_GB"

# Where DejaVu lives on Debian/Ubuntu, Fedora, Arch, Alpine and a few hand-installed layouts.
FONT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/ttf-dejavu",
    "/usr/local/share/fonts",
    "/usr/local/share/fonts/dejavu",
)
_UNICODE_FAMILY = "DejaVu"

# A fixed timestamp for documents that carry no createdAt: identical input, identical bytes.
_FIXED_CREATION_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)

# --- page geometry (mm, A4 portrait) --------------------------------------------------------------

PAGE_W = 210.0
MARGIN = 15.0
CONTENT_W = PAGE_W - 2 * MARGIN
BOTTOM_MARGIN = 20.0
# Line table: description, quantity, unit price, tax, net amount (sums to CONTENT_W).
COLS = (84.0, 18.0, 28.0, 16.0, 34.0)
ROW_PAD = 1.6
GROUP_INDENT = 4.0

INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (222, 226, 230)
BAND = (243, 245, 247)
WATERMARK = (226, 228, 231)
DEFAULT_ACCENT = (33, 37, 41)


# --- text ------------------------------------------------------------------------------------------

# What to print for characters a font lacks, before falling back to NFKD decomposition.
_SUBSTITUTES: dict[str, str] = {
    "€": "EUR ", "₩": "KRW ", "₹": "INR ", "₽": "RUB ", "₺": "TRY ", "₪": "ILS ", "฿": "THB ",
    "₫": "VND ", "₱": "PHP ", "₴": "UAH ", "₦": "NGN ", "₡": "CRC ", "₸": "KZT ", "₲": "PYG ",
    "₭": "LAK ", "₮": "MNT ", "₼": "AZN ", "₾": "GEL ", "₿": "BTC ", "₵": "GHS ", "₨": "Rs ",
    "‘": "'", "’": "'", "‚": ",", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"', "‟": '"',
    "″": '"', "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "…": "...",
    "•": "*", "‹": "<", "›": ">", "→": "->", "←": "<-", "≤": "<=", "≥": ">=", "≠": "!=",
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "œ": "oe", "Œ": "OE", "ħ": "h", "Ħ": "H",
    "ŧ": "t", "Ŧ": "T", "ŋ": "ng", "Ŋ": "NG", "ƒ": "f", "ſ": "s",
}


def _latin1(cp: int) -> bool:
    return 0x20 <= cp <= 0x7E or 0xA0 <= cp <= 0xFF


def clean_text(value: Any, covered: Callable[[int], bool] = _latin1, *, multiline: bool = False) -> str:
    """Text the font can draw: never raises, whatever ``value`` holds.

    Control and format characters and lone surrogates are dropped, exotic spaces become spaces,
    and characters outside ``covered`` are substituted, decomposed (NFKD, keeping what the font
    has) or replaced by ``?``. Newlines survive only when ``multiline``.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.isascii() and text.isprintable():
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    try:
        text = unicodedata.normalize("NFC", text)
    except (TypeError, ValueError, UnicodeError):  # pragma: no cover - defensive
        pass
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch == "\n":
            out.append("\n" if multiline else " ")
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Co") or (category == "Cf" and ch != "\u00ad"):
            continue  # controls, lone surrogates, private use, zero-width and bidi marks
        if covered(ord(ch)):
            out.append(ch)
            continue
        if unicodedata.combining(ch):
            continue
        if category.startswith("Z"):
            out.append(" ")
            continue
        sub = _SUBSTITUTES.get(ch)
        if sub is None:
            decomposed = unicodedata.normalize("NFKD", ch)
            sub = "".join(c for c in decomposed if covered(ord(c)) and not unicodedata.combining(c)) or "?"
        elif sub.endswith(" ") and (i + 1 == len(text) or text[i + 1].isspace()):
            sub = sub.rstrip()  # "5 €" → "5 EUR", not "5 EUR "
        out.append(sub)
    return "".join(out)


def _meta_text(value: Any) -> str:
    """For PDF metadata (UTF-16 in the file): only what cannot be encoded at all goes."""
    text = "" if value is None else str(value)
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cs"))


# --- values ----------------------------------------------------------------------------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _str(value: Any) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(value) if isinstance(value, (Decimal, int, str)) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return result if result.is_finite() else None


def format_money(value: Any, currency: str, *, exact: bool = False) -> str:
    """``"1440.6"``, ``"GBP"`` → ``"£1,440.60"``; ``exact`` keeps sub-minor digits (unit prices)."""
    amount = _decimal(value)
    if amount is None:
        return _str(value)
    code = currency.strip().upper() if isinstance(currency, str) else ""
    try:
        if code:
            return format_currency(amount, code, locale=LOCALE, decimal_quantization=not exact)
        return format_decimal(amount, locale=LOCALE, decimal_quantization=False)
    except (ArithmeticError, ValueError, TypeError, LookupError):
        return f"{code} {amount}".strip()


def format_number(value: Any) -> str:
    """Quantities: ``"1200.5"`` → ``"1,200.5"``, every digit kept."""
    number = _decimal(value)
    if number is None:
        return _str(value)
    try:
        return format_decimal(number, locale=LOCALE, decimal_quantization=False)
    except (ArithmeticError, ValueError, TypeError, LookupError):
        return str(number)


def format_percent(fraction: Any) -> str:
    """``"0.2"`` → ``"20%"``, ``"0.125"`` → ``"12.5%"``."""
    number = _decimal(fraction)
    if number is None:
        return _str(fraction)
    return f"{format_number(number * 100)}%"


def format_date(value: Any) -> str:
    """ISO ``"2026-11-24"`` (or a timestamp starting so) → ``"24 Nov 2026"``; anything else as is."""
    text = _str(value)
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        return text
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _date_range(start: Any, end: Any) -> str:
    first, last = format_date(start), format_date(end)
    if first and last:
        return first if first == last else f"{first} – {last}"
    return first or last


@functools.lru_cache(maxsize=1)
def _territories() -> Mapping[str, str]:
    try:
        return Locale.parse(LOCALE).territories
    except Exception:  # noqa: BLE001 - a missing locale only costs country names
        return {}


def _address_lines(address: Any) -> list[str]:
    a = _mapping(address)
    town_state = ", ".join(part for part in (_str(a.get("town")), _str(a.get("state"))) if part)
    locality = " ".join(part for part in (town_state, _str(a.get("postcode"))) if part)
    country = _str(a.get("country"))
    country_name = _territories().get(country.upper(), country) if country else ""
    return [line for line in (_str(a.get("line1")), _str(a.get("line2")), locality, country_name) if line]


def _colour(value: Any) -> tuple[int, int, int]:
    """``"#1A73E8"`` / ``"#17e"`` → RGB; missing, malformed or too pale → the default ink."""
    text = _str(value).lstrip("#")
    if re.fullmatch(r"[0-9a-fA-F]{3}", text):
        text = "".join(c * 2 for c in text)
    if not re.fullmatch(r"[0-9a-fA-F]{6}", text):
        return DEFAULT_ACCENT
    r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    if 0.299 * r + 0.587 * g + 0.114 * b > 200:  # unreadable as text on white
        return DEFAULT_ACCENT
    return (r, g, b)


def _creation_date(value: Any) -> dt.datetime:
    text = _str(value)
    if text:
        try:
            stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return _FIXED_CREATION_DATE
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)
    return _FIXED_CREATION_DATE


def _ordered(items: Any) -> list[Mapping[str, Any]]:
    """The dicts of ``items`` by their ``index`` (then their given order)."""
    if not isinstance(items, Iterable) or isinstance(items, (str, bytes, Mapping)):
        return []
    rows = [item for item in items if isinstance(item, Mapping)]

    def key(pair: tuple[int, Mapping[str, Any]]) -> tuple[int, int, int]:
        index = pair[1].get("index")
        if isinstance(index, int) and not isinstance(index, bool):
            return (0, index, pair[0])
        return (1, 0, pair[0])

    return [row for _, row in sorted(enumerate(rows), key=key)]


# --- fonts -----------------------------------------------------------------------------------------


def _font_files() -> tuple[Path, Path] | None:
    """DejaVu Sans regular and bold, if this machine has both, cut down to the scripts invoices use."""
    found = _find_dejavu()
    return None if found is None else _subset_fonts(found)


#: What a cut-down face keeps: Latin (with extensions), Greek, Cyrillic, general punctuation, currency
#: symbols, letterlike symbols, arrows, maths operators, geometric shapes. Anything else is replaced by
#: ``clean_text`` exactly as for a glyph the full face lacks (DejaVu has no CJK either).
_SUBSET_RANGES: tuple[tuple[int, int], ...] = (
    (0x20, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x2000, 0x206F), (0x20A0, 0x20CF),
    (0x2100, 0x214F), (0x2190, 0x21FF), (0x2200, 0x22FF), (0x25A0, 0x25FF),
)


@functools.lru_cache(maxsize=4)
def _subset_fonts(fonts: tuple[Path, Path]) -> tuple[Path, Path]:
    """Write (once per machine, atomically) and return subsets of ``fonts``.

    fpdf2 parses the whole font file for every document and subsets it again on output; with DejaVu's
    ~6,000 glyphs that was 60 % of a 20-line render (docs/performance.md). A ~1,300-glyph face halves it.
    Any failure falls back to the full files.
    """
    try:
        from fontTools import subset

        folder = Path(tempfile.gettempdir()) / f"quire-fonts-{os.getuid()}"
        folder.mkdir(mode=0o700, exist_ok=True)
        out: list[Path] = []
        for source in fonts:
            stat = source.stat()
            tag = hashlib.sha256(f"{source}:{stat.st_size}:{stat.st_mtime_ns}:{_SUBSET_RANGES}".encode()).hexdigest()[:16]
            target = folder / f"{source.stem}-{tag}.ttf"
            if not target.is_file():
                options = subset.Options()
                options.layout_features = []
                options.notdef_outline = True
                options.drop_tables += ["GPOS", "GSUB", "GDEF", "FFTM"]
                font = subset.load_font(str(source), options)
                subsetter = subset.Subsetter(options)
                subsetter.populate(unicodes=[cp for low, high in _SUBSET_RANGES for cp in range(low, high + 1)])
                subsetter.subset(font)
                partial = folder / f"{target.name}.{os.getpid()}.tmp"
                subset.save_font(font, str(partial), options)
                os.replace(partial, target)
            out.append(target)
        return out[0], out[1]
    except Exception:  # noqa: BLE001 - a read-only temp dir or an odd font: render with the full faces
        return fonts


@functools.lru_cache(maxsize=1)
def _find_dejavu() -> tuple[Path, Path] | None:
    for folder in FONT_DIRS:
        regular = Path(folder) / "DejaVuSans.ttf"
        bold = Path(folder) / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


_GLYPHS: dict[tuple[Path, Path], frozenset[int]] = {}


def _glyphs(fonts: tuple[Path, Path], compute: Callable[[], frozenset[int]]) -> frozenset[int]:
    """Code points both faces can draw, worked out once per pair of font files."""
    glyphs = _GLYPHS.get(fonts)
    if glyphs is None:
        glyphs = _GLYPHS[fonts] = compute()
    return glyphs


def unicode_fonts_available() -> bool:
    return _font_files() is not None


# --- the document ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    title: str
    number_field: str
    is_invoice: bool


_INVOICE = _Kind("Invoice", "invoiceNumber", True)
_CREDIT_NOTE = _Kind("Credit note", "creditNoteNumber", False)

_WATERMARKS = {"DRAFT": "DRAFT", "IN_PROGRESS": "DRAFT", "VOIDED": "VOID"}


class _Pdf(FPDF):
    def __init__(self, fonts: tuple[Path, Path] | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=BOTTOM_MARGIN)
        self.alias_nb_pages()
        if fonts is not None:
            self.add_font(_UNICODE_FAMILY, "", str(fonts[0]))
            self.add_font(_UNICODE_FAMILY, "B", str(fonts[1]))
            key = _UNICODE_FAMILY.lower()
            glyphs = _glyphs(fonts, lambda: frozenset(self.fonts[key].cmap) & frozenset(self.fonts[key + "B"].cmap))
            self.face = _UNICODE_FAMILY
            self.covered: Callable[[int], bool] = lambda cp: cp >= 0x20 and cp in glyphs
        else:
            self.face = "helvetica"
            self.covered = _latin1
        self.accent = DEFAULT_ACCENT
        self.watermark = ""
        self.running_title = ""
        self.footer_text = ""
        self.table_active = False

    # text helpers

    def t(self, value: Any, *, multiline: bool = False) -> str:
        return clean_text(value, self.covered, multiline=multiline)

    def style(self, size: float, bold: bool = False, colour: tuple[int, int, int] = INK) -> None:
        self.set_font(self.face, "B" if bold else "", size)
        self.set_text_color(*colour)

    def unwrapped(self, width: float, text: str) -> list[str] | None:
        """The lines of ``text`` if none needs wrapping at ``width`` (the common case), else None."""
        room = width - 2 * self.c_margin
        parts = text.split("\n")
        if all(self.get_string_width(part) <= room for part in parts):
            return parts
        return None

    def text_height(self, width: float, line_height: float, text: str) -> float:
        if not text:
            return 0.0
        parts = self.unwrapped(width, text)
        if parts is not None:
            return line_height * len(parts)
        return float(self.multi_cell(width, line_height, text, dry_run=True, output=MethodReturnValue.HEIGHT))

    def para(self, x: float, width: float, line_height: float, text: str, align: str = "L") -> None:
        """A wrapped paragraph at ``x`` from the current y; leaves y below it."""
        if not text:
            return
        self.set_x(x)
        parts = self.unwrapped(width, text)
        if parts is None:
            self.multi_cell(width, line_height, text, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)
            return
        for part in parts:  # cell() is several times cheaper than multi_cell's line breaking
            self.set_x(x)
            self.cell(width, line_height, part, align=align, new_x=XPos.LEFT, new_y=YPos.NEXT)

    def fit_cell(self, width: float, height: float, text: str, align: str = "R", bold: bool = False) -> None:
        """One-line cell; shrinks the font (down to 5pt) rather than spill into its neighbour."""
        size = self.font_size_pt
        room = width - 2 * self.c_margin
        if text and self.get_string_width(text) > room:
            shrunk = size
            while shrunk > 5 and self.get_string_width(text) > room:
                shrunk -= 0.5
                self.set_font(self.face, "B" if bold else "", shrunk)
        self.cell(width, height, text, align=align, new_x=XPos.RIGHT, new_y=YPos.TOP)
        if self.font_size_pt != size:
            self.set_font(self.face, "B" if bold else "", size)

    def rule(self, y: float, colour: tuple[int, int, int] = RULE, width: float = 0.2, x: float = MARGIN, length: float = CONTENT_W) -> None:
        self.set_draw_color(*colour)
        self.set_line_width(width)
        self.line(x, y, x + length, y)

    def ensure_room(self, height: float) -> None:
        """Start a new page unless ``height`` fits below the cursor (blocks taller than a page just flow)."""
        usable = self.page_break_trigger - MARGIN - 20
        if self.get_y() + height > self.page_break_trigger and height <= usable:
            self.add_page()

    # page furniture

    def header(self) -> None:
        if self.watermark:
            self.style(110, bold=True, colour=WATERMARK)
            width = self.get_string_width(self.watermark)
            cx, cy = self.w / 2, self.h / 2
            with self.rotation(angle=45, x=cx, y=cy):
                self.text(cx - width / 2, cy + 110 * 0.3528 * 0.35, self.watermark)
        if self.page_no() > 1 and self.running_title:
            self.style(8, colour=MUTED)
            self.set_xy(MARGIN, MARGIN - 6)
            self.cell(CONTENT_W, 4, self.running_title, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_y(MARGIN)
        if self.table_active:
            self.table_header()

    def footer(self) -> None:
        self.set_y(-12)
        self.style(7.5, colour=MUTED)
        self.rule(self.get_y() - 1.5)
        self.fit_cell(CONTENT_W * 0.7, 4, self.footer_text, align="L")
        self.cell(CONTENT_W * 0.3, 4, f"Page {self.page_no()} of {{nb}}", align="R")

    def table_header(self) -> None:
        self.style(8, bold=True, colour=MUTED)
        y = self.get_y()
        self.set_x(MARGIN)
        labels = ("Description", "Qty", "Unit price", "Tax", "Amount")
        for width, label in zip(COLS, labels):
            self.cell(width, 7, label, align="L" if label == "Description" else "R", new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.rule(y + 7, colour=self.accent, width=0.4)
        self.set_y(y + 8)


class _Renderer:
    def __init__(self, kind: _Kind, doc: Any, lines: Any, groups: Any) -> None:
        self.kind = kind
        self.doc = _mapping(doc)
        self.lines = _ordered(lines)
        self.groups = _ordered(groups)
        self.currency = _str(self.doc.get("currency")).upper()
        self.merchant = _mapping(self.doc.get("merchantDetails"))
        self.status = _str(self.doc.get("status")).upper()
        self.number = _str(self.doc.get(kind.number_field))
        self.pdf = _Pdf(_font_files())

    def money(self, value: Any, *, exact: bool = False) -> str:
        return self.pdf.t(format_money(value, self.currency, exact=exact))

    # ------------------------------------------------------------------------------------------

    def render(self) -> bytes:
        pdf = self.pdf
        merchant_name = _str(self.merchant.get("legalCompanyName"))
        label = f"{self.kind.title} {self.number}".strip() if self.number else self.kind.title
        pdf.accent = _colour(self.merchant.get("primaryColour"))
        pdf.watermark = _WATERMARKS.get(self.status, "")
        pdf.running_title = pdf.t(f"{label} (continued)")
        pdf.footer_text = pdf.t(" · ".join(part for part in (merchant_name, label) if part))
        pdf.set_title(_meta_text(label))
        pdf.set_subject(_meta_text(f"{label} for {_str(self.doc.get('customerLegalCompanyName'))}".strip()))
        if merchant_name:
            pdf.set_author(_meta_text(merchant_name))
        pdf.set_creator("Quire")
        pdf.set_lang("en-GB")
        pdf.set_creation_date(_creation_date(self.doc.get("createdAt")))

        pdf.add_page()
        self.masthead()
        self.parties()
        self.line_table()
        self.summary()
        self.notes()
        if self.kind.is_invoice and self.status != "VOIDED":
            self.payment_details()
        return bytes(pdf.output())

    # --- top of the first page ----------------------------------------------------------------

    def masthead(self) -> None:
        pdf = self.pdf
        top = pdf.get_y()
        m = self.merchant
        left_w, right_x, right_w = 95.0, 115.0, 80.0

        pdf.set_xy(MARGIN, top)
        name = pdf.t(m.get("legalCompanyName"))
        if name:
            pdf.style(13, bold=True)
            pdf.para(MARGIN, left_w, 6, name)
        pdf.style(8.5, colour=MUTED)
        details = list(_address_lines(m.get("address")))
        for key, prefix in (("email", ""), ("phoneNumber", "Tel. "), ("phone", "Tel. "), ("taxId", "Tax ID: ")):
            value = _str(m.get(key))
            if value and not (key == "phone" and m.get("phoneNumber")):
                details.append(prefix + value)
        custom = m.get("customFields")
        if isinstance(custom, list):
            for field in custom:
                f = _mapping(field)
                if _str(f.get("key")) or _str(f.get("value")):
                    details.append(": ".join(p for p in (_str(f.get("key")), _str(f.get("value"))) if p))
        for line in details:
            pdf.para(MARGIN, left_w, 4, pdf.t(line))
        left_end = pdf.get_y()

        pdf.set_xy(right_x, top)
        pdf.style(22, bold=True, colour=pdf.accent)
        pdf.para(right_x, right_w, 10, pdf.t(self.kind.title), align="R")
        pdf.style(11, bold=True)
        if self.number:
            pdf.para(right_x, right_w, 6, pdf.t(self.number), align="R")
        else:
            pdf.style(8, colour=MUTED)
            pdf.para(right_x, right_w, 5, pdf.t(f"ID {_str(self.doc.get('id'))}"), align="R")
        pdf.set_y(pdf.get_y() + 2)
        rows = [("Issue date", format_date(self.doc.get("issueDate")))]
        if self.kind.is_invoice:
            rows.append(("Due date", format_date(self.doc.get("dueDate"))))
        else:
            rows.append(("Invoice", _str(self.doc.get("invoiceNumber"))))
        self.key_values(right_x, right_w, [(k, v) for k, v in rows if v], label_w=40, align="R")
        pdf.set_y(max(left_end, pdf.get_y()) + 8)

    def key_values(self, x: float, width: float, rows: Sequence[tuple[str, str]], *, label_w: float, align: str = "L") -> None:
        pdf = self.pdf
        for label, value in rows:
            y = pdf.get_y()
            pdf.set_xy(x, y)
            pdf.style(8.5, colour=MUTED)
            pdf.cell(label_w, 4.5, pdf.t(label), new_x=XPos.RIGHT, new_y=YPos.TOP)
            pdf.style(8.5)
            pdf.para(x + label_w, width - label_w, 4.5, pdf.t(value, multiline=True), align=align)

    def parties(self) -> None:
        pdf = self.pdf
        d = self.doc
        top = pdf.get_y()
        bill_w = 60.0
        ends = []

        def heading(x: float, width: float, text: str) -> None:
            pdf.style(7.5, bold=True, colour=MUTED)
            pdf.para(x, width, 4.5, text.upper())

        # Bill to
        pdf.set_y(top)
        heading(MARGIN, bill_w, "Bill to")
        pdf.style(10, bold=True)
        pdf.para(MARGIN, bill_w, 5, pdf.t(d.get("customerLegalCompanyName")))
        pdf.style(8.5)
        for line in _address_lines(d.get("customerBillingAddress")):
            pdf.para(MARGIN, bill_w, 4, pdf.t(line))
        pdf.style(8.5, colour=MUTED)
        tax_id = _str(d.get("customerTaxId"))
        if tax_id:
            pdf.para(MARGIN, bill_w, 4, pdf.t(f"Tax ID: {tax_id}"))
        emails = d.get("customerEmails")
        if isinstance(emails, list):
            for email in emails:
                if _str(email):
                    pdf.para(MARGIN, bill_w, 4, pdf.t(email))
        ends.append(pdf.get_y())

        # Ship to, when it says something the billing address does not
        shipping = _address_lines(d.get("customerShippingAddress"))
        if shipping and shipping != _address_lines(d.get("customerBillingAddress")):
            x, ship_w = MARGIN + bill_w + 3, 44.0
            pdf.set_y(top)
            heading(x, ship_w, "Ship to")
            pdf.style(8.5)
            for line in shipping:
                pdf.para(x, ship_w, 4, pdf.t(line))
            ends.append(pdf.get_y())

        # Details
        rows: list[tuple[str, str]] = []
        if not self.kind.is_invoice and _str(d.get("invoiceNumber")):
            rows.append(("Credit for invoice", _str(d.get("invoiceNumber"))))
        rows.append(("Purchase order", _str(d.get("purchaseOrderNumber"))))
        rows.append(("Reference", _str(d.get("reference"))))
        period = _mapping(d.get("billingPeriod"))
        rows.append(
            (
                "Billing period",
                _date_range(
                    period.get("start", d.get("billingPeriodStart")),
                    period.get("endInclusive", period.get("end", d.get("billingPeriodEnd"))),
                ),
            )
        )
        rows = [(k, v) for k, v in rows if v]
        if rows:
            x = 125.0
            pdf.set_y(top)
            heading(x, 70, "Details")
            self.key_values(x, 70, rows, label_w=25)
            ends.append(pdf.get_y())
        pdf.set_y(max(ends) + 8)

    # --- lines ---------------------------------------------------------------------------------

    def line_table(self) -> None:
        pdf = self.pdf
        pdf.ensure_room(8 + 12)
        pdf.table_active = True
        pdf.table_header()

        group_ids = {_str(g.get("id")) for g in self.groups if _str(g.get("id"))}
        by_group: dict[str, list[Mapping[str, Any]]] = {gid: [] for gid in group_ids}
        ungrouped: list[Mapping[str, Any]] = []
        for line in self.lines:
            gid = _str(line.get("groupId"))
            (by_group[gid] if gid in by_group else ungrouped).append(line)

        if not self.lines:
            pdf.style(9, colour=MUTED)
            pdf.set_x(MARGIN)
            pdf.cell(CONTENT_W, 8, "No line items", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for line in ungrouped:
            self.line_row(line, indent=0.0)
        for group in self.groups:
            members = by_group.get(_str(group.get("id")), [])
            if members:
                self.group_block(group, members)
        pdf.table_active = False
        pdf.set_y(pdf.get_y() + 4)

    def _line_texts(self, line: Mapping[str, Any]) -> tuple[str, str]:
        pdf = self.pdf
        title = pdf.t(line.get("title"))
        period = _mapping(line.get("servicePeriod"))
        service = _date_range(
            period.get("startDate", line.get("serviceStartDate", line.get("servicePeriodStart"))),
            period.get("endDate", line.get("serviceEndDate", line.get("servicePeriodEnd"))),
        )
        extra = "\n".join(
            part for part in (pdf.t(line.get("description"), multiline=True).strip(), pdf.t(service)) if part
        )
        return title, extra

    def line_row(self, line: Mapping[str, Any], indent: float) -> None:
        pdf = self.pdf
        title, extra = self._line_texts(line)
        desc_w = COLS[0] - indent
        pdf.style(9)
        height = pdf.text_height(desc_w, 4.2, title or " ")
        if extra:
            pdf.style(7.5)
            height += pdf.text_height(desc_w, 3.6, extra)
        height += 2 * ROW_PAD
        pdf.ensure_room(height)

        y0, page0 = pdf.get_y(), pdf.page
        if _str(line.get("rateDisplay")).upper() == "PERCENTAGE":
            price = pdf.t(format_percent(line.get("rate")))
        else:
            price = self.money(line.get("rate"), exact=True)
        pdf.style(9)
        pdf.set_xy(MARGIN + COLS[0], y0 + ROW_PAD)
        pdf.fit_cell(COLS[1], 4.2, pdf.t(format_number(line.get("quantity"))))
        pdf.fit_cell(COLS[2], 4.2, price)
        pdf.fit_cell(COLS[3], 4.2, pdf.t(format_percent(line.get("taxRate"))) if line.get("taxRate") is not None else "")
        pdf.fit_cell(COLS[4], 4.2, self.money(line.get("netTotal")))

        pdf.set_y(y0 + ROW_PAD)
        pdf.para(MARGIN + indent, desc_w, 4.2, title or " ")
        if extra:
            pdf.style(7.5, colour=MUTED)
            pdf.para(MARGIN + indent, desc_w, 3.6, extra)
        end = pdf.get_y() + ROW_PAD
        if pdf.page == page0:
            end = max(end, y0 + height)
        pdf.rule(end)
        pdf.set_y(end)

    def group_block(self, group: Mapping[str, Any], members: list[Mapping[str, Any]]) -> None:
        pdf = self.pdf
        title = pdf.t(group.get("title")) or "Group"
        description = pdf.t(group.get("description"), multiline=True).strip()
        pdf.style(9, bold=True)
        head = pdf.text_height(CONTENT_W - 4, 4.6, title) + 2 * ROW_PAD
        if description:
            pdf.style(7.5)
            head += pdf.text_height(CONTENT_W - 4, 3.6, description)
        pdf.ensure_room(head + 10)  # the heading never sits alone at the foot of a page

        y0 = pdf.get_y()
        pdf.set_fill_color(*BAND)
        pdf.rect(MARGIN, y0, CONTENT_W, head, style="F")
        pdf.style(9, bold=True)
        pdf.set_y(y0 + ROW_PAD)
        pdf.para(MARGIN + 2, CONTENT_W - 4, 4.6, title)
        if description:
            pdf.style(7.5, colour=MUTED)
            pdf.para(MARGIN + 2, CONTENT_W - 4, 3.6, description)
        pdf.set_y(max(pdf.get_y() + ROW_PAD, y0 + head))

        for line in members:
            self.line_row(line, indent=GROUP_INDENT)

        net = group.get("netTotal")
        if _decimal(net) is None:
            net = str(sum((_decimal(m.get("netTotal")) or Decimal(0) for m in members), Decimal(0)))
        pdf.ensure_room(7)
        y = pdf.get_y()
        pdf.style(8.5, bold=True)
        pdf.set_xy(MARGIN, y + 1)
        pdf.fit_cell(sum(COLS[:4]), 5, pdf.t(f"Subtotal {title}") if len(title) <= 40 else "Subtotal", bold=True)
        pdf.fit_cell(COLS[4], 5, self.money(net), bold=True)
        pdf.rule(y + 7)
        pdf.set_y(y + 8)

    # --- totals --------------------------------------------------------------------------------

    def tax_breakdown(self) -> list[tuple[str, str, str]]:
        """(rate, net, tax) per distinct tax rate, lowest rate first."""
        buckets: dict[Decimal | None, list[Decimal]] = {}
        labels: dict[Decimal | None, str] = {}
        for line in self.lines:
            rate = _decimal(line.get("taxRate"))
            key = rate.normalize() if rate is not None else None
            totals = buckets.setdefault(key, [Decimal(0), Decimal(0)])
            totals[0] += _decimal(line.get("netTotal")) or Decimal(0)
            totals[1] += _decimal(line.get("totalTax")) or Decimal(0)
            labels.setdefault(key, format_percent(rate) if rate is not None else "Other")
        order = sorted(buckets, key=lambda k: (k is None, k if k is not None else Decimal(0)))
        return [(labels[k], self.money(buckets[k][0]), self.money(buckets[k][1])) for k in order]

    def summary(self) -> None:
        pdf = self.pdf
        d = self.doc
        breakdown = self.tax_breakdown()
        needed = max(32.0, 10 + 5 * len(breakdown))
        pdf.ensure_room(needed)
        top = pdf.get_y()

        # Totals, right
        x, label_w, value_w = 115.0, 42.0, 38.0
        pdf.set_y(top)
        for label, value in (("Subtotal", d.get("netTotal")), ("Tax", d.get("totalTax"))):
            pdf.set_x(x)
            pdf.style(9, colour=MUTED)
            pdf.cell(label_w, 6, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
            pdf.style(9)
            pdf.fit_cell(value_w, 6, self.money(value))
            pdf.set_y(pdf.get_y() + 6)
        pdf.rule(pdf.get_y() + 0.5, colour=pdf.accent, width=0.4, x=x, length=label_w + value_w)
        pdf.set_xy(x, pdf.get_y() + 1.5)
        pdf.style(11, bold=True)
        total_label = "Total" if self.kind.is_invoice else "Total credit"
        pdf.cell(label_w, 8, f"{total_label} ({self.currency})" if self.currency else total_label, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.fit_cell(value_w, 8, self.money(d.get("grossTotal")), bold=True)
        right_end = pdf.get_y() + 9

        # Tax by rate, left
        left_end = top
        if breakdown:
            widths = (24.0, 33.0, 33.0)
            pdf.set_xy(MARGIN, top)
            pdf.style(7.5, bold=True, colour=MUTED)
            for width, label in zip(widths, ("TAX RATE", "NET", "TAX")):
                pdf.cell(width, 5, label, align="L" if label == "TAX RATE" else "R", new_x=XPos.RIGHT, new_y=YPos.TOP)
            pdf.rule(top + 5, x=MARGIN, length=sum(widths))
            y = top + 5.5
            pdf.style(8.5)
            for rate, net, tax in breakdown:
                pdf.set_xy(MARGIN, y)
                pdf.fit_cell(widths[0], 4.8, pdf.t(rate), align="L")
                pdf.fit_cell(widths[1], 4.8, net)
                pdf.fit_cell(widths[2], 4.8, tax)
                y += 4.8
            left_end = y
        status = _str(d.get("customerTaxStatus")).upper()
        note = {
            "REVERSE_CHARGED": "Reverse charge: the customer is liable to account for the tax.",
            "TAX_EXEMPT": "The customer is exempt from tax.",
        }.get(status)
        if note:
            pdf.set_y(left_end + 1.5)
            pdf.style(7.5, colour=MUTED)
            pdf.para(MARGIN, 90, 3.6, note)
            left_end = pdf.get_y()
        pdf.set_y(max(left_end, right_end) + 6)

    # --- after the totals ----------------------------------------------------------------------

    def section_heading(self, text: str, body_height: float) -> None:
        pdf = self.pdf
        pdf.ensure_room(7 + min(body_height, 30))
        pdf.style(9, bold=True, colour=pdf.accent)
        pdf.set_x(MARGIN)
        pdf.cell(CONTENT_W, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.rule(pdf.get_y(), width=0.2)
        pdf.set_y(pdf.get_y() + 1.5)

    def notes(self) -> None:
        pdf = self.pdf
        memo = pdf.t(self.doc.get("memo"), multiline=True).strip()
        if not memo:
            return
        pdf.style(9)
        height = pdf.text_height(CONTENT_W, 4.4, memo)
        self.section_heading("Notes", height)
        pdf.style(9)
        pdf.para(MARGIN, CONTENT_W, 4.4, memo)
        pdf.set_y(pdf.get_y() + 5)

    def bank_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        return bank_sections(self.merchant)

    def payment_details(self) -> None:
        pdf = self.pdf
        d = self.doc
        options = d.get("paymentOptions")
        options = {(_str(o).upper()) for o in options} if isinstance(options, list) else set()
        bank = self.bank_sections() if not options or "BANK_TRANSFER" in options else []
        link_hidden = _str(_mapping(d.get("renderSettings")).get("paymentLinkDisplay")).upper() == "HIDE_PAYMENT_LINK"

        sentences = []
        due = format_date(d.get("dueDate"))
        if due:
            sentences.append(f"Please pay {format_money(d.get('grossTotal'), self.currency)} by {due}.")
        if self.number and (bank or due):
            sentences.append(f"Please quote {self.number} as the payment reference.")
        if "LINK" in options and not link_hidden:
            sentences.append("You can also pay online using the payment link sent with this invoice.")
        if not sentences and not bank:
            return

        intro = pdf.t(" ".join(sentences))
        pdf.style(9)
        rows = sum(len(r) + (1 if t else 0) for t, r in bank)
        self.section_heading("Payment details", pdf.text_height(CONTENT_W, 4.4, intro) + 4.5 * rows)
        pdf.style(9)
        pdf.para(MARGIN, CONTENT_W, 4.4, intro)
        for title, section in bank:
            pdf.set_y(pdf.get_y() + 1.5)
            pdf.ensure_room(4.5 * (len(section) + 1))
            if title:
                pdf.style(8.5, bold=True)
                pdf.para(MARGIN, CONTENT_W, 4.5, pdf.t(title))
            self.key_values(MARGIN, 120, section, label_w=40)


def bank_sections(merchant_details: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """The payment-details sections (title, label/value rows) printed for ``merchantDetails``; the
    hosted invoice page shows the same."""
    m = _mapping(merchant_details)
    sections: list[tuple[str, list[tuple[str, str]]]] = []

    def add(title: str, rows: list[tuple[str, Any]]) -> None:
        kept = [(label, _str(value)) for label, value in rows if _str(value)]
        if kept:
            sections.append((title, kept))

    def one_line(address: Any) -> str:
        return ", ".join(_address_lines(address))

    iban = re.sub(r"\s+", "", _str(m.get("iban")))
    add("", [("IBAN", " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)))])
    uk = _mapping(m.get("ukAccountDetails"))
    sort_code = _str(uk.get("sortCode"))
    if re.fullmatch(r"\d{6}", sort_code):
        sort_code = f"{sort_code[:2]}-{sort_code[2:4]}-{sort_code[4:]}"
    add("UK bank transfer", [("Sort code", sort_code), ("Account number", uk.get("accountNumber"))])
    ach = _mapping(m.get("usAchDetails"))
    add(
        "US ACH",
        [
            ("Account name", ach.get("accountName")),
            ("Bank", ach.get("bankName")),
            ("Routing number", ach.get("bankRoutingNumber")),
            ("Account number", ach.get("accountNumber")),
        ],
    )
    wire = _mapping(m.get("usWireDetails"))
    add(
        "US wire",
        [
            ("Account name", wire.get("accountName")),
            ("Bank", wire.get("bankName")),
            ("Bank address", one_line(wire.get("bankAddress"))),
            ("Routing number", wire.get("bankRoutingNumber")),
            ("Account number", wire.get("accountNumber")),
            ("SWIFT/BIC", wire.get("swiftCode")),
        ],
    )
    ca = _mapping(m.get("caBankAccountDetails"))
    add(
        "Canadian bank transfer",
        [
            ("Institution number", ca.get("institutionNumber")),
            ("Transit number", ca.get("transitNumber")),
            ("Account number", ca.get("accountNumber")),
        ],
    )
    cai = _mapping(m.get("canadianInternationalDestination"))
    middle = _mapping(cai.get("intermediaryBank"))
    add(
        "International transfer (Canada)",
        [
            ("Account name", cai.get("legalName")),
            ("Bank", cai.get("bankName")),
            ("Bank address", one_line(cai.get("bankAddress"))),
            ("Institution number", cai.get("institutionNumber")),
            ("Transit number", cai.get("transitNumber")),
            ("Account number", cai.get("accountNumber")),
            ("SWIFT/BIC", cai.get("swiftCode")),
            ("Intermediary bank", middle.get("bankName")),
            ("Intermediary address", one_line(middle.get("bankAddress"))),
            ("Intermediary SWIFT", middle.get("swiftCode")),
            ("Intermediary routing", middle.get("routingNumber")),
        ],
    )
    au = _mapping(m.get("australianDestination"))
    add(
        "Australian bank transfer",
        [
            ("Account name", au.get("legalName")),
            ("BSB", au.get("bsb")),
            ("Account number", au.get("accountNumber")),
            ("SWIFT/BIC", au.get("swiftCode")),
        ],
    )
    if sections:
        header: list[tuple[str, Any]] = [("Beneficiary", m.get("legalCompanyName"))]
        if m.get("includeBeneficiaryAddressInPaymentDetails") is True:
            header.append(("Beneficiary address", one_line(m.get("address"))))
        kept = [(label, _str(value)) for label, value in header if _str(value)]
        if kept:
            if sections[0][0] == "":
                sections[0] = ("", kept + sections[0][1])
            else:
                sections.insert(0, ("", kept))
    return sections


def address_lines(address: Any) -> list[str]:
    """An address as the PDF prints it: street lines, town/state/postcode, country name."""
    return _address_lines(address)


def _render(kind: _Kind, doc: Any, lines: Any, groups: Any) -> bytes:
    return _Renderer(kind, doc, lines, groups).render()


def render_invoice_pdf(
    invoice_json: Mapping[str, Any],
    lines_json: Sequence[Mapping[str, Any]],
    groups_json: Sequence[Mapping[str, Any]],
) -> bytes:
    """The invoice as an A4 PDF, from the API's invoice, line item and line item group JSON."""
    return _render(_INVOICE, invoice_json, lines_json, groups_json)


def render_credit_note_pdf(
    credit_note_json: Mapping[str, Any],
    lines_json: Sequence[Mapping[str, Any]],
    groups_json: Sequence[Mapping[str, Any]],
) -> bytes:
    """The credit note as an A4 PDF, from the API's credit note, line item and group JSON."""
    return _render(_CREDIT_NOTE, credit_note_json, lines_json, groups_json)
