"""Errors of the credit notes domain (rendered by the one handler in quire.core.http)."""

from __future__ import annotations

from quire.core.errors import QuireError


class AmountExceedsCreditable(QuireError):
    """A credit note line would take the credited total of an invoice (or of one of its lines) past
    what was invoiced. The body says how much is still creditable: ``remainingCreditable``."""

    status_code = 400
    error_type = "AmountExceedsCreditable"
