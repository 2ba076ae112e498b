"""Where a stored 20-line PDF's render time goes, phase by phase, in one process (what a render process
does for each document; issue 16's "< 15 ms" target). Every render is a different invoice, as in
bench/pdf_engines.py; the first is a warm-up.

    .venv/bin/python bench/render_split.py [--lines 20] [--runs 40] [--no-variants] [--json]

Phases: ``model`` builds the DocumentModel from the API JSON (Babel formatting, text cleaning);
``data`` turns it into the template's JSON; ``compile`` is Typst (layout and PDF writing, Rust, one
call). Also timed: the same compile without PDF tags, without PDF/A, and of the identical input again
(Typst's memoisation), and the CPU time of the whole render (all threads of the process; it stays
put when other work shares the machine, where wall time does not). Prints medians and p95 in ms, with
the machine's load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pdf_engines import build_invoice

from quire.billing_documents.render_model import invoice_model
from quire.documents import typst_render as tr


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def measure(lines: int = 20, runs: int = 40, variants: bool = True) -> dict[str, list[float]]:
    """Seconds per phase of ``runs`` renders of different ``lines``-line invoices (after one warm-up);
    ``variants=False`` times only the production render (no untagged, no-PDF/A or same-input compiles)."""
    tr.start()
    names = ("model", "data", "compile", "total", "total CPU") + (("untagged", "no-pdfa", "same input") if variants else ())
    times: dict[str, list[float]] = {k: [] for k in names}
    for run in range(runs + 1):
        parts = build_invoice(lines, variant=run)
        c0 = time.process_time()
        t0 = time.perf_counter()
        model = invoice_model(*parts)
        t1 = time.perf_counter()
        data = json.dumps(tr.template_data(model), ensure_ascii=False)
        t2 = time.perf_counter()
        stamp = tr._timestamp(model.created_at)
        tr._State.compiler.compile(format="pdf", sys_inputs={"data": data}, pdf_standards=tr.PDF_STANDARD,
                                   timestamp=stamp, pdf_tags=tr.PDF_TAGS)
        t3 = time.perf_counter()
        c3 = time.process_time()
        if run == 0:
            continue
        times["model"].append(t1 - t0)
        times["data"].append(t2 - t1)
        times["compile"].append(t3 - t2)
        times["total"].append(t3 - t0)
        times["total CPU"].append(c3 - c0)  # this process's CPU time (all its threads): steadier under load
        if not variants:
            continue
        options_by_name = {"untagged": {"pdf_standards": tr.PDF_STANDARD, "pdf_tags": False},
                           "no-pdfa": {"pdf_tags": tr.PDF_TAGS}}
        for name, options in options_by_name.items():
            other = json.dumps(tr.template_data(invoice_model(*build_invoice(lines, variant=1000 * run + len(name)))),
                               ensure_ascii=False)
            s = time.perf_counter()
            tr._State.compiler.compile(format="pdf", sys_inputs={"data": other}, timestamp=stamp, **options)
            times[name].append(time.perf_counter() - s)
        s = time.perf_counter()
        tr._State.compiler.compile(format="pdf", sys_inputs={"data": data}, pdf_standards=tr.PDF_STANDARD,
                                   timestamp=stamp, pdf_tags=tr.PDF_TAGS)
        times["same input"].append(time.perf_counter() - s)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--no-variants", action="store_true", help="time only the production render")
    parser.add_argument("--json", action="store_true", help="one JSON object: median and p95 in ms per phase")
    args = parser.parse_args()
    times = measure(args.lines, args.runs, variants=not args.no_variants)
    if args.json:
        print(json.dumps({"lines": args.lines, "runs": args.runs, "load_avg": round(os.getloadavg()[0], 2),
                          **{name: {"median_ms": statistics.median(v) * 1000, "p95_ms": p95(v) * 1000}
                             for name, v in times.items()}}))
        return
    print(f"# {args.lines}-line invoices, {args.runs} renders, load average {os.getloadavg()}")
    for name, values in times.items():
        print(f"{name:12s} median {statistics.median(values) * 1000:7.2f} ms   p95 {p95(values) * 1000:7.2f} ms")


if __name__ == "__main__":
    main()
