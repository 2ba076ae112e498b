"""Invoice PDF engines compared on the same invoice: Quire's renderer (Typst, through its render
process pool), the same template compiled in-process, and WeasyPrint + Jinja2. Issue 4 asked for the
measurement; the findings and the decision are in docs/pdf-engines.md.

    python bench/pdf_engines.py                 # every engine that imports, all measurements
    python bench/pdf_engines.py --engines quire --no-cold

    # WeasyPrint too (not a Quire dependency):
    python3 -m venv /tmp/pdfbench && /tmp/pdfbench/bin/pip install -e . weasyprint pypdfium2 packaging \
        && /tmp/pdfbench/bin/python bench/pdf_engines.py

Any Python with Quire installed will do (the repo's src/ is put on sys.path when quire is not
installed); WeasyPrint is optional: `pip install weasyprint` (it also needs Pango from the OS: Debian's
libpango-1.0-0 and libpangoft2-1.0-0, and is about twice as fast on small documents with
libharfbuzz-subset0). An engine that cannot be imported is reported with the reason, not skipped silently.

The invoice: GBP, the shapes render_invoice_pdf() takes (API camelCase JSON, money as decimal strings),
N lines of which the last quarter sit in one group, one line title carrying € ¥ ₩ zł, a Polish
customer (Łódź). Every timed render gets a different invoice (other quantities, hence other amounts and
totals, and another number), so no engine can serve a cached result; one untimed render warms up first.

Per engine: median and p95 (nearest rank) of --runs-small renders of --small lines and of --runs-large
renders of --large lines; the PDF's size and pages; what pypdf extracts (number, customer, every line
title, the three totals, "Page 1 of N", the table header on every page that has lines, each of € ¥ ₩ zł); the fonts
embedded; the installed size of the engine's Python distributions (and the part Quire does not already
install) and the OS libraries it loads; a cold start in a fresh process (imports, set-up and the first
20-line render); and memory in that fresh process after --memory-renders different --large-line invoices
and --memory-small-renders different --small-line ones: for the pool engines both the calling process
(the API's part: it imports quire.app first) and the render process (resident after each render, its
peak, how often it released Typst's cache). Sample PDFs, page-1 PNGs (when pypdfium2 is installed) and a
JSON record go to --out.

Engines: quire (quire.invoices.pdf.render_invoice_pdf: the production path, a render process from
quire.documents with its default memory settings); quire-in-process (the same template and view model
compiled by Typst in the calling process: no pool, no memory bound); quire-bundled-fonts (the pool with
QUIRE_PDF_SYSTEM_FONTS=0: only the fonts inside the typst wheel, as on a machine with no fonts
installed); weasyprint (bench/pdf_templates/invoice.html.j2 + invoice.css); weasyprint-fonttools (the
same, subsetting fonts with fontTools as WeasyPrint does when Debian's libharfbuzz-subset0 is missing).
The fpdf2 renderer Quire used before is gone; its figures stay in docs/pdf-engines.md.
"""

from __future__ import annotations

import argparse
import ctypes.util
import datetime as dt
import io
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "bench" / "pdf_templates"
DEFAULT_OUT = ROOT / "bench" / "results" / "pdf-engines"

try:
    import quire.invoices.pdf  # noqa: F401
except ImportError:
    sys.path.insert(0, str(ROOT / "src"))
from quire.invoices import pdf as qpdf  # noqa: E402

ENGINES = ("quire", "quire-in-process", "quire-bundled-fonts", "weasyprint", "weasyprint-fonttools")
POOL_ENGINES = ("quire", "quire-bundled-fonts")
# The engine's own top-level distributions (their dependencies are followed from the metadata).
ENGINE_DISTS = {
    "quire": ("typst",),
    "quire-in-process": ("typst",),
    "quire-bundled-fonts": ("typst",),
    "weasyprint": ("weasyprint", "jinja2"),
    "weasyprint-fonttools": ("weasyprint", "jinja2"),
}
# What WeasyPrint dlopens (weasyprint/text/ffi.py), by the Debian package that ships it.
WEASYPRINT_LIBS = {
    "gobject-2.0": "libglib2.0-0",
    "pango-1.0": "libpango-1.0-0",
    "pangoft2-1.0": "libpangoft2-1.0-0",
    "harfbuzz": "libharfbuzz0b",
    "fontconfig": "libfontconfig1",
    "harfbuzz-subset": "libharfbuzz-subset0",  # optional: without it WeasyPrint subsets fonts with fontTools
}
UNICODE_PROBES = ("€", "¥", "₩", "zł")
UNICODE_TITLE = "Licences billed abroad: €1.234,50 · ¥1,101 · ₩50,000 · 120,00 zł"
FIXED_TIMESTAMP = dt.datetime(2026, 11, 10, 9, 0, tzinfo=dt.timezone.utc)

