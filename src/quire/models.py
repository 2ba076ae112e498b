"""Imports every table so Alembic and tests see the whole schema."""

from quire.accounts.models import Account, ApiCredential
from quire.billing.models import BillingRun, ScheduleInvoice  # noqa: F401
from quire.catalogue.models import ListPrice, Plan, PlanVersion, PlanVersionPrice, Price, Product
from quire.console.models import ConsoleSession, ConsoleSignInFailure
from quire.core.db import Base
from quire.core.idempotency import IdempotencyRecord
from quire.core.numbering import DocumentCounter
from quire.credits.models import CreditGrant, CreditTransaction  # noqa: F401
from quire.creditnotes.models import CreditNote, CreditNoteDocument, CreditNoteLineItem, CreditNoteLineItemGroup
from quire.customers.models import Customer, CustomerAlias, CustomerSettings
from quire.invoices.delivery.models import InvoiceDocument, InvoiceHostedLink
from quire.invoices.models import Invoice, InvoiceLineItem, InvoiceLineItemGroup, InvoiceSettings
from quire.notifications.models import Event, NotificationPolicy, WebhookDelivery
from quire.outbox.models import OutboxEmail
from quire.portal.models import CustomerPortalLink
from quire.reminders.models import InvoiceReminder
from quire.tax.models import TaxRate, TaxRateUse, TaxRegistration
from quire.seats.models import SeatChange, SeatSnapshot, SeatType
from quire.schedules.models import BillingSchedule, BillingScheduleDiscount, BillingScheduleMinimum, BillingSchedulePhase, BillingScheduleSettings  # noqa: F401
from quire.usage.models import UsageEvent, UsageEventUpload, UsageMetric
from quire.users.models import User, UserAccount

__all__ = [
    "Account", "ApiCredential", "Base", "Customer", "CustomerAlias", "CustomerSettings", "DocumentCounter",
    "IdempotencyRecord", "Invoice", "InvoiceLineItem", "InvoiceLineItemGroup", "InvoiceSettings",
    "InvoiceDocument", "InvoiceHostedLink", "OutboxEmail", "Event", "NotificationPolicy", "WebhookDelivery",
    "TaxRate", "TaxRateUse", "TaxRegistration",
    "CreditNote", "CreditNoteDocument", "CreditNoteLineItem", "CreditNoteLineItemGroup",
    "ListPrice", "Plan", "PlanVersion", "PlanVersionPrice", "Price", "Product",
    "SeatChange", "SeatSnapshot", "SeatType", "UsageEvent", "UsageEventUpload", "UsageMetric",
    "InvoiceReminder", "User", "UserAccount",
    "CustomerPortalLink", "ConsoleSession", "ConsoleSignInFailure",
]
