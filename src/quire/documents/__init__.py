"""Documents rendered outside the API process: PDFs by Typst in a pool of render processes.

``quire.invoices.pdf`` builds what a PDF prints; this package renders it (``pool``: the processes and
their memory bound; ``typst_render``: what runs inside them). Importing this package never imports
``typst``. See docs/pdf-engines.md.
"""

from quire.documents.pool import render_pdf, render_pdf_async, shutdown

__all__ = ["render_pdf", "render_pdf_async", "shutdown"]
