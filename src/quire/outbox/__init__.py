"""The email outbox: messages enqueued inside a request's transaction, delivered after it commits.

Nothing here knows about invoices. A domain composes an ``email.message.EmailMessage`` and calls
``service.enqueue`` in the same transaction as its state change; the ``dispatcher`` running in the
app sends it over SMTP once the transaction has committed, retrying with backoff, and records every
attempt on the row. See docs/delivery.md.
"""
