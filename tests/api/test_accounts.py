"""Tag Accounts: GET /sequence-accounts, GET/PUT /sequence-accounts/{id} (docs/accounts.md)."""

from __future__ import annotations

import json
import uuid

from tests.support import ApiClient, LiveServer


def _own_id(client: ApiClient) -> str:
    assert client.credential is not None
    return client.credential.account_id


def test_an_account_lists_and_reads_only_itself(client: ApiClient, other_client: ApiClient) -> None:
    page = client.get("/sequence-accounts").json()
    assert [item["id"] for item in page["items"]] == [_own_id(client)]
    assert page["pagination"]["totalResultSize"] == 1
    account = page["items"][0]
    # Defaults of a new account: Quire emails its customers, no alert addresses, its own organisation.
    assert account["sendCustomerNotifications"] is True and account["alertEmailAddresses"] == []
    assert account["sequenceOrganisationId"] == account["id"]
    assert account["companyName"] == "Test account" and account["companyNumber"] == "" and account["country"] == "GB"
    assert client.get(f"/sequence-accounts/{_own_id(client)}").json() == account

    for ident in (_own_id(other_client), str(uuid.uuid4()), "not-an-id"):
        assert client.get(f"/sequence-accounts/{ident}").status_code == 404
        assert client.put(f"/sequence-accounts/{ident}", json={"alertEmailAddresses": []}).status_code == 404
    assert other_client.get(f"/sequence-accounts/{_own_id(other_client)}").json()["alertEmailAddresses"] == []


def test_put_replaces_the_alert_addresses(client: ApiClient) -> None:
    path = f"/sequence-accounts/{_own_id(client)}"
    put = client.put(path, json={"alertEmailAddresses": ["alerts@acme.example", "ops@acme.example", "alerts@acme.example"]})
    assert put.status_code == 200, put.text
    assert put.json()["alertEmailAddresses"] == ["alerts@acme.example", "ops@acme.example"]
    assert client.get(path).json()["alertEmailAddresses"] == ["alerts@acme.example", "ops@acme.example"]
    assert client.put(path, json={"alertEmailAddresses": []}).json()["alertEmailAddresses"] == []


def test_put_requires_valid_addresses(client: ApiClient) -> None:
    path = f"/sequence-accounts/{_own_id(client)}"
    for bad in ({}, {"alertEmailAddresses": "a@b.example"}, {"alertEmailAddresses": ["not an address"]},
                {"alertEmailAddresses": [f"a{i}@b.example" for i in range(21)]}):
        response = client.put(path, json=bad)
        assert response.status_code == 400, (bad, response.text)
        assert "alertEmailAddresses" in response.text
    assert client.get(path).json()["alertEmailAddresses"] == []


def test_company_details_come_from_the_merchant_settings(client: ApiClient) -> None:
    client.put("/merchant-settings", json={
        "legalCompanyName": "Acme Ltd", "companyNumber": "01234567", "email": "billing@acme.example",
        "address": {"line1": "1 Rue de Rivoli", "town": "Paris", "postcode": "75001", "country": "FR"}})
    account = client.get(f"/sequence-accounts/{_own_id(client)}").json()
    assert (account["companyName"], account["companyNumber"], account["country"]) == ("Acme Ltd", "01234567", "FR")


def test_the_cli_turns_customer_notifications_off_and_on(server: LiveServer, client: ApiClient) -> None:
    path = f"/sequence-accounts/{_own_id(client)}"
    off = server.cli("accounts", "set", _own_id(client), "--no-customer-notifications")
    assert off.returncode == 0, off.stderr
    assert json.loads(off.stdout)["sendCustomerNotifications"] is False
    assert client.get(path).json()["sendCustomerNotifications"] is False
    assert server.cli("accounts", "set", _own_id(client), "--customer-notifications").returncode == 0
    assert client.get(path).json()["sendCustomerNotifications"] is True
    assert server.cli("accounts", "set", str(uuid.uuid4()), "--customer-notifications").returncode == 2


def test_a_null_list_clears_it(client: ApiClient) -> None:
    path = f"/sequence-accounts/{_own_id(client)}"
    client.put(path, json={"alertEmailAddresses": ["alerts@acme.example"]})
    cleared = client.put(path, json={"alertEmailAddresses": None})  # 2024-07-30 allows null here
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["alertEmailAddresses"] == []
