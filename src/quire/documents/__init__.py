"""Documents rendered outside the API process: PDFs by Typst in a pool of render processes.

The render layer: it knows no domain. ``model`` is what a PDF prints, as plain data a domain builds
(``quire.billing_documents.render_model`` builds invoices and credit notes); this package renders it
(``pool``: the processes and their memory bound; ``typst_render``: what runs inside them; ``logo``: the
fetched logo). Importing this package never imports ``typst``. See docs/pdf-engines.md.
"""

from quire.documents.pool import render_pdf, render_pdf_async, shutdown

__all__ = ["render_pdf", "render_pdf_async", "shutdown"]
