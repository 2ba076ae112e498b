"""Password hashes for users: scrypt (RFC 7914, Python's ``hashlib``), memory-hard, a random salt per user.

The stored form names its parameters, ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>``, so they can be raised
later without invalidating existing hashes (``needs_rehash``). n = 2**17, r = 8, p = 1 is OWASP's scrypt
recommendation (128 MiB, about 0.3 s on the development VM).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2**17, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
#: Longer passwords are refused (the KDF's cost is per byte beyond this anyway).
MAX_PASSWORD = 1024
MIN_PASSWORD = 12


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * n * r * p, dklen=KEY_BYTES)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, N, R, P)
    return "$".join(["scrypt", str(N), str(R), str(P), base64.b64encode(salt).decode(), base64.b64encode(key).decode()])


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (False for no hash or a malformed one), in constant time."""
    if not stored or len(password) > MAX_PASSWORD:
        return False
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        derived = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(derived, base64.b64decode(key))


def needs_rehash(stored: str) -> bool:
    return not stored.startswith(f"scrypt${N}${R}${P}$")


def new_password() -> str:
    """A random password to print once (24 URL-safe characters, 144 bits)."""
    return secrets.token_urlsafe(18)


def check_password(password: str) -> str | None:
    """Why ``password`` is refused, or None."""
    if len(password) < MIN_PASSWORD:
        return f"The password must have at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"The password must have at most {MAX_PASSWORD} characters"
    return None
