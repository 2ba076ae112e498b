"""`/docs` works with no network, and `/openapi.json` lets "Try it out" authenticate (HTTP Basic)."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import httpx

from tests.support import ApiClient, LiveServer


def _references(html: str) -> list[str]:
    """Every URL the page makes the browser load: src/href attributes and the spec's `url:`."""
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html) + re.findall(r"""\burl:\s*['"]([^'"]+)['"]""", html)


def test_docs_page_loads_only_local_assets(server: LiveServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        page = http.get("/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        html = page.text
        assert "SwaggerUIBundle(" in html
        references = _references(html)
        assert len(references) >= 4, references  # css, favicon, js, the spec
        for reference in references:
            absolute = urljoin(f"{server.base_url}/docs", reference)
            assert urlsplit(absolute).netloc == urlsplit(server.base_url).netloc, f"/docs loads {reference}"
            asset = http.get(absolute)
            assert asset.status_code == 200, (reference, asset.status_code)
            assert asset.content, reference
        js = next(r for r in references if r.endswith("swagger-ui-bundle.js"))
        body = http.get(urljoin(server.base_url, js))
        assert "javascript" in body.headers["content-type"] and len(body.content) > 500_000  # the real bundle
        css = next(r for r in references if r.endswith(".css"))
        assert http.get(urljoin(server.base_url, css)).headers["content-type"].startswith("text/css")
        assert '"validatorUrl": null' in html  # no badge fetched from validator.swagger.io
        assert http.get("/docs/assets/no-such-file.js").status_code == 404


def test_openapi_declares_http_basic_on_authenticated_operations(server: LiveServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        schema = http.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["basicAuth"]["type"] == "http"
    assert schema["components"]["securitySchemes"]["basicAuth"]["scheme"] == "basic"
    operations = {(path, method): op for path, item in schema["paths"].items() for method, op in item.items()}
    assert len(operations) > 100
    public = {key for key, op in operations.items() if "security" not in op}
    assert public == {("/i/{token}", "get"), ("/i/{token}/pdf", "get")}, public
    for key in [("/customers", "get"), ("/invoices", "post"), ("/merchant-settings", "put"),
                ("/invoices/{id}/hosted-link", "get")]:
        assert operations[key]["security"] == [{"basicAuth": []}], key


def test_what_the_docs_declare_is_what_the_api_does(server: LiveServer, client: ApiClient) -> None:
    """The declared scheme works as declared: Basic with the credential answers, no credential is a 401."""
    credential = client.credential
    assert credential is not None
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        assert http.get("/customers").status_code == 401
        answered = http.get("/customers", auth=httpx.BasicAuth(credential.client_id, credential.client_secret))
        assert answered.status_code == 200
        assert http.get("/docs").status_code == 200  # the page itself needs no credential
