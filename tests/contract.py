"""The contract as a test oracle: Sequence's published OpenAPI document for 2024-01-01.

Every response a test client receives goes through :meth:`Contract.validate_response`:

* no 5xx is ever acceptable, whatever its body (the contract declares 500s; Quire must never send one);
* a path and method the contract knows must answer with a status the contract declares for it
  (any 2xx it does not declare is a violation), and a JSON body that validates against the declared
  schema (OpenAPI 3.0 semantics: ``nullable``, ``readOnly``..., and formats: ``date``, ``date-time``,
  ``uuid``, ``email``, ``int32``...);
* an error (status >= 400) whose operation declares a JSON body schema for that status (``POST /plans``
  400 declares ``DatabaseErrors1``, ``{"errors": [{"key", "error"}]}``) must match that schema; every
  other error, on any path, must have Sequence's error shape ``{"error": {"type": "CamelCase",
  "message": "..."}}`` (the contract declares most error statuses without a body schema, and declares
  no 404 at all; Quire's 404/405/409/413 carry the same documented shape, docs/errors.md);
* paths and methods the contract does not know (Quire's extensions: emails, hosted links, CSV uploads,
  merchant settings...) are checked the same way against the schemas Quire itself serves for them in
  its ``/openapi.json`` (``quire.app.create_app().openapi()``); routes absent from that document too
  (``/openapi.json``, ``/docs``, ``/health``) are not checked.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema.protocols import Validator
from openapi_schema_validator import OAS30Validator, OAS31Validator, oas30_format_checker, oas31_format_checker

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
    """An OpenAPI document as an oracle. ``extensions`` answers for the paths and methods this document
    does not know (Quire's own document, for the extension paths); without it they are not checked."""

    def __init__(self, document: dict[str, Any], extensions: Contract | None = None) -> None:
        self.document = document
        self.extensions = extensions
        self._oas31 = str(document.get("openapi", "3.0")).startswith("3.1")
        self._templates: list[tuple[re.Pattern[str], int, str]] = []
        for template in document["paths"]:
            literal_segments = sum(1 for seg in template.split("/") if seg and not seg.startswith("{"))
            pattern = re.compile("^" + re.sub(r"\{[^/}]+\}", "[^/]+", template) + "$")
            self._templates.append((pattern, literal_segments, template))
        # Prefer the template with the most literal segments: /customers/by-alias wins over /customers/{id}.
        self._templates.sort(key=lambda item: -item[1])
        self._validators: dict[tuple[str, str, str], Validator | None] = {}
        self._components = relax_free_form_maps(document.get("components", {}))

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
    def schema_validator(self, schema: dict[str, Any]) -> Validator:
        """A validator of ``schema`` (which may use this document's ``#/components``), formats checked."""
        root = {**schema, "components": self._components}
        if self._oas31:
            return OAS31Validator(root, format_checker=oas31_format_checker)
        return OAS30Validator(root, format_checker=oas30_format_checker)

    def _validator(self, template: str, method: str, status: str) -> Validator | None:
        key = (template, method, status)
        if key not in self._validators:
            response = self.document["paths"][template][method]["responses"][status]
            schema = ((response.get("content") or {}).get("application/json") or {}).get("schema")
            self._validators[key] = None if schema is None else self.schema_validator(schema)
        return self._validators[key]

    def _declared_media_types(self, template: str, method: str, status: str) -> set[str]:
        response = self.document["paths"][template][method]["responses"][status]
        return set(response.get("content") or {})

    def validate_response(
        self, method: str, path: str, status: int, body: bytes, content_type: str | None
    ) -> None:
        where = f"{method} {path} -> {status}"
        if status >= 500:
            raise ContractViolation(f"{where}: a server error is never an acceptable answer: {body[:300]!r}")
        is_json = bool(content_type and "json" in content_type)
        template = self.template_for(method, path)
        if template is None:
            if self.extensions is not None:
                self.extensions.validate_response(method, path, status, body, content_type)
            elif status >= 400:
                check_error_body(where, body, is_json)
            return
        responses = self.document["paths"][template][method.lower()]["responses"]
        if status >= 400:
            validator = self._validator(template, method.lower(), str(status)) if str(status) in responses else None
            if validator is None:
                check_error_body(where, body, is_json)
            else:
                _validate(where, validator, body, is_json, content_type, "the error body the operation declares")
            return
        declared = str(status) if str(status) in responses else ("default" if "default" in responses else None)
        if declared is None:
            raise ContractViolation(f"{where}: status not declared by the contract (declares {sorted(responses)})")
        validator = self._validator(template, method.lower(), declared)
        if validator is None:
            return
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if not is_json and media in self._declared_media_types(template, method.lower(), declared):
            return  # a declared non-JSON representation (a PDF, a page)
        _validate(where, validator, body, is_json, content_type, "the contract schema")


def _validate(where: str, validator: Validator, body: bytes, is_json: bool, content_type: str | None, what: str) -> None:
    if not is_json:
        raise ContractViolation(f"{where}: contract declares a JSON body, got content-type {content_type!r}")
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise ContractViolation(f"{where}: body is not JSON: {exc}") from exc
    errors = sorted(validator.iter_errors(payload), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:10]]
        raise ContractViolation(f"{where}: response does not match {what}\n" + "\n".join(lines))


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
def served_contract() -> Contract:
    """Quire's own ``/openapi.json`` as an oracle, for the paths Sequence's document does not have."""
    from quire.app import create_app

    return Contract(create_app().openapi())


@cache
def get_contract() -> Contract:
    path = contract_path()
    if not path.exists():
        raise FileNotFoundError(f"The contract is not at {path}; set QUIRE_CONTRACT_PATH")
    return Contract(json.loads(path.read_text()), extensions=served_contract())