CENT = Decimal("0.01")

# --- the invoice ---------------------------------------------------------------------------------

MERCHANT: dict[str, Any] = {
    "legalCompanyName": "Acme Widgets Ltd",
    "address": {"line1": "1 High Street", "town": "London", "postcode": "SW1A 1AA", "country": "GB"},
    "email": "billing@acme.example",
    "phoneNumber": "020 7946 0000",
    "taxId": "GB123456789",
    "iban": "GB33BUKB20201555555555",
    "ukAccountDetails": {"sortCode": "202015", "accountNumber": "55555555"},
    "customFields": [{"key": "Company no.", "value": "01234567"}],
    "primaryColour": "#1A4D8F",
    "includeBeneficiaryAddressInPaymentDetails": True,
}
PRODUCTS = (
    ("Implementation services", "250.00", "0.2"),
    ("Platform licence", "1200.00", "0.2"),
    ("API calls", "0.0045", "0.2"),
    ("Support retainer", "85.00", "0.2"),
    ("Training day", "640.00", "0.05"),
    ("Data migration", "12.50", "0.2"),
    ("Printed manuals", "18.99", "0"),
)


def build_invoice(n_lines: int, variant: int = 0) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """(invoice, lines, groups) as the API serialises them; ``variant`` changes every amount and the number."""
    grouped_from = n_lines - max(3, n_lines // 4)
    lines: list[dict[str, Any]] = []
    for i in range(n_lines):
        name, rate, tax_rate = PRODUCTS[i % len(PRODUCTS)]
        quantity = Decimal(1 + (i * 7 + variant * 3) % 40)
        if name == "API calls":
            quantity *= 1000
        net = (quantity * Decimal(rate)).quantize(CENT, ROUND_HALF_UP)
        tax = (net * Decimal(tax_rate)).quantize(CENT, ROUND_HALF_UP)
        line: dict[str, Any] = {
            "id": f"line-{i}",
            "index": i,
            "title": UNICODE_TITLE if i == 1 else f"{name} #{i + 1}",
            "quantity": str(quantity),
            "rate": rate,
            "rateDisplay": "ABSOLUTE",
            "taxRate": tax_rate,
            "netTotal": str(net),
            "totalTax": str(tax),
            "grossTotal": str(net + tax),
        }
        if i % 2 == 0:
            line["description"] = f"Work package {i + 1} of the platform migration"
        if i % 3 == 0:
            line["servicePeriod"] = {"startDate": "2026-10-01", "endDate": "2026-10-31"}
        if i >= grouped_from:
            line["groupId"] = "grp-1"
        lines.append(line)

    def total(rows: Sequence[Mapping[str, Any]], key: str) -> str:
        return str(sum((Decimal(r[key]) for r in rows), Decimal(0)))

    members = [r for r in lines if r.get("groupId") == "grp-1"]
    groups = [{
        "id": "grp-1", "index": 0, "title": "Platform usage", "description": "Metered in October",
        "netTotal": total(members, "netTotal"), "totalTax": total(members, "totalTax"),
        "grossTotal": total(members, "grossTotal"),
    }]
    invoice = {
        "id": f"b1f0c6d2-0000-4000-8000-{variant:012d}",
        "status": "FINAL",
        "invoiceNumber": f"INV-{4200 + variant:05d}",
        "issueDate": "2026-11-10",
        "dueDate": "2026-11-24",
        "currency": "GBP",
        "customerLegalCompanyName": "Globex Polska sp. z o.o.",
        "customerBillingAddress": {"line1": "ul. Piotrkowska 104", "town": "Łódź", "postcode": "90-926", "country": "PL"},
        "customerShippingAddress": {"line1": "ul. Marszałkowska 1", "town": "Warszawa", "postcode": "00-624", "country": "PL"},
        "customerTaxId": "PL5261040828",
        "customerEmails": ["ap@globex.example"],
        "purchaseOrderNumber": "PO-7781",
        "reference": "Annual plan",
        "memo": "Thank you for your business. Dziękujemy za współpracę!",
        "billingPeriod": {"start": "2026-10-01", "endInclusive": "2026-10-31"},
        "netTotal": total(lines, "netTotal"),
        "totalTax": total(lines, "totalTax"),
        "grossTotal": total(lines, "grossTotal"),
        "paymentOptions": ["BANK_TRANSFER", "LINK"],
        "merchantDetails": MERCHANT,
        "createdAt": "2026-11-10T09:00:00Z",
    }
    return invoice, lines, groups


# --- the view model the templates render (Babel formatting, as the issue asks) ---------------------


def _s(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _date_range(start: Any, end: Any) -> str:
    first, last = qpdf.format_date(start), qpdf.format_date(end)
    if first and last:
        return first if first == last else f"{first} – {last}"
    return first or last


def view_model(
    invoice: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], groups: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Everything the WeasyPrint template prints, as strings: the content and order of Quire's own view
    model (quire.invoices.pdf.document_model), as it was when the engines were compared."""
    currency = _s(invoice.get("currency")).upper()
    m = invoice.get("merchantDetails") or {}
    number = _s(invoice.get("invoiceNumber"))
    label = f"Invoice {number}".strip()

    def money(value: Any, exact: bool = False) -> str:
        return qpdf.format_money(value, currency, exact=exact)

    merchant_lines = list(qpdf.address_lines(m.get("address")))
    for key, prefix in (("email", ""), ("phoneNumber", "Tel. "), ("taxId", "Tax ID: ")):
        if _s(m.get(key)):
            merchant_lines.append(prefix + _s(m.get(key)))
    for field in m.get("customFields") or []:
        merchant_lines.append(": ".join(p for p in (_s(field.get("key")), _s(field.get("value"))) if p))

    billing = qpdf.address_lines(invoice.get("customerBillingAddress"))
    shipping = qpdf.address_lines(invoice.get("customerShippingAddress"))
    customer_extra = [f"Tax ID: {_s(invoice.get('customerTaxId'))}"] if _s(invoice.get("customerTaxId")) else []
    customer_extra += [_s(e) for e in invoice.get("customerEmails") or [] if _s(e)]
    period = invoice.get("billingPeriod") or {}
    details = [(k, v) for k, v in (
        ("Purchase order", _s(invoice.get("purchaseOrderNumber"))),
        ("Reference", _s(invoice.get("reference"))),
        ("Billing period", _date_range(period.get("start"), period.get("endInclusive"))),
    ) if v]

    def line_row(line: Mapping[str, Any], indent: float) -> dict[str, Any]:
        sp = line.get("servicePeriod") or {}
        extra = [x for x in (_s(line.get("description")), _date_range(sp.get("startDate"), sp.get("endDate"))) if x]
        price = (qpdf.format_percent(line.get("rate")) if _s(line.get("rateDisplay")).upper() == "PERCENTAGE"
                 else money(line.get("rate"), exact=True))
        return {
            "kind": "line", "indent": indent, "title": _s(line.get("title")), "extra": extra,
            "qty": qpdf.format_number(line.get("quantity")), "price": price,
            "tax": qpdf.format_percent(line.get("taxRate")) if line.get("taxRate") is not None else "",
            "amount": money(line.get("netTotal")),
        }

    ordered = sorted(lines, key=lambda r: r.get("index", 0))
    group_ids = {g["id"] for g in groups}
    rows = [line_row(r, 0) for r in ordered if r.get("groupId") not in group_ids]
    for g in sorted(groups, key=lambda r: r.get("index", 0)):
        members = [r for r in ordered if r.get("groupId") == g["id"]]
        if not members:
            continue
        rows.append({"kind": "group", "title": _s(g.get("title")), "description": _s(g.get("description"))})
        rows += [line_row(r, 4) for r in members]
        rows.append({"kind": "subtotal", "label": f"Subtotal {_s(g.get('title'))}", "amount": money(g.get("netTotal"))})

    buckets: dict[Decimal, list[Decimal]] = {}
    for r in ordered:
        totals = buckets.setdefault(Decimal(r["taxRate"]).normalize(), [Decimal(0), Decimal(0)])
        totals[0] += Decimal(r["netTotal"])
        totals[1] += Decimal(r["totalTax"])
    breakdown = [(qpdf.format_percent(k), money(v[0]), money(v[1])) for k, v in sorted(buckets.items())]

    sentences = []
    due = qpdf.format_date(invoice.get("dueDate"))
    if due:
        sentences.append(f"Please pay {money(invoice.get('grossTotal'))} by {due}.")
        sentences.append(f"Please quote {number} as the payment reference.")
    if "LINK" in (invoice.get("paymentOptions") or []):
        sentences.append("You can also pay online using the payment link sent with this invoice.")
    status = _s(invoice.get("status")).upper()

    return {
        "title": label,
        "kind_title": "Invoice",
        "number": number,
        "accent": _s(m.get("primaryColour")) or "#212529",
        "watermark": {"DRAFT": "DRAFT", "VOIDED": "VOID"}.get(status, ""),
        "running_title": f"{label} (continued)",
        "footer_text": " · ".join(p for p in (_s(m.get("legalCompanyName")), label) if p),
        "merchant": {"name": _s(m.get("legalCompanyName")), "lines": merchant_lines},
        "dates": [(k, v) for k, v in (("Issue date", qpdf.format_date(invoice.get("issueDate"))), ("Due date", due)) if v],
        "customer": {"name": _s(invoice.get("customerLegalCompanyName")), "lines": billing, "extra": customer_extra},
        "ship_to": shipping if shipping != billing else [],
        "details": details,
        "rows": rows,
        "breakdown": breakdown,
        "tax_note": "",
        "totals": {
            "net": money(invoice.get("netTotal")), "tax": money(invoice.get("totalTax")),
            "gross": money(invoice.get("grossTotal")), "label": f"Total ({currency})",
        },
        "memo": [x for x in _s(invoice.get("memo")).split("\n") if x],
        "payment": {
            "intro": " ".join(sentences),
            "sections": [{"title": t, "rows": rows_} for t, rows_ in qpdf.bank_sections(m)],
        },
    }


# --- engines ---------------------------------------------------------------------------------------

Render = Callable[[Mapping[str, Any], Sequence[Mapping[str, Any]], Sequence[Mapping[str, Any]]], bytes]


#: The render pools the pool engines made in this process (to read their render process's memory).
POOLS: dict[str, Any] = {}


def make_quire(bundled_fonts_only: bool = False) -> Render:
    """The production path: quire.invoices.pdf.render_invoice_pdf, which sends the document to a render
    process (quire.documents.pool) with the default memory settings."""
    from quire.documents.pool import PoolSettings, RenderPool, pool

    if not bundled_fonts_only:
        POOLS["quire"] = pool()
        POOLS["quire"].ping()  # start the render process (the untimed warm-up render would too)
        return qpdf.render_invoice_pdf
    # The render process reads QUIRE_PDF_SYSTEM_FONTS when it starts (main() removes it afterwards).
    os.environ["QUIRE_PDF_SYSTEM_FONTS"] = "0"
    own = POOLS["quire-bundled-fonts"] = RenderPool(PoolSettings.from_env())
    own.ping()
    return lambda invoice, lines, groups: own.render("invoice", invoice, lines, groups)


def make_quire_in_process(tagged: bool = True) -> Render:
    """Quire's template and view model, compiled by Typst in this process: no pool, no memory bound."""
    from quire.documents import typst_render

    typst_render.start()

    def render(invoice: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], groups: Sequence[Mapping[str, Any]]) -> bytes:
        saved, typst_render.PDF_TAGS = typst_render.PDF_TAGS, tagged
        try:
            return typst_render.render_model(qpdf.document_model("invoice", invoice, lines, groups))
        finally:
            typst_render.PDF_TAGS = saved

    return render


def make_weasyprint(force_fonttools: bool = False) -> Render:
    """``force_fonttools``: subset fonts with fontTools, as WeasyPrint does when libharfbuzz-subset is absent."""
    import logging

    import jinja2
    import weasyprint
    import weasyprint.pdf.fonts as wfonts
    from weasyprint.text.fonts import FontConfiguration

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)
    template = env.get_template("invoice.html.j2")
    # The stylesheet is parsed once and shared (about 40 ms less per 20-line render than an inline
    # <style> of the same rules, measured here); the fonts are looked up once.
    font_config = FontConfiguration()
    stylesheet = weasyprint.CSS(filename=str(TEMPLATES / "invoice.css"), font_config=font_config)
    if force_fonttools:
        logging.getLogger("weasyprint").setLevel(logging.ERROR)  # its "please install HarfBuzz-Subset" warning

    def render(invoice: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], groups: Sequence[Mapping[str, Any]]) -> bytes:
        html = template.render(**view_model(invoice, lines, groups))
        saved = wfonts.harfbuzz_subset
        if force_fonttools:
            wfonts.harfbuzz_subset = None
        try:
            return weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf(
                stylesheets=[stylesheet], font_config=font_config)
        finally:
            wfonts.harfbuzz_subset = saved

    return render


