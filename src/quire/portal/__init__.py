"""The customer portal: one unguessable, rotatable link per customer showing that customer's SENT
invoices, credit balances and usage (docs/portal.md)."""
