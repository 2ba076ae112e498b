"""Customers and aliases, driven over HTTP like a client would (both databases)."""

from __future__ import annotations

from tests.factories import address, customer_body
from tests.support import ApiClient


def create(client: ApiClient, **overrides: object) -> dict:
    response = client.post("/customers", json=customer_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()["customer"]


def test_create_wraps_customer_and_fills_defaults(client: ApiClient) -> None:
    response = client.post(
        "/customers",
        json=customer_body(
            legalName="Acme Ltd", contactName="Jo", telephone="+44 20 1234", url="https://acme.test/",
            label="big", externalIds=[{"key": "Stripe", "value": "cus_1"}],
        ),
    )
    assert response.status_code == 201
    assert response.headers["sequence-version"] == "2024-01-01"
    customer = response.json()["customer"]
    assert customer["legalName"] == "Acme Ltd"
    assert customer["taxStatus"] == "TAXED"
    assert customer["sequenceAccountId"] == client.credential.account_id
    assert customer["externalIds"][0]["key"] == "Stripe" and customer["externalIds"][0]["syncTime"].endswith("Z")
    assert customer["createdAt"].endswith("Z")
    assert "archivedAt" not in customer
    fetched = client.get(f"/customers/{customer['id']}").json()
    assert fetched == customer


def test_update_replaces_required_and_keeps_omitted_optional(client: ApiClient) -> None:
    customer = create(client, contactName="Jo", label="keep me")
    body = {
        "legalName": "Renamed Ltd", "address": address(town="Leeds"), "email": "new@example.com", "taxStatus": "REVERSE_CHARGED",
    }
    updated = client.put(f"/customers/{customer['id']}", json=body).json()
    assert updated["legalName"] == "Renamed Ltd"
    assert updated["address"]["town"] == "Leeds"
    assert updated["taxStatus"] == "REVERSE_CHARGED"
    assert updated["label"] == "keep me" and updated["contactName"] == "Jo"
    assert updated["billingEmails"] == customer["billingEmails"]


def test_delete_and_archive_both_archive(client: ApiClient) -> None:
    first, second = create(client), create(client)
    deleted = client.delete(f"/customers/{first['id']}")
    assert deleted.status_code == 200 and deleted.json()["archivedAt"].endswith("Z")
    archived = client.put(f"/customers/{second['id']}/archive").json()
    assert archived["archivedAt"]
    again = client.put(f"/customers/{second['id']}/archive").json()
    assert again["archivedAt"] == archived["archivedAt"], "archiving twice keeps the first archive time"
    listed = {c["id"] for c in client.get("/customers").json()["items"]}
    assert first["id"] not in listed and second["id"] not in listed
    with_archived = {c["id"] for c in client.get("/customers", params={"includeArchived": "true"}).json()["items"]}
    assert {first["id"], second["id"]} <= with_archived
    assert client.get(f"/customers/{first['id']}").json()["archivedAt"]


def test_list_filters(client: ApiClient) -> None:
    a = create(client, legalName="Blue Widgets", email="ops@blue.example")
    b = create(client, legalName="Red Widgets", email="OPS@red.example", customerAliases=["red-1"])
    create(client, legalName="Green Gadgets")
    names = lambda r: sorted(c["legalName"] for c in r.json()["items"])  # noqa: E731
    assert names(client.get("/customers", params={"legalName": "widgets"})) == ["Blue Widgets", "Red Widgets"]
    assert names(client.get("/customers", params={"email": "ops@RED"})) == ["Red Widgets"]
    assert names(client.get("/customers", params={"alias": "red-1"})) == ["Red Widgets"]
    assert names(client.get("/customers", params={"alias": a["id"]})) == ["Blue Widgets"]
    assert client.get("/customers", params={"alias": "red"}).json()["items"] == []
    by_name = client.get("/customers", params={"sortBy": "legalName", "sortOrder": "ASC"}).json()
    assert [c["legalName"] for c in by_name["items"]] == ["Blue Widgets", "Green Gadgets", "Red Widgets"]
    assert by_name["pagination"]["totalResultSize"] == 3
    assert b["id"] in {c["id"] for c in client.get("/customers").json()["items"]}


def test_validation_errors_are_400_with_documented_body(client: ApiClient) -> None:
    cases = [
        ({**customer_body(), "email": "not-an-email"}, "email"),
        ({**customer_body(), "billingEmails": ["ok@example.com", "nope"]}, "billingEmails[1]"),
        ({**customer_body(), "address": address(country="XX")}, "address.country"),
        ({**customer_body(), "address": address(country="US")}, "address"),
        ({**customer_body(), "address": address(country="US", state="ZZ")}, "address.state"),
        ({**customer_body(), "taxStatus": "EXEMPT"}, "taxStatus"),
        ({**customer_body(), "legalName": 42}, "legalName"),
        ({k: v for k, v in customer_body().items() if k != "legalName"}, "legalName"),
        ({**customer_body(), "externalIds": [{"key": "Nope", "value": "x"}]}, "externalIds[0].key"),
        ({**customer_body(), "legalName": "x" * 256}, "legalName"),
    ]
    for body, field in cases:
        response = client.post("/customers", json=body)
        assert response.status_code == 400, (field, response.text)
        error = response.json()["error"]
        assert error["type"] == "ValidationError"
        assert field in [f["field"] for f in error["fields"]], (field, error)
        assert error["message"]
    us = client.post("/customers", json={**customer_body(), "address": address(country="US", state="NY")})
    assert us.status_code == 201


def test_bad_json_and_wrong_shapes_are_400(client: ApiClient) -> None:
    for raw in (b"{bad", b"", b"[]", b"null", b'"x"', b"\xff\xfe"):
        response = client.post("/customers", content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 400, (raw, response.text)
        assert response.json()["error"]["type"] == "ValidationError"
    broken = client.post("/customers", content=b'{"legalName": ', headers={"content-type": "application/json"})
    assert broken.json()["error"]["message"] == "Request body is not valid JSON"
    assert broken.json()["error"]["fields"] == [{"field": "body", "message": "Request body is not valid JSON"}]


def test_unknown_ids_are_404(client: ApiClient) -> None:
    for path in ("/customers/not-a-uuid", "/customers/01a20fa5-0000-7000-8000-000000000000"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["type"] == "NotFound"


def test_aliases_lifecycle(client: ApiClient) -> None:
    customer = create(client, customerAliases=["crm-1"])
    account = client.credential.account_id
    created = client.post("/customer-aliases", json={"sequenceAccountId": account, "customerId": customer["id"], "value": "crm-2", "label": "CRM"})
    assert created.status_code == 201
    alias = created.json()
    assert alias["value"] == "crm-2" and alias["label"] == "CRM" and alias["customerId"] == customer["id"]
    assert client.get("/customers/by-alias/crm-2").json()["id"] == customer["id"]
    assert client.get(f"/customers/by-alias/{customer['id']}").json()["id"] == customer["id"], "own id is an alias"
    values = [a["value"] for a in client.get(f"/customers/{customer['id']}/aliases").json()["items"]]
    assert values == ["crm-1", "crm-2"]
    assert client.put(f"/customer-aliases/{alias['id']}", json={"label": "renamed"}).json()["label"] == "renamed"
    page = client.get("/customer-aliases").json()
    assert page["pagination"]["totalResultSize"] == 2
    duplicate = client.post("/customer-aliases", json={"sequenceAccountId": account, "customerId": customer["id"], "value": "crm-1"})
    assert duplicate.status_code == 400 and duplicate.json()["error"]["type"] == "AliasAlreadyExists"
    other = create(client)
    steal_id = client.post("/customer-aliases", json={"sequenceAccountId": account, "customerId": other["id"], "value": customer["id"]})
    assert steal_id.status_code == 400, "another customer's id cannot become an alias"
    wrong_account = client.post("/customer-aliases", json={"sequenceAccountId": other["id"], "customerId": customer["id"], "value": "x"})
    assert wrong_account.status_code == 400
    deleted = client.delete(f"/customer-aliases/{alias['id']}")
    assert deleted.status_code == 200 and deleted.json()["deletedAt"].endswith("Z")
    assert client.get("/customers/by-alias/crm-2").status_code == 404
    reused = client.post("/customer-aliases", json={"sequenceAccountId": account, "customerId": other["id"], "value": "crm-2"})
    assert reused.status_code == 201, "a deleted alias value can be used again"
    before = client.get("/customers").json()["pagination"]["totalResultSize"]
    dup_on_create = client.post("/customers", json=customer_body(customerAliases=["fresh", "crm-1"]))
    assert dup_on_create.status_code == 400
    assert client.get("/customers").json()["pagination"]["totalResultSize"] == before, "nothing half-written"
    assert client.get("/customers/by-alias/fresh").status_code == 404


def test_customer_settings(client: ApiClient) -> None:
    customer = create(client)
    created = client.post("/customer-settings", json={"customerId": customer["id"], "paymentProvider": "STRIPE"})
    assert created.status_code == 201
    settings = created.json()
    assert settings["paymentProvider"] == "STRIPE" and settings["sequenceAccountId"] == client.credential.account_id
    assert client.get(f"/customer-settings/{settings['id']}").json() == settings
    assert client.put(f"/customer-settings/{settings['id']}", json={"paymentProvider": "NONE"}).json()["paymentProvider"] == "NONE"
    assert client.post("/customer-settings", json={"customerId": customer["id"], "paymentProvider": "NONE"}).status_code == 400
    assert client.post("/customer-settings", json={"customerId": customer["id"], "paymentProvider": "PAYPAL"}).status_code == 400
    assert client.delete(f"/customer-settings/{settings['id']}").status_code == 200
    assert client.get(f"/customer-settings/{settings['id']}").status_code == 404


def test_cross_account_isolation(client: ApiClient, other_client: ApiClient) -> None:
    customer = create(client, customerAliases=["mine"])
    alias = client.get(f"/customers/{customer['id']}/aliases").json()["items"][0]
    settings = client.post("/customer-settings", json={"customerId": customer["id"], "paymentProvider": "NONE"}).json()
    cid, aid, sid = customer["id"], alias["id"], settings["id"]
    update = {"legalName": "x", "address": address(), "email": "x@example.com", "taxStatus": "TAXED"}
    attempts = [
        other_client.get(f"/customers/{cid}"),
        other_client.put(f"/customers/{cid}", json=update),
        other_client.delete(f"/customers/{cid}"),
        other_client.put(f"/customers/{cid}/archive"),
        other_client.get(f"/customers/{cid}/aliases"),
        other_client.get("/customers/by-alias/mine"),
        other_client.get(f"/customers/by-alias/{cid}"),
        other_client.put(f"/customer-aliases/{aid}", json={"label": "x"}),
        other_client.delete(f"/customer-aliases/{aid}"),
        other_client.get(f"/customer-settings/{sid}"),
        other_client.put(f"/customer-settings/{sid}", json={"paymentProvider": "STRIPE"}),
        other_client.delete(f"/customer-settings/{sid}"),
    ]
    for response in attempts:
        assert response.status_code == 404, (response.request.method, response.request.url, response.text)
    # Named in a body, another account's customer is bad input: 400 naming customerId (issue 12).
    for path, body in (("/customer-aliases", {"sequenceAccountId": other_client.credential.account_id, "customerId": cid,
                                              "value": "theirs"}),
                       ("/customer-settings", {"customerId": cid, "paymentProvider": "NONE"})):
        response = other_client.post(path, json=body)
        assert response.status_code == 400, (path, response.text)
        assert [f["field"] for f in response.json()["error"]["fields"]] == ["customerId"], response.text
    assert other_client.get("/customers", params={"includeArchived": "true"}).json()["items"] == []
    assert other_client.get("/customers", params={"alias": "mine"}).json()["items"] == []
    assert other_client.get("/customer-aliases").json()["items"] == []
    # and nothing changed for the owner
    assert client.get(f"/customers/{cid}").json() == customer
    assert client.get(f"/customer-settings/{sid}").json()["paymentProvider"] == "NONE"


def test_concurrent_duplicate_aliases_never_500(server, client: ApiClient) -> None:  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    customer = create(client)

    def claim(n: int) -> int:
        with ApiClient(server.base_url, client.credential) as worker:
            return worker.post("/customer-aliases", json={
                "sequenceAccountId": client.credential.account_id, "customerId": customer["id"], "value": "contested",
            }).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(claim, range(8)))
    assert sorted(statuses) == [201] + [400] * 7, statuses


def test_parent_extension_one_level_and_refusals_name_parent_id(client: ApiClient, other_client: ApiClient) -> None:
    """``parentId`` (an extension for roll-up billing, docs/billing-engine.md#roll-up-billing): answered only
    when set; a live customer of the account, one level deep; every refusal a 400 naming ``parentId``."""
    parent = create(client)
    assert "parentId" not in parent
    child = create(client, parentId=parent["id"])
    assert child["parentId"] == parent["id"]
    assert client.get(f"/customers/{child['id']}").json()["parentId"] == parent["id"]

    def refused(response: object) -> str:
        assert response.status_code == 400, response.text  # type: ignore[attr-defined]
        [field] = response.json()["error"]["fields"]  # type: ignore[attr-defined]
        assert field["field"] == "parentId"
        return str(field["message"])

    foreign = other_client.post("/customers", json=customer_body()).json()["customer"]
    assert "not found" in refused(client.post("/customers", json=customer_body(parentId=foreign["id"])))
    assert "not found" in refused(client.post("/customers", json=customer_body(parentId="no-such-customer")))
    assert "one level" in refused(client.post("/customers", json=customer_body(parentId=child["id"])))
    update = {"legalName": parent["legalName"], "address": address(), "email": parent["email"], "taxStatus": "TAXED"}
    assert "its own parent" in refused(client.put(f"/customers/{parent['id']}", json={**update, "parentId": parent["id"]}))
    other = create(client)
    assert "one level" in refused(client.put(f"/customers/{parent['id']}", json={**update, "parentId": other["id"]}))
    gone = create(client)
    assert client.delete(f"/customers/{gone['id']}").status_code == 200
    assert "archived" in refused(client.post("/customers", json=customer_body(parentId=gone["id"])))

    child_update = {"legalName": child["legalName"], "address": address(), "email": child["email"], "taxStatus": "TAXED"}
    kept = client.put(f"/customers/{child['id']}", json=child_update)  # left out: kept
    assert kept.status_code == 200 and kept.json()["parentId"] == parent["id"]
    cleared = client.put(f"/customers/{child['id']}", json={**child_update, "parentId": None})
    assert cleared.status_code == 200 and "parentId" not in cleared.json()