def weasyprint_subsetter() -> str:
    import weasyprint.pdf.fonts as wfonts

    if wfonts.harfbuzz_subset and wfonts.harfbuzz.hb_version_atleast(4, 1, 0):
        return "HarfBuzz"
    return "fontTools"


def make_engine(name: str) -> Render:
    if name == "quire":
        return make_quire()
    if name == "quire-in-process":
        return make_quire_in_process()
    if name == "quire-bundled-fonts":
        return make_quire(bundled_fonts_only=True)
    if name == "weasyprint":
        return make_weasyprint()
    if name == "weasyprint-fonttools":
        return make_weasyprint(force_fonttools=True)
    raise ValueError(name)


def close_engine(name: str) -> None:
    pool = POOLS.pop(name, None)
    if pool is not None:
        pool.shutdown()
    if name == "quire-bundled-fonts":
        os.environ.pop("QUIRE_PDF_SYSTEM_FONTS", None)


def engine_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    dist = ENGINE_DISTS[name][0]
    try:
        return f"{dist} {version(dist)}"
    except PackageNotFoundError:
        return f"{dist} (not installed)"


# --- measuring -------------------------------------------------------------------------------------


def p95(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def time_renders(render: Render, n_lines: int, runs: int) -> dict[str, Any]:
    datasets = [build_invoice(n_lines, variant) for variant in range(runs + 1)]
    render(*datasets[0])  # warm-up, untimed
    times = []
    for data in datasets[1:]:
        start = time.perf_counter()
        render(*data)
        times.append(time.perf_counter() - start)
    return {"runs": runs, "median_ms": statistics.median(times) * 1000, "p95_ms": p95(times) * 1000,
            "min_ms": min(times) * 1000, "all_ms": [t * 1000 for t in times]}


def time_same_input(render: Render, n_lines: int, runs: int) -> float:
    """Median ms rendering one identical invoice again and again (shows any result caching)."""
    data = build_invoice(n_lines, 0)
    render(*data)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render(*data)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _squash(text: str) -> str:
    return " ".join(text.split())


def inspect_pdf(data: bytes, invoice: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() or "" for page in reader.pages]
    text = _squash("\n".join(pages))
    money = {k: qpdf.format_money(invoice[k], "GBP") for k in ("netTotal", "totalTax", "grossTotal")}
    titles_found = sum(1 for r in lines if _squash(r["title"]) in text)
    fonts: set[str] = set()
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        font_dict = resources.get("/Font") or {}
        for ref in font_dict.values():
            base = str(ref.get_object().get("/BaseFont", "?"))
            fonts.add(re.sub(r"^/([A-Z]{6}\+)?", "", base))
    n = len(reader.pages)
    return {
        "pages": n,
        "number": invoice["invoiceNumber"] in text,
        "customer": _squash(invoice["customerLegalCompanyName"]) in text,
        "titles_found": titles_found,
        "titles_total": len(lines),
        "totals": {k: v in text for k, v in money.items()},
        "page_numbers": f"Page 1 of {n}" in text and f"Page {n} of {n}" in text,
        "header_every_page": all("Unit price" in p for p in pages if any(_squash(r["title"]) in _squash(p) for r in lines)),
        "unicode": {probe: probe in text for probe in UNICODE_PROBES},
        "fonts": sorted(fonts),
    }


def render_png(data: bytes, path: Path) -> bool:
    try:
        import pypdfium2 as pdfium
    except ImportError:
        return False
    doc = pdfium.PdfDocument(data)
    doc[0].render(scale=1.5).to_pil().save(path)
    doc.close()
    return True


def _requirement_class() -> Any:
    try:
        from packaging.requirements import Requirement
    except ImportError:  # pip vendors it
        from pip._vendor.packaging.requirements import Requirement
    return Requirement


def dist_closure(roots: Sequence[str]) -> dict[str, int]:
    """{distribution: installed bytes} for ``roots`` and everything they require here, extras included
    where a requirement names them (weasyprint needs fonttools[woff], which brings brotli and zopfli)."""
    from importlib.metadata import PackageNotFoundError, distribution

    requirement = _requirement_class()
    seen: dict[str, int] = {}
    expanded: set[tuple[str, str]] = set()
    todo: list[tuple[str, str]] = [(name, "") for name in roots]
    while todo:
        name, extra = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if (key, extra) in expanded:
            continue
        expanded.add((key, extra))
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            seen[key] = -1
            continue
        if key not in seen:
            size = 0
            for f in dist.files or []:
                try:
                    size += Path(str(f.locate())).stat().st_size
                except OSError:
                    pass
            seen[key] = size
        for spec in dist.requires or []:
            req = requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": extra}):
                todo.append((req.name, ""))
                todo.extend((req.name, e) for e in req.extras)
    return seen


def quire_requirements() -> list[str]:
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    requirement = _requirement_class()
    return [requirement(d).name for d in deps]


def footprint(engine: str) -> dict[str, Any]:
    closure = dist_closure(ENGINE_DISTS[engine])
    quire = dist_closure(quire_requirements())
    missing = sorted(k for k, v in closure.items() if v < 0)
    new = {k: v for k, v in closure.items() if k not in quire and v >= 0}
    out: dict[str, Any] = {
        "dists": {k: round(v / 1e6, 2) for k, v in sorted(closure.items()) if v >= 0},
        "total_mb": round(sum(v for v in closure.values() if v > 0) / 1e6, 1),
        "new_to_quire_mb": round(sum(new.values()) / 1e6, 1),
        "new_to_quire": sorted(new),
        "not_installed": missing,
    }
    if engine.startswith("weasyprint"):
        out["system_libraries"] = system_libraries()
    return out


def system_libraries() -> dict[str, Any]:
    libs: dict[str, Any] = {}
    for lib, package in WEASYPRINT_LIBS.items():
        found = ctypes.util.find_library(lib)
        size_kb = None
        if shutil.which("dpkg-query"):
            proc = subprocess.run(["dpkg-query", "-W", "-f=${Installed-Size}", package], capture_output=True, text=True)
            if proc.returncode == 0 and proc.stdout.strip().isdigit():
                size_kb = int(proc.stdout.strip())
        libs[lib] = {"found": found, "debian_package": package, "installed_size_kb": size_kb}
    return libs


def _status_mb(field: str) -> float:
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith(f"{field}:"):
            return int(row.split()[1]) / 1024
    return float("nan")


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _child(engine: str, t0: float, large: int, renders: int, small: int, small_renders: int) -> None:
    """Runs in the fresh interpreter of cold_start(): prints one JSON line. For the pool engines this
    process stands for the API process (it imports the app first); the render process is measured apart."""
    pooled = engine in POOL_ENGINES
    if pooled:
        import quire.app  # noqa: F401 - what an API worker has loaded
    render = make_engine(engine)
    render(*build_invoice(small))
    first_ms = (time.perf_counter() - t0) * 1000
    pool = POOLS.get(engine)

    def compiling_process_rss() -> float:
        return pool.last_stats["rss_mb"] if pool is not None else _rss_mb()

    large_rss: list[float] = []
    for variant in range(renders):
        render(*build_invoice(large, variant))
        large_rss.append(compiling_process_rss())
    small_rss: list[float] = []
    for variant in range(small_renders):
        render(*build_invoice(small, 1000 + variant))
        small_rss.append(compiling_process_rss())
    out: dict[str, Any] = {
        "first_render_ms": first_ms, "large_renders": renders, "small_renders": small_renders,
        "rss_after_first_large_mb": round(large_rss[0], 1), "rss_max_large_mb": round(max(large_rss), 1),
        "rss_after_all_large_mb": round(large_rss[-1], 1),
        "rss_max_small_mb": round(max(small_rss), 1) if small_rss else None,
        "calling_process_rss_mb": round(_rss_mb(), 1),
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec from the bench's own process.
        "calling_process_peak_mb": round(_status_mb("VmHWM"), 1),
        "typst_imported_by_calling_process": "typst" in sys.modules,
    }
    if pool is not None:
        stats = pool.ping()
        out.update({"render_process_peak_mb": round(stats["peak_mb"], 1), "render_process_releases": stats["releases"],
                    "render_process_renders": stats["renders"], "render_process_retired": pool.retired})
    print(json.dumps(out))


def cold_start(engine: str, large: int, renders: int, small: int, small_renders: int) -> dict[str, Any]:
    """A fresh interpreter: imports + set-up + the first ``small``-line render (ms, from before the
    imports), then ``renders`` different ``large``-line invoices and ``small_renders`` different
    ``small``-line ones, with the resident memory of the process that compiles after each."""
    code = (
        "import time; t0 = time.perf_counter(); import sys; "
        f"sys.path.insert(0, {str(ROOT / 'bench')!r}); import pdf_engines; "
        f"pdf_engines._child({engine!r}, t0, {large}, {renders}, {small}, {small_renders})"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT))
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    debian = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else ""
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}" + (f", Debian {debian}" if debian else ""),
    }


