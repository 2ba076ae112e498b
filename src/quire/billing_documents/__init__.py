"""The billing-document core: what invoices and credit notes share.

A billing document is a header (customer snapshot, currency, status, number, totals) with numbered
line items, optionally in groups. This package owns, once for every kind:

- ``calculation``  exact totals (pure): a line's net, tax and gross; sums of lines;
- ``models``       the shared columns (SQLAlchemy mixins: the tables stay as migrated);
- ``kind``         ``DocumentKind``: how one kind (its tables, names, lifecycle) plugs in;
- ``lifecycle``    the mechanics of a per-kind transition table (check, allowed actions);
- ``repository``   queries over a kind's lines and groups;
- ``lines``        line and group writes, ordering, limits, totals after each write;
- ``numbering``    a document's number at finalization (gap-free counters of ``quire.core.numbering``);
- ``schemas`` / ``present`` / ``routes``  the shared wire pieces and the line/group endpoints.

A kind (``quire.invoices``, ``quire.creditnotes``) declares its tables with the mixins, describes itself
with a ``DocumentKind``, and adds only what differs: payment status, due dates, the hosted page and
settings for invoices; the creditable-amount rule, the credited line and its tax rule for credit notes.
Services here take a session and ids, never a request, so the billing engine writes documents and lines
through the same functions as the HTTP routes.
"""
