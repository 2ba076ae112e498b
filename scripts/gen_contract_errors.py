"""Regenerate src/quire/core/contract_errors.py from Sequence's contract (run by hand when it changes).

Most operations of the 2024-01-01 contract declare their error responses with no body; a few declare
their own error body schema (``POST /plans``: ``DatabaseErrors1``, ``{"errors": [{"key", "error"}]}``).
This copies, for every operation, the statuses that declare one and the schema's name, so the server can
answer in that shape (``core/declared_errors.py``) without reading the contract at run time.
tests/unit/test_declared_errors.py holds the generated file equal to what this script writes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "contract" / "sequence-2024-01-01.json"
TARGET = ROOT / "src/quire/core/contract_errors.py"
METHODS = ("get", "put", "post", "delete", "patch")


def path_key(path: str) -> str:
    """``/plans/{planId}`` → ``/plans/{}``: parameter names differ between the contract and the routes."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def declared(contract: dict[str, Any]) -> dict[tuple[str, str], dict[int, str]]:
    out: dict[tuple[str, str], dict[int, str]] = {}
    for path, item in contract["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            for status, response in operation.get("responses", {}).items():
                if not status.isdigit() or int(status) < 400:
                    continue
                ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
                if ref:
                    out.setdefault((method.upper(), path_key(path)), {})[int(status)] = ref.rsplit("/", 1)[1]
    return dict(sorted(out.items()))


def render(table: dict[tuple[str, str], dict[int, str]]) -> str:
    lines = [
        '"""Error bodies declared by Sequence\'s 2024-01-01 contract, per operation and status.',
        "",
        "Written by scripts/gen_contract_errors.py. Do not edit. (method, path with ``{}`` for each parameter)",
        '-> {status: schema name}; operations not listed declare no error body of their own."""',
        "",
        "DECLARED_ERROR_BODIES: dict[tuple[str, str], dict[int, str]] = {",
    ]
    for (method, path), statuses in table.items():
        lines.append(f"    ({method!r}, {path!r}): {statuses!r},")
    lines += ["}", ""]
    return "\n".join(lines)


def main() -> None:
    TARGET.write_text(render(declared(json.loads(CONTRACT.read_text()))))


if __name__ == "__main__":
    main()
