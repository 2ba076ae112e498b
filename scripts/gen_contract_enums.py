"""Regenerate src/quire/core/contract_enums.py from Sequence's contract (run by hand when it changes).

The server does not read ../shared at run time (a pip-installed Quire has no such folder), so the
enumerations it validates against are copied here as data, with the contract as the only source.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT.parent / "shared" / "sequence-api" / "2024-01-01.json"
NAMES = [
    "CountryCode", "State", "Currency", "TaxStatus", "IntegrationService", "PaymentProvider",
    "InvoiceStatus", "InvoicePaymentStatus", "InvoicePaymentOption", "RateDisplay", "RevenueClassification",
    "PaymentLinkDisplayOption", "InvoiceDunningStatus", "CreditNoteStatus", "NotificationType", "NotificationChannel",
]


def main() -> None:
    schemas = json.loads(CONTRACT.read_text())["components"]["schemas"]
    lines = ['"""Enumerations copied from Sequence\'s 2024-01-01 contract by scripts/gen_contract_enums.py. Do not edit."""', ""]
    for name in NAMES:
        if name not in schemas:
            print(f"missing {name}", file=sys.stderr)
            continue
        values = schemas[name]["enum"]
        const = "".join("_" + c if c.isupper() and i else c for i, c in enumerate(name)).upper()
        lines.append(f"{const}: tuple[str, ...] = (")
        for value in values:
            lines.append(f"    {value!r},")
        lines.append(")")
        lines.append("")
    (ROOT / "src/quire/core/contract_enums.py").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
