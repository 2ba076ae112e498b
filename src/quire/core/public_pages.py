"""Headers of the public pages whose URL holds a bearer token (the hosted invoice page ``/i/{token}``,
the customer portal ``/portal/{token}``): never cached by intermediaries, never sent on as a Referer,
never indexed, never framed, never sniffed. Each page adds its own Content-Security-Policy."""

from __future__ import annotations

TOKEN_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
