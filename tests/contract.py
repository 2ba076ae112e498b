"""The contract as a test oracle: Sequence's published OpenAPI document for 2024-01-01.

Every response a test client receives goes through :meth:`Contract.validate_response`:

* a path and method the contract knows must answer with a status the contract declares for it
  (any 2xx it does not declare is a violation), and a JSON body that validates against the declared
  schema (OpenAPI 3.0 semantics: ``nullable``, ``readOnly``...);
* every error (status >= 400), on any path, must have Sequence's error shape
  ``{"error": {"type": "CamelCase", "message": "..."}}``. The contract declares error statuses without a
  body schema, and declares no 404 at all; Quire's 404/405/409/413 carry the same documented shape
  (docs/errors.md);
* paths the contract does not know (Quire's extensions, ``/openapi.json``) are not checked here.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator

ERROR_TYPE = re.compile(r"^[A-Z][A-Za-z0-9]+$")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class ContractViolation(AssertionError):
    """A response that a Sequence client could not rely on."""


REPO = Path(__file__).resolve().parents[1]
#: A copy of ../shared/sequence-api/2024-01-01.json kept in the repo, so a clone tests on its own;
#: tests/unit/test_contract.py fails if the copy and the shared original ever differ.
VENDORED = REPO / "contract" / "sequence-2024-01-01.json"
SHARED_RELATIVE = Path("shared") / "sequence-api" / "2024-01-01.json"


def _find_shared() -> Path:
    """The shared original: ``$QUIRE_SHARED_DIR`` if set, else the first ``shared/`` beside the clone or
    beside any folder above it (CI clones into another folder and puts a copy of shared/ beside it; the
    development tree has it one level up). When there is none, the path where it is first looked for."""
    explicit = os.environ.get("QUIRE_SHARED_DIR")
    if explicit:
        return Path(explicit) / SHARED_RELATIVE.relative_to("shared")
    candidates = [folder / SHARED_RELATIVE for folder in (REPO, *REPO.parents)]
    for start in (Path.cwd(), Path(os.environ.get("PWD", "."))):  # a symlinked clone: the unresolved path too
        candidates += [folder / SHARED_RELATIVE for folder in (start.absolute(), *start.absolute().parents)]
    return next((path for path in candidates if path.is_file()), REPO.parent / SHARED_RELATIVE)


SHARED = _find_shared()


def contract_path() -> Path:
    explicit = os.environ.get("QUIRE_CONTRACT_PATH")
    return Path(explicit) if explicit else VENDORED


class Contract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._templates: list[tuple[re.Pattern[str], int, str]] = []
        for template in document["paths"]:
            literal_segments = sum(1 for seg in template.split("/") if seg and not seg.startswith("{"))
            pattern = re.compile("^" + re.sub(r"\{[^/}]+\}", "[^/]+", template) + "$")
            self._templates.append((pattern, literal_segments, template))
        # Prefer the template with the most literal segments: /customers/by-alias wins over /customers/{id}.
        self._templates.sort(key=lambda item: -item[1])
        self._validators: dict[tuple[str, str, str], OAS30Validator] = {}
        self._components = relax_free_form_maps(document["components"])

    # -- lookup -------------------------------------------------------------------------------------
    def template_for(self, method: str, path: str) -> str | None:
        method = method.lower()
        for pattern, _, template in self._templates:
            if pattern.match(path) and method in self.document["paths"][template]:
                return template
        return None

    def operation(self, method: str, path_or_template: str) -> dict[str, Any] | None:
        """The contract's operation for a concrete path or a template (``/invoices/{id}``)."""
        ops = self.document["paths"].get(path_or_template)
        if ops is not None and method.lower() in ops:
            return ops[method.lower()]
        # Templates may name their parameters differently ({id} vs {invoice}); compare shapes.
        shape = re.sub(r"\{[^/}]+\}", "{}", path_or_template)
        for template, ops in self.document["paths"].items():
            if re.sub(r"\{[^/}]+\}", "{}", template) == shape and method.lower() in ops:
                return ops[method.lower()]
        template = self.template_for(method, path_or_template)
        return self.document["paths"][template][method.lower()] if template else None

    def operations(self, tags: set[str] | None = None) -> list[tuple[str, str, dict[str, Any]]]:
        found = []
        for template, ops in self.document["paths"].items():
            for method, op in ops.items():
                if method in HTTP_METHODS and (tags is None or tags & set(op.get("tags", []))):
                    found.append((method.upper(), template, op))
        return found

    # -- validation ---------------------------------------------------------------------------------
    def _validator(self, template: str, method: str, status: str) -> OAS30Validator | None:
        key = (template, method, status)
        if key not in self._validators:
            response = self.document["paths"][template][method]["responses"][status]
            schema = ((response.get("content") or {}).get("application/json") or {}).get("schema")
            if schema is None:
                return None
            root = {**schema, "components": self._components}
            self._validators[key] = OAS30Validator(root)
        return self._validators[key]

    def validate_response(
        self, method: str, path: str, status: int, body: bytes, content_type: str | None
    ) -> None:
        where = f"{method} {path} -> {status}"
        is_json = bool(content_type and "json" in content_type)
        if status >= 400:
            check_error_body(where, body, is_json)
            return
        template = self.template_for(method, path)
        if template is None:
            return
        responses = self.document["paths"][template][method.lower()]["responses"]
        declared = str(status) if str(status) in responses else ("default" if "default" in responses else None)
        if declared is None:
            raise ContractViolation(f"{where}: status not declared by the contract (declares {sorted(responses)})")
        validator = self._validator(template, method.lower(), declared)
        if validator is None:
            return
        if not is_json:
            raise ContractViolation(f"{where}: contract declares a JSON body, got content-type {content_type!r}")
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise ContractViolation(f"{where}: body is not JSON: {exc}") from exc
        errors = sorted(validator.iter_errors(payload), key=lambda e: list(e.absolute_path))
        if errors:
            lines = [f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:10]]
            raise ContractViolation(f"{where}: response does not match the contract schema\n" + "\n".join(lines))



