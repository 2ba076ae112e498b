"""Payment reminders (dunning): emails to the customer of an unpaid SENT invoice, days before and on its
due date, from a daily job, at most once per invoice and kind (docs/accounts.md#payment-reminders)."""
