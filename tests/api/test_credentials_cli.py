"""API credentials from the CLI against a live server: a revoked or rotated-away secret dies within the
authentication cache's time (quire.core.auth.CACHE_SECONDS), measured here."""

from __future__ import annotations

import json
import time

import httpx

from quire.core.auth import CACHE_SECONDS
from tests.support import ApiClient, LiveServer


def _json(done: object) -> object:
    assert done.returncode == 0, done.stderr  # type: ignore[attr-defined]
    [line] = done.stdout.splitlines()  # type: ignore[attr-defined]
    return json.loads(line)


def _seconds_until_refused(base_url: str, client_id: str, secret: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < CACHE_SECONDS + 10:
        if httpx.get(base_url + "/customers", auth=(client_id, secret)).status_code == 401:
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError("the revoked secret was still accepted")


def test_create_list_rotate_revoke(server: LiveServer, client: ApiClient) -> None:
    assert client.credential is not None
    account = client.credential.account_id
    made = _json(server.cli("credentials", "create", "--account", account))
    assert isinstance(made, dict) and made["sequenceAccountId"] == account
    assert httpx.get(server.base_url + "/customers", auth=(made["clientId"], made["clientSecret"])).status_code == 200

    rotated = _json(server.cli("credentials", "rotate", made["clientId"]))
    assert isinstance(rotated, dict) and rotated["clientId"] != made["clientId"]
    assert httpx.get(server.base_url + "/customers", auth=(rotated["clientId"], rotated["clientSecret"])).status_code == 200
    took = _seconds_until_refused(server.base_url, made["clientId"], made["clientSecret"])
    print(f"rotated-away secret refused {took:.2f} s after the CLI returned")
    assert took <= CACHE_SECONDS + 1, took

    revoked = _json(server.cli("credentials", "revoke", rotated["clientId"]))
    assert isinstance(revoked, dict) and revoked["revokedAt"]
    took = _seconds_until_refused(server.base_url, rotated["clientId"], rotated["clientSecret"])
    print(f"revoked secret refused {took:.2f} s after the CLI returned")
    assert took <= CACHE_SECONDS + 1, took
    assert client.get("/customers").status_code == 200  # the account's other credential lives on

    listed = _json(server.cli("credentials", "list", "--account", account))
    assert isinstance(listed, list)
    by_id = {c["clientId"]: c for c in listed}
    assert by_id[client.credential.client_id]["revokedAt"] is None
    assert by_id[made["clientId"]]["revokedAt"] and by_id[rotated["clientId"]]["revokedAt"]
    assert "clientSecret" not in json.dumps(listed)

    assert server.cli("credentials", "rotate", made["clientId"]).returncode == 2  # revoked already
    assert server.cli("credentials", "revoke", "no-such-client").returncode == 2
    assert server.cli("credentials", "list", "--account", "00000000-0000-0000-0000-000000000000").returncode == 2
