"""Real usage and seat objects for tests that need ids (schemathesis points path parameters at them)."""

from __future__ import annotations

from tests.support import ApiClient


def usage_ids(client: ApiClient) -> dict[str, str]:
    """Ids keyed by the first path segment they belong under (``/usage-metrics/{id}``, ``/seat-types/{id}``)."""
    metric = client.post("/usage-metrics", json={
        "name": "Fuzz metric", "metricType": "SIMPLE", "eventType": "fuzz", "aggregationType": "SUM", "aggregationProperty": "n"})
    assert metric.status_code == 201, metric.text
    seat_type = client.post("/seat-types", json={"key": f"fuzz-{metric.json()['id']}", "label": "Fuzz seats"})
    assert seat_type.status_code == 201, seat_type.text
    return {"usage-metrics": metric.json()["id"], "seat-types": seat_type.json()["id"]}
