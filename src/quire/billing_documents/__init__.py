"""The billing-document core: what invoices and credit notes share, written once.

A billing document is a header (the customer as billed, currency, status, number, totals) with
numbered line items, optionally in groups. This package owns, for every kind:

- ``calculation``   exact totals (pure): a line's net, tax and gross; sums of lines;
- ``models``        the shared columns, as SQLAlchemy mixins (the migrated tables are unchanged);
- ``kind``          ``Kind``: how one kind plugs in (its three tables, names, edit rule, list sorts);
- ``lifecycle``     the mechanics of a kind's transition table (allowed actions, refusals), pure;
- ``actions``       applying an action to a locked document: numbering, send/void stamps, status;
- ``repository``    queries of a document's parts (lines, groups) and their sums;
- ``lines``         line and group writes: locking, order, limits, the groupId rule, totals after each
                    write, the storage limit; delete, list and every group write whole;
- ``service``       the update merge, the list page, deleting a draft;
- ``schemas``       shared wire pieces (decimal fields, recipient and line fields, response tails);
- ``present``       amounts and decimals as the wire shows them;
- ``routes``        the document, action, line and group endpoints from one factory per kind;
- ``render_model``  what a document's PDF prints (the render layer's neutral model);
- ``formatting``    money, dates, addresses and bank details as documents print them (Babel, ``en_GB``);
- ``hooks``         what other domains do when a document is voided or deleted (credits restore), run
                    in the same transaction; the core never imports them.

A kind (``quire.invoices``, ``quire.creditnotes``) declares its tables with the mixins, describes
itself with a ``Kind`` (in its ``models``), writes its transition table, wire models and the few line
rules only it has, and hands its routes to ``routes``. What only an invoice has: payment status, due
dates, render settings, invoice settings, the hosted page; only a credit note: the link to the invoice
it credits, the creditable-amount rule and the credited line's tax rate (``creditnotes.creditable``).

Nothing here takes an HTTP request: the billing engine creates an invoice with
``invoices.service.create_invoice`` and adds lines with ``invoices.lines.add_line`` (session, account id,
the same request models), then ``invoices.actions.transition`` to finalize, exactly as the routes do.
"""