# --- report ----------------------------------------------------------------------------------------


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def table(results: Mapping[str, Any], small: int, large: int) -> str:
    head = ["", *results]
    rows: list[list[str]] = []

    def row(label: str, fn: Callable[[dict[str, Any]], str]) -> None:
        cells = []
        for r in results.values():
            if "error" in r:
                cells.append("—")
                continue
            try:
                cells.append(fn(r))
            except (KeyError, TypeError):
                cells.append("—")
        rows.append([label, *cells])

    rows.append(["version", *(r.get("version", "") for r in results.values())])
    rows.append(["usable", *(("no: " + r["error"]) if "error" in r else "yes" for r in results.values())])
    row(f"{small} lines: median / p95 (ms)", lambda r: f"{r['small']['median_ms']:.1f} / {r['small']['p95_ms']:.1f}")
    row(f"{small} lines, same input again: median (ms)", lambda r: f"{r['same_input_ms']:.1f}")
    row(f"{large} lines: median / p95 (ms)", lambda r: f"{r['large']['median_ms']:.0f} / {r['large']['p95_ms']:.0f}")
    row(f"cold: import + set-up + first {small}-line render (ms)", lambda r: f"{r['cold']['first_render_ms']:.0f}")
    def cold(key: str, fmt: str = "{:.0f}") -> Callable[[dict[str, Any]], str]:
        return lambda r: fmt.format(r["cold"][key])

    n_large = next((r["cold"]["large_renders"] for r in results.values() if "large_renders" in r.get("cold", {})), "N")
    n_small = next((r["cold"]["small_renders"] for r in results.values() if "small_renders" in r.get("cold", {})), "N")
    row(f"compiling process RSS after 1 / max over {n_large} different {large}-line renders (MiB)",
        lambda r: f"{r['cold']['rss_after_first_large_mb']:.0f} / {r['cold']['rss_max_large_mb']:.0f}")
    row(f"compiling process RSS, max over {n_small} different {small}-line renders after those (MiB)", cold("rss_max_small_mb"))
    row("render process: peak RSS (VmHWM, MiB); cache releases / renders",
        lambda r: f"{r['cold']['render_process_peak_mb']:.0f}; {r['cold']['render_process_releases']} / {r['cold']['render_process_renders']}")
    row("calling (API) process RSS at the end / peak (MiB); imported typst",
        lambda r: f"{r['cold']['calling_process_rss_mb']:.0f} / {r['cold']['calling_process_peak_mb']:.0f}; "
                  f"{'yes' if r['cold']['typst_imported_by_calling_process'] else 'no'}")
    row(f"PDF size {small} / {large} lines (KB)", lambda r: f"{r['small_bytes'] / 1024:.1f} / {r['large_bytes'] / 1024:.1f}")
    row("  without PDF tags (KB)", lambda r: f"{r['untagged_bytes'][0] / 1024:.1f} / {r['untagged_bytes'][1] / 1024:.1f}")
    row(f"pages {small} / {large} lines", lambda r: f"{r['check_small']['pages']} / {r['check_large']['pages']}")
    def found(r: dict[str, Any]) -> str:
        s, g = r["check_small"], r["check_large"]
        return _yes(all([s["number"], s["customer"], *s["totals"].values(), *g["totals"].values()]))

    row("pypdf: number, customer, totals", found)
    row(f"pypdf: line titles found ({large} lines)", lambda r: f"{r['check_large']['titles_found']}/{r['check_large']['titles_total']}")
    row("pypdf: 'Page 1 of N', header on every page with lines",
        lambda r: f"{_yes(r['check_large']['page_numbers'])}, {_yes(r['check_large']['header_every_page'])}")
    row("€ ¥ ₩ zł extracted", lambda r: " ".join(f"{k}{'✓' if v else '✗'}" for k, v in r["check_small"]["unicode"].items()))
    row("fonts embedded", lambda r: ", ".join(r["check_small"]["fonts"]))
    row("Python install: engine closure / new to Quire (MB)",
        lambda r: f"{r['footprint']['total_mb']} / {r['footprint']['new_to_quire_mb']}")
    row("new distributions", lambda r: ", ".join(r["footprint"]["new_to_quire"]) or "none")

    def system(r: dict[str, Any]) -> str:
        libs = r["footprint"].get("system_libraries")
        if not libs:
            return "none"
        return ", ".join(f"{v['debian_package']}{'' if v['found'] else ' (not found)'}" for v in libs.values())

    row("from the OS", system)
    row("font subsetting", lambda r: r["subsetter"] or "—")
    width = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    fmt = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, width, strict=True)) + " |"  # noqa: E731
    return "\n".join([fmt(head), "|" + "|".join("-" * (w + 2) for w in width) + "|", *(fmt(r) for r in rows)])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engines", default=",".join(ENGINES), help=f"comma list of {', '.join(ENGINES)}")
    p.add_argument("--small", type=int, default=20, help="lines in the small invoice")
    p.add_argument("--large", type=int, default=500, help="lines in the large invoice")
    p.add_argument("--runs-small", type=int, default=20)
    p.add_argument("--runs-large", type=int, default=3)
    p.add_argument("--no-cold", action="store_true", help="skip the fresh-process start-up and memory measurement")
    p.add_argument("--memory-renders", type=int, default=40,
                   help="different --large invoices rendered in the fresh process, memory read after each")
    p.add_argument("--memory-small-renders", type=int, default=200,
                   help="then different --small invoices, memory read after each")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="sample PDFs, PNGs and results.json")
    args = p.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    for name in args.engines.split(","):
        print(f"[{name}] ...", file=sys.stderr, flush=True)
        r: dict[str, Any] = {"version": engine_version(name)}
        results[name] = r
        try:
            render = make_engine(name)
        except Exception as exc:  # noqa: BLE001 - an engine that cannot load is a result
            r["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            continue
        small, large = build_invoice(args.small), build_invoice(args.large)
        small_pdf, large_pdf = render(*small), render(*large)
        for n, data in ((args.small, small_pdf), (args.large, large_pdf)):
            (args.out / f"invoice-{n}-{name}.pdf").write_bytes(data)
        render_png(small_pdf, args.out / f"invoice-{args.small}-{name}.png")
        r["small_bytes"], r["large_bytes"] = len(small_pdf), len(large_pdf)
        r["check_small"] = inspect_pdf(small_pdf, small[0], small[1])
        r["check_large"] = inspect_pdf(large_pdf, large[0], large[1])
        r["small"] = time_renders(render, args.small, args.runs_small)
        r["large"] = time_renders(render, args.large, args.runs_large)
        r["same_input_ms"] = time_same_input(render, args.small, args.runs_small)
        r["footprint"] = footprint(name)
        r["subsetter"] = {"weasyprint-fonttools": "fontTools (forced)"}.get(
            name, "Typst's own" if name.startswith("quire") else None)
        if name == "weasyprint":
            r["subsetter"] = weasyprint_subsetter()
        if name == "quire-in-process":  # Quire's PDFs are tagged (accessible); what the tags cost in bytes
            untagged = make_quire_in_process(tagged=False)
            r["untagged_bytes"] = [len(untagged(*small)), len(untagged(*large))]
        close_engine(name)
        if not args.no_cold:
            r["cold"] = cold_start(name, args.large, args.memory_renders, args.small, args.memory_small_renders)
        print(f"[{name}] {args.small} lines median {r['small']['median_ms']:.1f} ms, "
              f"{args.large} lines median {r['large']['median_ms']:.0f} ms", file=sys.stderr, flush=True)

    report = {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()}, "results": results}
    (args.out / "results.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    m = report["machine"]
    print(f"{m['date']} · {m['cpu']} · {m['cores']} cores · Python {m['python']} · {m['os']}")
    print(table(results, args.small, args.large))
    print(f"\nPDFs, page-1 PNGs and results.json in {args.out}")


if __name__ == "__main__":
    main()
