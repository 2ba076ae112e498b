"""The billing engine: invoices from billing schedules (docs/billing-engine.md).

- ``periods``  billing periods on the recurrence-day grid (pure);
- ``plan``     what a schedule invoices and when: charges by invoice date, lines, discounts, minimums (pure);
- ``engine``   ``run_billing``: each due invoice exactly once, in its own transaction; the archive hook;
- ``jobs``     the daily ``billing.run_due`` and ``billing.run_chunk`` jobs (``quire.jobs``);
- ``router``   the read-only ``/billing-runs`` extension.
"""
