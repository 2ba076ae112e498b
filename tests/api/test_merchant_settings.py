"""The merchant-settings extension and the snapshot each invoice takes of it."""

from __future__ import annotations

import datetime as dt

from tests.api.invoice_helpers import action, new_invoice
from tests.factories import address
from tests.support import ApiClient

MERCHANT = {
    "legalCompanyName": "Quire Test Ltd",
    "address": address(line1="2 New Street"),
    "email": "billing@quire.example",
    "taxId": "GB123456789",
    "iban": "GB33BUKB20201555555555",
    "ukAccountDetails": {"sortCode": "202015", "accountNumber": "55555555"},
    "primaryColour": "#0A7B83",
    "customFields": [{"key": "Company no.", "value": "01234567"}],
    "paymentTermsDays": 14,
    "invoiceNumberPrefix": "QT-",
}


def test_settings_round_trip_and_invoices_snapshot_them(client: ApiClient) -> None:
    assert client.get("/merchant-settings").status_code == 200
    assert "merchantDetails" not in new_invoice(client)  # no legal name/address/email yet
    put = client.put("/merchant-settings", json=MERCHANT)
    assert put.status_code == 200, put.text
    got = client.get("/merchant-settings").json()
    for key, value in MERCHANT.items():
        assert got[key] == value, key

    invoice = new_invoice(client)
    details = invoice["merchantDetails"]
    assert details["legalCompanyName"] == "Quire Test Ltd" and details["taxId"] == "GB123456789"
    assert details["ukAccountDetails"] == {"sortCode": "202015", "accountNumber": "55555555"}
    assert details["customFields"] == [{"key": "Company no.", "value": "01234567"}]

    changed = client.put("/merchant-settings", json={**MERCHANT, "legalCompanyName": "Renamed Ltd"})
    assert changed.status_code == 200
    assert client.get(f"/invoices/{invoice['id']}").json()["merchantDetails"]["legalCompanyName"] == "Quire Test Ltd"
    final = action(client, invoice["id"], "finalize").json()
    assert final["invoiceNumber"] == "QT-00001"
    issued = dt.date.fromisoformat(final["issueDate"])
    assert final["dueDate"] == (issued + dt.timedelta(days=14)).isoformat()  # the merchant's payment terms


def test_bad_settings_are_400(client: ApiClient, other_client: ApiClient) -> None:
    for bad in ({"primaryColour": "teal"}, {"iban": "nope"}, {"paymentTermsDays": -1}, {"email": "x"},
                {"ukAccountDetails": {"sortCode": "1", "accountNumber": "2"}}, {"invoiceNumberPrefix": "a b"}):
        response = client.put("/merchant-settings", json=bad)
        assert response.status_code == 400, (bad, response.text)
    client.put("/merchant-settings", json=MERCHANT)
    assert other_client.get("/merchant-settings").json().get("legalCompanyName") is None
