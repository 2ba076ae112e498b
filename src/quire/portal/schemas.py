"""Wire shape of the portal-link extension (not in Sequence's contract; camelCase like the rest)."""

from __future__ import annotations

from quire.core.schemas import ApiModel, Timestamp


class PortalLinkRead(ApiModel):
    customer_id: str
    # The customer's link works: issued and not disabled since (the account's switch aside).
    enabled: bool
    # The account's switch (merchant settings ``customerPortalEnabled``): false turns every link off.
    customer_portal_enabled: bool
    # Only in the answer of ``POST …/portal-link/rotate``: the token itself is never stored.
    url: str | None = None
    created_at: Timestamp | None = None
    rotated_at: Timestamp | None = None
    disabled_at: Timestamp | None = None
