"""Imports every table so Alembic and tests see the whole schema."""

from quire.accounts.models import Account, ApiCredential
from quire.core.db import Base
from quire.core.idempotency import IdempotencyRecord
from quire.core.numbering import DocumentCounter
from quire.customers.models import Customer, CustomerAlias, CustomerSettings
from quire.invoices.models import Invoice, InvoiceLineItem, InvoiceLineItemGroup, InvoiceSettings

__all__ = [
    "Account", "ApiCredential", "Base", "Customer", "CustomerAlias", "CustomerSettings", "DocumentCounter",
    "IdempotencyRecord", "Invoice", "InvoiceLineItem", "InvoiceLineItemGroup", "InvoiceSettings",
]
