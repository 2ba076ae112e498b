"""Tag Users: users created by `quire users create`, seen and re-assigned only by their own accounts."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select, update

from quire.accounts.models import Account
from quire.users.models import User
from quire.users.passwords import verify_password
from tests.support import ApiClient, LiveServer, in_database


def _account(client: ApiClient) -> str:
    assert client.credential is not None
    return client.credential.account_id


def create_user(server: LiveServer, email: str, *accounts: str, stdin: str | None = None) -> dict[str, Any]:
    args = ["users", "create", "--email", email, *(a for account in accounts for a in ("--account", account))]
    done = server.cli(*args, *(["--password-stdin"] if stdin is not None else []), stdin=stdin)
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    return json.loads(line)  # type: ignore[no-any-return]


def test_a_user_created_by_the_cli_is_seen_only_by_its_account(server: LiveServer, client: ApiClient, other_client: ApiClient) -> None:
    email = f"ada-{uuid.uuid4().hex[:8]}@acme.example"
    made = create_user(server, email, _account(client))
    assert made["state"] == "active" and made["sequenceAccountIds"] == [_account(client)]
    assert len(made["password"]) >= 20  # generated, printed once
    stored = in_database(server, lambda s: s.scalar(select(User.password_hash).where(User.id == made["id"])))
    assert stored.startswith("scrypt$") and made["password"] not in stored
    assert verify_password(stored, made["password"]) and not verify_password(stored, "wrong password!")

    listed = client.get("/users").json()
    assert [u["id"] for u in listed["items"]] == [made["id"]]
    assert client.get(f"/users/{made['id']}").json() == {
        "id": made["id"], "email": email, "sequenceAccountIds": [_account(client)], "state": "active"}
    assert other_client.get("/users").json()["items"] == []
    assert other_client.get(f"/users/{made['id']}").status_code == 404
    assert other_client.put(f"/users/{made['id']}", json={"sequenceAccountIds": [_account(other_client)]}).status_code == 404
    assert other_client.delete(f"/users/{made['id']}").status_code == 404
    assert client.get(f"/users/{made['id']}").json()["state"] == "active"
    assert client.get(f"/users/{uuid.uuid4()}").status_code == 404


def test_a_password_from_stdin_and_a_second_account(server: LiveServer, client: ApiClient, other_client: ApiClient) -> None:
    email = f"Grace-{uuid.uuid4().hex[:8]}@Acme.example"
    made = create_user(server, email, _account(client), stdin="correct horse battery staple\n")
    assert "password" not in made
    stored = in_database(server, lambda s: s.scalar(select(User.password_hash).where(User.id == made["id"])))
    assert verify_password(stored, "correct horse battery staple")
    # The same address (in any case) is the same user: it gains the account; its password is kept.
    again = create_user(server, email.lower(), _account(other_client))
    assert again["id"] == made["id"] and "password" not in again
    assert again["sequenceAccountIds"] == [_account(client), _account(other_client)]
    # Each unrelated account sees the user with only its own id.
    assert client.get(f"/users/{made['id']}").json()["sequenceAccountIds"] == [_account(client)]
    assert other_client.get(f"/users/{made['id']}").json()["sequenceAccountIds"] == [_account(other_client)]
    # Deleted from one account, the user stays in the other.
    deleted = client.delete(f"/users/{made['id']}")
    assert deleted.status_code == 200 and deleted.json()["state"] == "deleted"
    assert client.get(f"/users/{made['id']}").status_code == 404
    assert other_client.get(f"/users/{made['id']}").json()["state"] == "active"


def test_the_cli_refuses_bad_input(server: LiveServer, client: ApiClient) -> None:
    for args, stdin in ((["--email", "not-an-address", "--account", _account(client)], None),
                        (["--email", "x@acme.example", "--account", str(uuid.uuid4())], None),
                        (["--email", "y@acme.example", "--account", _account(client), "--password-stdin"], "short\n")):
        done = server.cli("users", "create", *args, stdin=stdin)
        assert done.returncode == 2 and done.stdout == "" and done.stderr.strip(), (args, done)


def test_put_assigns_accounts_of_the_callers_organisation(server: LiveServer, client: ApiClient, other_client: ApiClient) -> None:
    sister = server.new_account("Sister account")
    mine = _account(client)

    async def same_organisation(session: Any) -> None:
        await session.execute(update(Account).where(Account.id == sister.account_id).values(organisation_id=mine))

    in_database(server, same_organisation)
    made = create_user(server, f"lin-{uuid.uuid4().hex[:8]}@acme.example", mine)
    path = f"/users/{made['id']}"
    put = client.put(path, json={"sequenceAccountIds": [mine, sister.account_id]})
    assert put.status_code == 201, put.text
    assert put.json() == {"id": made["id"], "sequenceAccountIds": [mine, sister.account_id]}
    assert client.get(path).json()["sequenceAccountIds"] == [mine, sister.account_id]
    assert client.get(f"/sequence-accounts/{mine}").json()["sequenceOrganisationId"] == mine

    for bad in ({"sequenceAccountIds": [mine, _account(other_client)]}, {"sequenceAccountIds": [str(uuid.uuid4())]},
                {"sequenceAccountIds": []}, {}, {"sequenceAccountIds": mine}):
        response = client.put(path, json=bad)
        assert response.status_code == 400, (bad, response.text)
        assert "sequenceAccountIds" in response.text
    assert client.get(path).json()["sequenceAccountIds"] == [mine, sister.account_id]

    # Leaving its own account out hands the user over: the caller no longer sees it.
    assert client.put(path, json={"sequenceAccountIds": [sister.account_id]}).status_code == 201
    assert client.get(path).status_code == 404
    with ApiClient(server.base_url, sister) as sister_client:
        assert sister_client.get(path).json()["sequenceAccountIds"] == [sister.account_id]
        gone = sister_client.delete(path).json()
        assert gone["state"] == "deleted" and gone["sequenceAccountIds"] == []
    state = in_database(server, lambda s: s.scalar(select(User.state).where(User.id == made["id"])))
    assert state == "deleted"  # no account left: deleted for good, its password hash cleared


def test_users_list_pages(server: LiveServer, client: ApiClient) -> None:
    made = [create_user(server, f"p{i}-{uuid.uuid4().hex[:8]}@acme.example", _account(client))["id"] for i in range(3)]
    first = client.get("/users", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["pagination"]["totalResultSize"] == 3
    second = client.get("/users", params={"limit": 2, "after": first["pagination"]["after"]}).json()
    assert sorted(u["id"] for u in first["items"] + second["items"]) == sorted(made)
