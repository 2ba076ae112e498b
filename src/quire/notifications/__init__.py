"""Notification policies, the events Quire records for them, and their delivery (docs/webhooks.md).

- ``policies``: the 8 operations of the contract's "Notification Policies" tag;
- ``events``: ``record_event(session, ...)``, called by the domains inside the transaction of the change
  that causes the event (it imports no domain: callers hand it the resource as the API presents it);
- ``delivery``: signed webhook deliveries as jobs of the queue (``quire worker``), with retries;
- ``emails``: the EMAIL channel, through the outbox.
"""
