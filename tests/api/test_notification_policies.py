"""Notification policies (tag "Notification Policies", 8 operations), over HTTP on both databases."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tests.support import ApiClient

BASE = "/notifications/policies"
HOOK = "https://api.company.example/webhooks"


def new_policy(client: ApiClient, **body: Any) -> dict[str, Any]:
    response = client.post(BASE, json={"name": "Dev team integration webhooks", "recipients": [HOOK],
                                       "channel": "WEBHOOK", **body})
    assert response.status_code == 201, response.text
    return response.json()


def error_keys(response: Any) -> list[str]:
    """The 400's declared ``DatabaseErrors`` keys (and Quire's own ``error`` beside them)."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"]["type"] == "ValidationError", body
    return [e["key"] for e in body["errors"]]


def test_create_read_list_delete(client: ApiClient, other_client: ApiClient) -> None:
    given = new_policy(client, notificationTypes=["CUSTOMER_CREATED"], webhookSecret="whsec_UserSubmittedSecret1234567890abc")
    assert given["webhookSecret"] == "whsec_UserSubmittedSecret1234567890abc"
    assert given["notificationTypes"] == ["CUSTOMER_CREATED"] and given["recipients"] == [HOOK]
    assert given["channel"] == "WEBHOOK" and given["sequenceAccountId"] == client.credential.account_id

    generated = new_policy(client)  # no secret given: one is made; no types: every type
    assert generated["webhookSecret"].startswith("whsec_") and len(generated["webhookSecret"]) >= 32
    assert "notificationTypes" not in generated
    assert new_policy(client)["webhookSecret"] != generated["webhookSecret"]

    third = new_policy(client)
    email = client.post(BASE, json={"name": "Finance team emails", "recipients": ["finance@example.com"],
                                    "channel": "EMAIL", "notificationTypes": ["INVOICE_ISSUED", "INVOICE_ISSUED"]})
    assert email.status_code == 201, email.text
    assert "webhookSecret" not in email.json() and email.json()["notificationTypes"] == ["INVOICE_ISSUED"]

    assert client.get(f"{BASE}/{given['id']}").json() == given
    listed = client.get(BASE, params={"limit": 2})
    assert listed.status_code == 200 and listed.json()["pagination"]["totalResultSize"] == 5
    assert [p["id"] for p in listed.json()["items"]] == [email.json()["id"], third["id"]]  # newest first
    assert other_client.get(BASE).json()["items"] == []
    assert other_client.get(f"{BASE}/{given['id']}").status_code == 404
    assert other_client.delete(f"{BASE}/{given['id']}").status_code == 404

    deleted = client.delete(f"{BASE}/{given['id']}")
    assert deleted.status_code == 200 and deleted.json() == given
    assert client.get(f"{BASE}/{given['id']}").status_code == 404
    assert client.delete(f"{BASE}/{given['id']}").status_code == 404


def test_invalid_combinations_are_400_naming_the_field(client: ApiClient) -> None:
    def create(**body: Any) -> Any:
        return client.post(BASE, json={"name": "P", "recipients": [HOOK], "channel": "WEBHOOK", **body})

    assert error_keys(create(channel="EMAIL", recipients=["ops@example.com"], webhookSecret="whsec_0123456789abcdef")) == ["webhookSecret"]
    assert error_keys(create(channel="EMAIL")) == ["recipients[0]"]  # a URL is no email address
    assert error_keys(create(recipients=["ops@example.com"])) == ["recipients[0]"]  # nor an email a webhook URL
    for url in ("ftp://example.com/x", "https://", "/relative", "https://example.com/a b", "https://example.com:99999/"):
        assert error_keys(create(recipients=[HOOK, url])) == ["recipients[1]"], url
    assert error_keys(create(recipients=[])) == ["recipients"]
    assert error_keys(create(notificationTypes=[])) == ["notificationTypes"]
    assert error_keys(create(notificationTypes=["CUSTOMER_ARCHIVED"])) == ["notificationTypes[0]"]
    assert error_keys(create(channel="SMS")) == ["channel"]
    assert error_keys(create(webhookSecret="short")) == ["webhookSecret"]
    assert error_keys(create(name="")) == ["name"]
    assert client.get(BASE).json()["items"] == []


