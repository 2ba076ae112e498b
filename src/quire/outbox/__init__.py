"""The email outbox: messages enqueued inside a request's transaction, delivered after it commits.

Nothing here knows about invoices. A domain composes an ``email.message.EmailMessage`` and calls
``service.enqueue`` in the same transaction as its state change; that transaction also defers the
``outbox.send`` job (``dispatcher``, on the job queue: docs/jobs.md), which a worker runs once it has
committed: it sends over SMTP, retries with backoff, and records every attempt on the row. See
docs/delivery.md.
"""
