"""Delivery of issued invoices: the stored PDF (``quire.invoices.document``), the email sent on
``send``/``finalize-and-send`` (through ``quire.outbox``), and the hosted invoice page (``/i/{token}``).
``service.after_transition`` is called by every lifecycle action. See docs/delivery.md."""