def relax_free_form_maps(node: Any) -> Any:
    """A copy of ``node`` where ``additionalProperties: {"type": "object"}`` allows any JSON value.

    The contract's generator renders free-form maps (Kotlin ``Map<String, Any>``) that way: usage event
    ``eventProperties`` and usage metric ``propertyFilters``. Read literally, it would forbid the
    numbers, strings and arrays that the contract's own examples put there (``{"length": 500}``,
    ``{"channels": ["text", "email"]}``), so the oracle reads those maps as free-form.
    """
    if isinstance(node, dict):
        if node.get("additionalProperties") == {"type": "object"}:
            node = {**node, "additionalProperties": {}}
        return {key: relax_free_form_maps(value) for key, value in node.items()}
    if isinstance(node, list):
        return [relax_free_form_maps(value) for value in node]
    return node


def check_error_body(where: str, body: bytes, is_json: bool) -> None:
    if not is_json:
        raise ContractViolation(f"{where}: error responses must be JSON")
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise ContractViolation(f"{where}: error body is not JSON: {exc}") from exc
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        raise ContractViolation(f"{where}: error body must be {{'error': {{...}}}}, got {payload!r}")
    if not isinstance(error.get("type"), str) or not ERROR_TYPE.match(error["type"]):
        raise ContractViolation(f"{where}: error.type must be a CamelCase name, got {error.get('type')!r}")
    if not isinstance(error.get("message"), str) or not error["message"]:
        raise ContractViolation(f"{where}: error.message must be a non-empty string")


@cache
def get_contract() -> Contract:
    path = contract_path()
    if not path.exists():
        raise FileNotFoundError(f"The contract is not at {path}; set QUIRE_CONTRACT_PATH")
    return Contract(json.loads(path.read_text()))
