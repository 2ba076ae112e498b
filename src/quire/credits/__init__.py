"""Credits (tag Credits of 2024-01-01): grants of money or of a usage metric's units, a ledger of what
invoices drew and what voids restored, balances derived from it, and the drawdown the billing engine
applies to its invoices (docs/credits.md).

- ``models``    tables ``credit_grants`` and ``credit_transactions`` (migration 0011);
- ``schemas``   wire shapes (the contract's JSON numbers read and written exactly);
- ``drawdown``  the pure plan: which grants an invoice draws, and how much (metric first, then cash,
                soonest expiry first, never below zero);
- ``service``   grant, list, balances; ``apply_drawdown`` (the engine's entry point) and ``restore``;
- ``restore``   registered on ``billing_documents.hooks``: voiding (or deleting) an invoice restores
                what it drew. Importing this package registers it;
- ``router``    the five operations.
"""

from quire.credits import restore as _restore  # noqa: F401  (registers the void/delete handlers)
