"""Wire shapes of the portal-link extension (not in Sequence's contract; camelCase like the rest)."""

from __future__ import annotations

from quire.core.schemas import ApiModel, Timestamp


class PortalLinkRead(ApiModel):
    customer_id: str
    # When the customer's first link was issued, and when the last one was issued or disabled.
    created_at: Timestamp | None = None
    changed_at: Timestamp | None = None
    # The customer's link works: issued and not disabled since (the account's switch aside).
    enabled: bool
    # The account's switch (merchant settings ``customerPortalEnabled``): false turns every link off.
    customer_portal_enabled: bool


class PortalLinkIssued(PortalLinkRead):
    """The answer of ``POST …/portal-link/rotate``, the only one with the URL: the token is not stored."""

    url: str