def test_types_added_and_removed(client: ApiClient) -> None:
    policy = new_policy(client, notificationTypes=["CUSTOMER_CREATED"])
    path = f"{BASE}/{policy['id']}/notification-types"
    added = client.post(path, json={"notificationTypes": ["INVOICE_ISSUED", "CUSTOMER_CREATED"]})
    assert added.status_code == 200 and added.json()["notificationTypes"] == ["CUSTOMER_CREATED", "INVOICE_ISSUED"]
    removed = client.delete(f"{path}/CUSTOMER_CREATED")
    assert removed.status_code == 200 and removed.json()["notificationTypes"] == ["INVOICE_ISSUED"]
    assert error_keys(client.delete(f"{path}/CUSTOMER_CREATED")) == ["type"]  # not on the policy
    assert error_keys(client.delete(f"{path}/NOT_A_TYPE")) == ["type"]
    assert error_keys(client.delete(f"{path}/INVOICE_ISSUED")) == ["type"]  # the last one: delete the policy
    assert error_keys(client.post(path, json={"notificationTypes": ["NOPE"]})) == ["notificationTypes[0]"]
    assert error_keys(client.post(path, json={"notificationTypes": []})) == ["notificationTypes"]

    every = new_policy(client)
    more = client.post(f"{BASE}/{every['id']}/notification-types", json={"notificationTypes": ["INVOICE_ISSUED"]})
    assert "notificationTypes" not in more.json()  # it has every type already
    fewer = client.delete(f"{BASE}/{every['id']}/notification-types/QUOTE_ACCEPTED").json()["notificationTypes"]
    assert "QUOTE_ACCEPTED" not in fewer and "CUSTOMER_CREATED" in fewer and len(fewer) == 20


def test_recipients_added_and_removed(client: ApiClient) -> None:
    policy = new_policy(client)
    path = f"{BASE}/{policy['id']}/recipients"
    second = "https://hooks.example/a?b=c"
    added = client.post(path, json={"recipients": [second, HOOK]})
    assert added.status_code == 200 and added.json()["recipients"] == [HOOK, second]
    assert error_keys(client.post(path, json={"recipients": ["ops@example.com"]})) == ["recipients[0]"]
    removed = client.delete(f"{path}/{quote(second, safe='')}")  # a URL travels percent-encoded
    assert removed.status_code == 200, removed.text
    assert removed.json()["recipients"] == [HOOK]
    assert error_keys(client.delete(f"{path}/{quote(second, safe='')}")) == ["recipient"]
    assert error_keys(client.delete(f"{path}/{quote(HOOK, safe='')}")) == ["recipient"]  # the last one

    third = new_policy(client)
    email = client.post(BASE, json={"name": "E", "recipients": ["a@example.com", "b@example.com"], "channel": "EMAIL"}).json()
    left = client.delete(f"{BASE}/{email['id']}/recipients/a@example.com")
    assert left.status_code == 200 and left.json()["recipients"] == ["b@example.com"]


def test_other_accounts_policy_is_404_on_every_sub_resource(client: ApiClient, other_client: ApiClient) -> None:
    policy = new_policy(client, notificationTypes=["CUSTOMER_CREATED", "INVOICE_ISSUED"])
    path = f"{BASE}/{policy['id']}"
    assert other_client.post(f"{path}/notification-types", json={"notificationTypes": ["INVOICE_UPDATED"]}).status_code == 404
    assert other_client.delete(f"{path}/notification-types/CUSTOMER_CREATED").status_code == 404
    assert other_client.post(f"{path}/recipients", json={"recipients": ["https://evil.example/"]}).status_code == 404
    assert other_client.delete(f"{path}/recipients/{quote(HOOK, safe='')}").status_code == 404
    assert client.get(path).json() == policy
