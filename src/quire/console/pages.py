"""The console's pages (docs/console.md). Each calls the service its API route calls; none has a rule of
its own beyond what to show."""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.background import BackgroundTask

from quire.billing import jobs as billing_jobs
from quire.billing.models import BillingRun, ScheduleInvoice
from quire.billing_documents.formatting import (
    address_lines,
    format_date,
    format_money,
    format_number,
    format_percent,
)
from quire.billing_documents.routes import listed
from quire.catalogue import plans, pricing
from quire.catalogue import service as catalogue
from quire.catalogue.schemas import PlanSortBy
from quire.catalogue.structures import (
    FIXED_FEE_TYPES,
    Flavour,
    SeatBased,
    parse_structure,
    to_wire,
)
from quire.console import auth
from quire.console import overview as figures
from quire.console.forms import FormErrors, from_error, many, text, validate
from quire.console.web import (
    HEADERS,
    PREFIX,
    ConsoleRoutes,
    Ctx,
    client_ip,
    read_form,
    render,
    same_origin,
    size_text,
    transaction,
)
from quire.core import clock, money
from quire.core.contract_enums import (
    CREDIT_NOTE_STATUS,
    CURRENCY,
    INVOICE_PAYMENT_STATUS,
    INVOICE_STATUS,
)
from quire.core.errors import NotFound, QuireError, ValidationFailed
from quire.core.pagination import PageParams, SortOrder
from quire.core.repository import list_page
from quire.core.runtime import settings_of
from quire.core.templates import render as render_shared
from quire.creditnotes import actions as note_actions
from quire.creditnotes import lines as note_lines
from quire.creditnotes import present as note_present
from quire.creditnotes import repository as note_repo
from quire.creditnotes import service as notes
from quire.creditnotes.document import credit_note_download
from quire.creditnotes.lifecycle import Action as NoteAction
from quire.creditnotes.lifecycle import allowed_actions as note_allowed
from quire.creditnotes.repository import CreditNoteFilters
from quire.creditnotes.schemas import (
    CreditLineCreate,
    CreditNoteCreate,
    CreditNoteSortBy,
)
from quire.credits.service import grant_states
from quire.customers import service as customers
from quire.customers.schemas import CustomerCreate, CustomerSortBy, CustomerUpdate
from quire.invoices import actions as invoice_actions
from quire.invoices import lines as invoice_lines
from quire.invoices import repository as invoice_repo
from quire.invoices import service as invoices
from quire.invoices.delivery import hosted
from quire.invoices.delivery import repository as hosted_repo
from quire.invoices.document import invoice_download
from quire.invoices.lifecycle import Action as InvoiceAction
from quire.invoices.lifecycle import allowed_actions as invoice_allowed
from quire.invoices.models import Invoice
from quire.invoices.repository import InvoiceFilters
from quire.invoices.schemas import InvoiceCreate, InvoiceSortBy, LineItemWrite
from quire.schedules import service as schedules
from quire.schedules.service import list_schedules
from quire.usage import service as usage
from quire.usage import uploads
from quire.usage.calculation import MetricSpec, calculate_periods
from quire.usage.values import period_bounds

routes = ConsoleRoutes()
PAGE_SIZE = 25
FORMATS = ("pdf", "ubl", "facturx")


def money_of(minor: int, currency: str) -> str:
    return format_money(money.from_minor(minor, currency), currency)


def _params(ctx: Ctx, limit: int = PAGE_SIZE) -> PageParams:
    after, before = text(ctx.query, "after"), text(ctx.query, "before")
    if after and before:
        raise ValidationFailed("Pass either 'after' or 'before', not both", field="after")
    return PageParams(limit=limit, after=after, before=before, sort_order=SortOrder.DESC,
                      issuer=f"GET {ctx.request.url.path}")


def _day(query: dict[str, str], name: str) -> date | None:
    value = text(query, name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{name}: {value!r} is not a date (YYYY-MM-DD)", field=name) from None


# --- sign-in, sign-out, the account switch -------------------------------------------------------------


def _next(value: str | None) -> str:
    """Where to go after signing in: a console path only (never another site)."""
    if value and value.startswith(PREFIX + "/") and not value.startswith("//") and "\\" not in value:
        return value
    return PREFIX + "/"


def _cookie(response: Response, name: str, value: str, max_age: int | None, path: str = PREFIX) -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, secure=True, httponly=True, samesite="lax")


def _sign_in_page(request: Request, *, status: int = 200, error: str = "", email: str = "") -> Response:
    token = auth.new_token()
    response = render("sign_in.html", status, title="Sign in", error=error, email=email, csrf=token,
                      next=_next(request.query_params.get("next")), signed=None)
    _cookie(response, auth.SIGN_IN_COOKIE, token, 3600, path=PREFIX + "/sign-in")
    return response


async def sign_in_form(request: Request) -> Response:
    return _sign_in_page(request)


async def sign_in(request: Request) -> Response:
    form = await read_form(request)
    if not same_origin(request) or not auth.same_token(form.get("csrf"), request.cookies.get(auth.SIGN_IN_COOKIE)):
        return _sign_in_page(request, status=403, error="The sign-in form expired; please try again.")
    email, password = form.get("email", ""), form.get("password", "")
    async with transaction(request, write=True) as session:
        try:
            token, _ = await auth.sign_in(session, email, password, client_ip(request))
        except auth.SignInRefused as refused:
            await session.commit()  # the failure counts towards the limit
            return _sign_in_page(request, status=refused.status, error=refused.message, email=email)
        await session.commit()
    response = RedirectResponse(_next(form.get("next")), status_code=303, headers=HEADERS)
    _cookie(response, auth.COOKIE, token, int(auth.ABSOLUTE.total_seconds()))
    response.delete_cookie(auth.SIGN_IN_COOKIE, path=PREFIX + "/sign-in")
    return response


@routes.post("/sign-out")
async def sign_out(ctx: Ctx) -> Response:
    await auth.sign_out(ctx.session, ctx.signed.session.id)
    response = RedirectResponse(PREFIX + "/sign-in", status_code=303, headers=HEADERS)
    response.delete_cookie(auth.COOKIE, path=PREFIX, secure=True, httponly=True, samesite="lax")
    return response


@routes.get("/")
async def home(ctx: Ctx) -> Response:
    if not ctx.account_id:
        return render("error.html", 200, title="No account", signed=ctx.signed,
                      message="Your user belongs to no account any more. Ask an account to add you.")
    return ctx.redirect("/")


@routes.get("/switch")
async def switch(ctx: Ctx) -> Response:
    wanted = ctx.query.get("account", "")
    if not ctx.signed.member_of(wanted):
        raise NotFound("No such account", resource="Account")
    ctx.account_id = wanted
    return ctx.redirect("/")


# --- overview -------------------------------------------------------------------------------------------


@routes.get("/a/{account}/")
async def overview_page(ctx: Ctx) -> Response:
    data = await figures.overview(ctx.session, ctx.account_id)
    charts = [(s, figures.chart(s)) for s in data.series]
    # Each amount is printed twice (a bar's tooltip, the table): Babel formats it once.
    return ctx.page("overview.html", "Overview", data=data, charts=charts, money=functools.cache(money_of),
                    fmt_money=format_money)


# --- invoices -------------------------------------------------------------------------------------------

INVOICE_FILTERS = ("invoiceStatus", "invoicePaymentStatus", "customerId", "dueAfter", "dueBefore", "invoiceAfter",
                   "invoiceBefore", "invoiceCurrency", "sortBy")


@routes.get("/a/{account}/invoices")
async def invoice_list(ctx: Ctx) -> Response:
    q = ctx.query
    kept = {k: q.get(k, "") for k in INVOICE_FILTERS}
    error, page = "", None
    try:
        filters = InvoiceFilters(
            statuses=listed(q.get("invoiceStatus"), INVOICE_STATUS, "invoiceStatus"),
            payment_statuses=listed(q.get("invoicePaymentStatus"), INVOICE_PAYMENT_STATUS, "invoicePaymentStatus"),
            customer_id=text(q, "customerId"), billing_schedule_id=None,
            due_before=_day(q, "dueBefore"), due_after=_day(q, "dueAfter"), sent_before=None, sent_after=None,
            invoice_before=_day(q, "invoiceBefore"), invoice_after=_day(q, "invoiceAfter"),
            currencies=listed(q.get("invoiceCurrency"), CURRENCY, "invoiceCurrency"), exclude_zero_quantity=False)
        sort = InvoiceSortBy(q.get("sortBy") or InvoiceSortBy.CREATED_AT.value)
        page = await invoices.list_invoices(ctx.session, ctx.account_id, params=_params(ctx), sort_by=sort,
                                            filters=filters)
    except ValueError:
        error = "sortBy: not one of " + ", ".join(s.value for s in InvoiceSortBy)
    except QuireError as exc:
        error = exc.message
    return ctx.page("invoices.html", "Invoices", page=page, error=error, kept=kept, money=money_of,
                    statuses=INVOICE_STATUS, payment_statuses=INVOICE_PAYMENT_STATUS,
                    sorts=[s.value for s in InvoiceSortBy], status=400 if error else 200)


@routes.get("/a/{account}/invoices/new")
async def invoice_new(ctx: Ctx) -> Response:
    return ctx.page("invoice_new.html", "New invoice", form=ctx.query, errors=FormErrors("", {}),
                    currencies=CURRENCY)


@routes.post("/a/{account}/invoices")
async def invoice_create(ctx: Ctx) -> Response:
    form = ctx.form
    try:
        data = validate(InvoiceCreate, {"customerId": text(form, "customerId"), "currency": text(form, "currency"),
                                        **({"memo": form["memo"]} if text(form, "memo") else {})})
        invoice = await invoices.create_invoice(ctx.session, ctx.account_id, data)
    except FormErrors as errors:
        return ctx.page("invoice_new.html", "New invoice", 400, form=form, errors=errors, currencies=CURRENCY)
    except QuireError as exc:
        return ctx.page("invoice_new.html", "New invoice", 400, form=form, errors=from_error(exc), currencies=CURRENCY)
    return ctx.redirect(f"/invoices/{invoice.id}")


async def _invoice_page(ctx: Ctx, invoice_id: str, *, status: int = 200, errors: FormErrors | None = None,
                        form: dict[str, str] | None = None) -> Response:
    invoice = await invoices.get_invoice(ctx.session, ctx.account_id, invoice_id)
    items = await invoice_repo.lines_of(ctx.session, invoice.id)
    link = await hosted_repo.link_of(ctx.session, invoice.id)
    allowed = invoice_allowed(invoice.status, invoice.payment_status)
    actions = [a for a in ("finalize", "send", "void") if a in allowed]
    if InvoiceAction.SET_PAYMENT_STATUS.value in allowed and invoice.payment_status != "PAID":
        actions.append("mark-paid")
    if invoice.status in ("FINAL", "SENT"):
        actions.append("credit")
    notes_of = [await notes.get_credit_note(ctx.session, ctx.account_id, i) for i in invoice.credit_note_ids]
    return ctx.page("invoice.html", f"Invoice {invoice.invoice_number or '(draft)'}", status, invoice=invoice,
                    items=items, actions=actions, notes=notes_of, money=money_of, fmt_number=format_number,
                    fmt_percent=format_percent, fmt_date=format_date, formats=FORMATS,
                    hosted_url=hosted.url_of(settings_of(ctx.session), link.token) if link else "",
                    editable="EDIT" in allowed or invoice.status in ("DRAFT", "IN_PROGRESS"),
                    errors=errors or FormErrors("", {}), form=form or {})


@routes.get("/a/{account}/invoices/{id}")
async def invoice_detail(ctx: Ctx) -> Response:
    return await _invoice_page(ctx, ctx.params["id"])


@routes.get("/a/{account}/invoices/{id}/preview")
async def invoice_preview(ctx: Ctx) -> Response:
    """The invoice as its hosted page renders it (the same template and context), framed by the detail."""
    invoice = await invoices.get_invoice(ctx.session, ctx.account_id, ctx.params["id"])
    context = await hosted.page(ctx.session, invoice, "")
    context["pdf_url"] = ctx.url(f"/invoices/{invoice.id}/download/pdf")
    return Response(render_shared("hosted_invoice.html.j2", **context), media_type="text/html",
                    headers={**HEADERS, "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                             "img-src https: data:; frame-ancestors 'self'"})


@routes.post("/a/{account}/invoices/{id}/lines")
async def invoice_add_line(ctx: Ctx) -> Response:
    form, invoice_id = ctx.form, ctx.params["id"]
    body = {"title": text(form, "title"), "quantity": text(form, "quantity"), "rate": text(form, "rate"),
            "taxRate": text(form, "taxRate"), "externalIds": []}
    if text(form, "description"):
        body["description"] = form["description"]
    try:
        await invoice_lines.add_line(ctx.session, ctx.account_id, invoice_id, validate(LineItemWrite, body))
    except FormErrors as errors:
        return await _invoice_page(ctx, invoice_id, status=400, errors=errors, form=form)
    except NotFound:
        raise
    except QuireError as exc:
        return await _invoice_page(ctx, invoice_id, status=400, errors=from_error(exc), form=form)
    return ctx.redirect(f"/invoices/{invoice_id}")


INVOICE_ACTIONS = {
    "finalize": ("Finalize", "The invoice gets its number and issue date and can no longer be edited."),
    "send": ("Send", "The invoice is emailed to the customer's billing addresses."),
    "void": ("Void", "The invoice is cancelled for good; its number stays used."),
    "mark-paid": ("Mark as paid", "The invoice's payment status becomes PAID."),
    "credit": ("Credit", "A draft credit note for the whole invoice is created, one line per invoice line; "
                         "review it, then finalize it."),
}


def _known(action: str, table: dict[str, tuple[str, str]]) -> str:
    if action not in table:
        raise NotFound("No such action", resource="Action")
    return action


def _confirm(ctx: Ctx, table: dict[str, tuple[str, str]], path: str, what: str) -> Response:
    """The page that asks before an action is posted: what it does, the button, and the way back."""
    action = _known(ctx.params["action"], table)
    label, explanation = table[action]
    return ctx.page("confirm.html", f"{label} {what}?", label=label, explanation=explanation, what=what,
                    action_url=ctx.url(f"{path}/{action}"), back=ctx.url(path), danger=action in ("void", "archive"))


async def _act(ctx: Ctx, table: dict[str, tuple[str, str]], path: str,
               run: Callable[[str, str], Awaitable[Response | None]], page: Callable[..., Awaitable[Response]]) -> Response:
    """Post ``action`` (a key of ``table``) on the document ``{id}``; a refusal (the state machine's own
    message) shows the document again with it."""
    action, ident = _known(ctx.params["action"], table), ctx.params["id"]
    try:
        answer = await run(action, ident)
    except NotFound:
        raise
    except QuireError as exc:
        await ctx.session.rollback()
        return await page(ctx, ident, status=400, errors=from_error(exc))
    return answer or ctx.redirect(f"{path}/{ident}")


@routes.get("/a/{account}/invoices/{id}/confirm/{action}")
async def invoice_confirm(ctx: Ctx) -> Response:
    invoice = await invoices.get_invoice(ctx.session, ctx.account_id, ctx.params["id"])
    return _confirm(ctx, INVOICE_ACTIONS, f"/invoices/{invoice.id}",
                    f"invoice {invoice.invoice_number or '(draft)'} to {invoice.customer_legal_company_name}")


@routes.post("/a/{account}/invoices/{id}/{action}")
async def invoice_act(ctx: Ctx) -> Response:
    async def run(action: str, invoice_id: str) -> Response | None:
        if action == "mark-paid":
            await invoice_actions.set_payment_status(ctx.session, ctx.account_id, invoice_id, "PAID")
        elif action == "credit":
            return ctx.redirect(f"/credit-notes/{(await _credit_whole(ctx, invoice_id)).id}")
        else:
            await invoice_actions.transition(ctx.session, ctx.account_id, invoice_id, InvoiceAction(action))
        return None

    return await _act(ctx, INVOICE_ACTIONS, "/invoices", run, _invoice_page)


async def _credit_whole(ctx: Ctx, invoice_id: str) -> Any:
    invoice = await invoices.get_invoice(ctx.session, ctx.account_id, invoice_id)
    note = await notes.create_credit_note(ctx.session, ctx.account_id, CreditNoteCreate.model_validate(
        {"invoiceId": invoice.id, "customerId": invoice.customer_id, "currency": invoice.currency}))
    for item in await invoice_repo.lines_of(ctx.session, invoice.id):
        body = {"creditNoteId": note.id, "title": item.title, "quantity": money.decimal_str(item.quantity),
                "rate": money.decimal_str(item.rate), "taxRate": money.decimal_str(item.tax_rate),
                "lineItemId": item.id, "externalIds": [], "rateDisplay": item.rate_display}
        if item.description:
            body["description"] = item.description
        await note_lines.add_line(ctx.session, ctx.account_id, note.id, CreditLineCreate.model_validate(body))
    return note


@routes.get("/a/{account}/invoices/{id}/download/{format}")
async def invoice_file(ctx: Ctx) -> Response:
    return await _download(ctx, invoice_download)


async def _download(ctx: Ctx, download: Any) -> Response:
    fmt = ctx.params["format"]
    if fmt not in FORMATS:
        raise NotFound("No such format", resource="Format")
    try:
        filename, media_type, content = await download(ctx.session, ctx.account_id, ctx.params["id"], fmt)
    except NotFound:
        raise
    except QuireError as exc:
        return render("error.html", 400, title="Cannot download", signed=ctx.signed, message=exc.message)
    disposition = "inline" if ctx.query.get("inline") and fmt == "pdf" else "attachment"
    quoted = urllib.parse.quote(filename)
    return Response(content, media_type=media_type, headers={
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"{disposition}; filename=\"{filename}\"; filename*=UTF-8''{quoted}"})


# --- credit notes ---------------------------------------------------------------------------------------


@routes.get("/a/{account}/credit-notes")
async def credit_note_list(ctx: Ctx) -> Response:
    q = ctx.query
    kept = {k: q.get(k, "") for k in ("creditNoteStatus", "customerId")}
    error, page = "", None
    try:
        filters = CreditNoteFilters(statuses=listed(q.get("creditNoteStatus"), CREDIT_NOTE_STATUS, "creditNoteStatus"),
                                    customer_id=text(q, "customerId"), sent_before=None, sent_after=None)
        page = await notes.list_credit_notes(ctx.session, ctx.account_id, params=_params(ctx),
                                             sort_by=CreditNoteSortBy.CREATED_AT, filters=filters)
    except QuireError as exc:
        error = exc.message
    return ctx.page("credit_notes.html", "Credit notes", 400 if error else 200, page=page, error=error, kept=kept,
                    money=money_of, statuses=CREDIT_NOTE_STATUS)


async def _credit_note_page(ctx: Ctx, note_id: str, *, status: int = 200, errors: FormErrors | None = None) -> Response:
    note = await notes.get_credit_note(ctx.session, ctx.account_id, note_id)
    items = [note_present.line(i, note.currency) for i in await note_repo.lines_of(ctx.session, note.id)]
    allowed = note_allowed(note.status)
    return ctx.page("credit_note.html", f"Credit note {note.credit_note_number or '(draft)'}", status, note=note,
                    items=items, actions=[a for a in ("finalize", "send", "void") if a in allowed], money=money_of,
                    fmt_number=format_number, fmt_percent=format_percent, fmt_date=format_date,
                    fmt_money=format_money, formats=FORMATS, errors=errors or FormErrors("", {}),
                    address=address_lines(note.customer_billing_address))


@routes.get("/a/{account}/credit-notes/{id}")
async def credit_note_detail(ctx: Ctx) -> Response:
    return await _credit_note_page(ctx, ctx.params["id"])


NOTE_ACTIONS = {
    "finalize": ("Finalize", "The credit note gets its number and can no longer be edited."),
    "send": ("Send", "The credit note is emailed to the customer."),
    "void": ("Void", "The credit note is cancelled for good; its amounts stop counting against the invoice."),
}


@routes.post("/a/{account}/credit-notes/{id}/{action}")
async def credit_note_act(ctx: Ctx) -> Response:
    async def run(action: str, note_id: str) -> None:
        await note_actions.transition(ctx.session, ctx.account_id, note_id, NoteAction(action))

    return await _act(ctx, NOTE_ACTIONS, "/credit-notes", run, _credit_note_page)


@routes.get("/a/{account}/credit-notes/{id}/confirm/{action}")
async def credit_note_confirm(ctx: Ctx) -> Response:
    note = await notes.get_credit_note(ctx.session, ctx.account_id, ctx.params["id"])
    what = f"credit note {note.credit_note_number or '(draft)'} to {note.customer_legal_company_name}"
    return _confirm(ctx, NOTE_ACTIONS, f"/credit-notes/{note.id}", what)


@routes.get("/a/{account}/credit-notes/{id}/download/{format}")
async def credit_note_file(ctx: Ctx) -> Response:
    return await _download(ctx, credit_note_download)


# --- customers ------------------------------------------------------------------------------------------


@routes.get("/a/{account}/customers")
async def customer_list(ctx: Ctx) -> Response:
    q = ctx.query
    error, page = "", None
    try:
        page = await customers.list_customers(
            ctx.session, ctx.account_id, params=_params(ctx), sort_by=CustomerSortBy.CREATED_AT,
            legal_name=text(q, "q"), email=text(q, "email"), alias=None,
            include_archived=bool(q.get("includeArchived")))
    except QuireError as exc:
        error = exc.message
    partial = ctx.request.headers.get("hx-request") == "true"
    return ctx.page("customers_rows.html" if partial else "customers.html", "Customers", 400 if error else 200,
                    page=page, error=error, kept={k: q.get(k, "") for k in ("q", "email", "includeArchived")})


CUSTOMER_FIELDS = ("legalName", "contactName", "email", "billingEmails", "telephone", "url", "label", "taxStatus",
                   "line1", "line2", "town", "state", "postcode", "country")


def _customer_body(form: dict[str, str]) -> dict[str, Any]:
    address = {k: text(form, k) for k in ("line1", "line2", "town", "state", "postcode", "country")}
    body: dict[str, Any] = {"legalName": text(form, "legalName") or "", "email": text(form, "email") or "",
                            "billingEmails": many(form, "billingEmails"), "taxStatus": form.get("taxStatus") or "TAXED",
                            "address": {k: v for k, v in address.items() if v is not None}}
    for name in ("contactName", "telephone", "url", "label"):
        if text(form, name) is not None:
            body[name] = text(form, name)
    return body


def _customer_form_values(customer: Any) -> dict[str, str]:
    address = customer.address or {}
    return {"legalName": customer.legal_name, "contactName": customer.contact_name or "", "email": customer.email,
            "billingEmails": "\n".join(customer.billing_emails), "telephone": customer.telephone or "",
            "url": customer.url or "", "label": customer.label or "", "taxStatus": customer.tax_status,
            **{k: str(address.get(k, "") or "") for k in ("line1", "line2", "town", "state", "postcode", "country")}}


@routes.get("/a/{account}/customers/new")
async def customer_new(ctx: Ctx) -> Response:
    return ctx.page("customer_form.html", "New customer", form={"taxStatus": "TAXED"}, errors=FormErrors("", {}),
                    action=ctx.url("/customers"), customer=None)


@routes.post("/a/{account}/customers")
async def customer_create(ctx: Ctx) -> Response:
    try:
        customer = await customers.create_customer(ctx.session, ctx.account_id,
                                                   validate(CustomerCreate, _customer_body(ctx.form)))
    except (FormErrors, QuireError) as exc:
        errors = exc if isinstance(exc, FormErrors) else from_error(exc)
        return ctx.page("customer_form.html", "New customer", 400, form=ctx.form, errors=errors,
                        action=ctx.url("/customers"), customer=None)
    return ctx.redirect(f"/customers/{customer.id}")


@routes.get("/a/{account}/customers/{id}")
async def customer_detail(ctx: Ctx) -> Response:
    customer = await customers.get_customer(ctx.session, ctx.account_id, ctx.params["id"])
    params = PageParams(limit=10, after=None, before=None, sort_order=SortOrder.DESC, issuer="console")
    invoice_page = await invoices.list_invoices(
        ctx.session, ctx.account_id, params=params, sort_by=InvoiceSortBy.CREATED_AT,
        filters=InvoiceFilters(statuses=[], payment_statuses=[], customer_id=customer.id, billing_schedule_id=None,
                               due_before=None, due_after=None, sent_before=None, sent_after=None,
                               invoice_before=None, invoice_after=None, currencies=[], exclude_zero_quantity=False))
    note_page = await notes.list_credit_notes(
        ctx.session, ctx.account_id, params=params, sort_by=CreditNoteSortBy.CREATED_AT,
        filters=CreditNoteFilters(statuses=[], customer_id=customer.id, sent_before=None, sent_after=None))
    schedule_page = await list_schedules(ctx.session, ctx.account_id, params=params, label=None, plan_id=None,
                                         customer_id=customer.id, status=None, auto_send=None, include_archived=True)
    grants = await grant_states(ctx.session, ctx.account_id, customer.id)
    return ctx.page("customer.html", customer.legal_name, customer=customer, invoices=invoice_page,
                    notes=note_page, schedules=schedule_page, grants=grants, money=money_of,
                    fmt_number=format_number, address=address_lines(customer.address))


@routes.get("/a/{account}/customers/{id}/edit")
async def customer_edit(ctx: Ctx) -> Response:
    customer = await customers.get_customer(ctx.session, ctx.account_id, ctx.params["id"])
    return ctx.page("customer_form.html", f"Edit {customer.legal_name}", form=_customer_form_values(customer),
                    errors=FormErrors("", {}), action=ctx.url(f"/customers/{customer.id}"), customer=customer)


@routes.post("/a/{account}/customers/{id}")
async def customer_update(ctx: Ctx) -> Response:
    customer = await customers.get_customer(ctx.session, ctx.account_id, ctx.params["id"])
    try:
        await customers.update_customer(ctx.session, ctx.account_id, customer.id,
                                        validate(CustomerUpdate, _customer_body(ctx.form)))
    except NotFound:
        raise
    except (FormErrors, QuireError) as exc:
        errors = exc if isinstance(exc, FormErrors) else from_error(exc)
        return ctx.page("customer_form.html", f"Edit {customer.legal_name}", 400, form=ctx.form, errors=errors,
                        action=ctx.url(f"/customers/{customer.id}"), customer=customer)
    return ctx.redirect(f"/customers/{customer.id}")


# --- catalogue: prices and a live preview of what a quantity costs ----------------------------------------


@routes.get("/a/{account}/prices")
async def price_list(ctx: Ctx) -> Response:
    q = ctx.query
    kept = {k: q.get(k, "") for k in ("name", "currency")}
    error, page, products = "", None, {}
    try:
        page = await catalogue.list_prices(ctx.session, ctx.account_id, params=_params(ctx), currency=text(q, "currency"),
                                           name=text(q, "name"), billing_frequency=None, product_id=None)
        for product_id in {p.product_id for p in page.items}:
            products[product_id] = (await catalogue.get_product(ctx.session, ctx.account_id, product_id)).name
    except QuireError as exc:
        error = exc.message
    return ctx.page("prices.html", "Prices", 400 if error else 200, page=page, error=error, kept=kept,
                    products=products)


def _preview(price_row: Any, query: dict[str, str]) -> dict[str, Any]:
    """What ``quantity`` units (usage) or ``seats`` seats would cost for one full period: the pricing
    module's own lines (``quire.catalogue.pricing``), or why it cannot say."""
    structure = parse_structure(price_row.structure, Flavour.PRICE)
    quantity, seats = query.get("quantity", "1").strip() or "0", query.get("seats", "1").strip() or "0"
    try:
        usage = pricing.Usage(money.parse_decimal(quantity, field="quantity"))
        seat_count = int(seats) if seats.isdigit() else None
        if seat_count is None:
            raise ValidationFailed("seats: a whole number of seats", field="seats")
        priced = pricing.price(structure, currency=price_row.currency, usage=usage,
                               seats=pricing.Seats(opening=seat_count))
    except (QuireError, ValueError, ArithmeticError) as exc:  # InvalidDecimal and PricingError are ValueErrors
        return {"error": getattr(exc, "message", str(exc)), "quantity": quantity, "seats": seats}
    currency = price_row.currency
    return {"error": "", "quantity": quantity, "seats": seats, "total": format_money(priced.total, currency),
            "lines": [{"title": li.title, "quantity": format_number(li.quantity),
                       "rate": format_money(li.rate, currency, exact=True), "amount": format_money(li.amount, currency)}
                      for li in priced.lines]}


@routes.get("/a/{account}/prices/{id}")
async def price_detail(ctx: Ctx) -> Response:
    row = await catalogue.get_price(ctx.session, ctx.account_id, ctx.params["id"])
    product = await catalogue.get_product(ctx.session, ctx.account_id, row.product_id)
    structure = parse_structure(row.structure, Flavour.PRICE)
    preview = _preview(row, ctx.query)
    if ctx.request.headers.get("hx-request") == "true":
        return ctx.page("price_preview.html", row.name, preview=preview, price=row)
    return ctx.page("price.html", row.name, price=row, product=product, preview=preview,
                    structure=to_wire(structure, Flavour.PRICE), pricing_type=structure.pricing_type,
                    usage_based=structure.pricing_type not in FIXED_FEE_TYPES, seat_based=isinstance(structure, SeatBased))


# --- billing schedules ------------------------------------------------------------------------------------

SCHEDULE_STATUSES = ("DRAFT", "PENDING", "ACTIVE", "SUSPENDED", "CANCELLED", "COMPLETED")
SCHEDULE_ACTIONS = {
    "activate": ("Activate", "The schedule starts billing: ACTIVE from its start date (PENDING until then)."),
    "archive": ("Archive", "The schedule is cancelled for good and bills no more; its invoices still in progress "
                           "are removed, the issued ones stay."),
}


@routes.get("/a/{account}/billing-schedules")
async def schedule_list(ctx: Ctx) -> Response:
    q = ctx.query
    kept = {k: q.get(k, "") for k in ("status", "customerId", "includeArchived")}
    error, page, names = "", None, {}
    try:
        status = text(q, "status")
        if status is not None and status not in SCHEDULE_STATUSES:
            raise ValidationFailed("status: not one of " + ", ".join(SCHEDULE_STATUSES), field="status")
        page = await list_schedules(ctx.session, ctx.account_id, params=_params(ctx), label=None, plan_id=None,
                                    customer_id=text(q, "customerId"), status=status, auto_send=None,
                                    include_archived=bool(q.get("includeArchived")))
        for customer_id in {s.customer_id for s in page.items}:
            names[customer_id] = (await customers.get_customer(ctx.session, ctx.account_id, customer_id)).legal_name
    except QuireError as exc:
        error = exc.message
    return ctx.page("schedules.html", "Billing schedules", 400 if error else 200, page=page, error=error, kept=kept,
                    names=names, statuses=SCHEDULE_STATUSES)


async def _schedule_periods(ctx: Ctx, schedule_id: str) -> list[tuple[ScheduleInvoice, Invoice | None]]:
    """The schedule's billing periods, newest first, each with the invoice the engine made for it."""
    rows = await ctx.session.execute(
        select(ScheduleInvoice, Invoice).outerjoin(Invoice, Invoice.id == ScheduleInvoice.invoice_id)
        .where(ScheduleInvoice.account_id == ctx.account_id, ScheduleInvoice.billing_schedule_id == schedule_id)
        .order_by(ScheduleInvoice.period_start.desc(), ScheduleInvoice.invoice_date.desc()))
    return [(slot, invoice) for slot, invoice in rows]


@routes.get("/a/{account}/billing-schedules/{id}")
async def schedule_detail(ctx: Ctx, schedule_id: str | None = None, *, status: int = 200,
                          errors: FormErrors | None = None) -> Response:
    found = await schedules.read_schedule(ctx.session, ctx.account_id, schedule_id or ctx.params["id"])
    schedule = found.schedule
    customer = await customers.get_customer(ctx.session, ctx.account_id, schedule.customer_id)
    periods = await _schedule_periods(ctx, schedule.id)
    run_ids = sorted({slot.billing_run_id for slot, _ in periods if slot.billing_run_id})
    last_run = (await ctx.session.scalars(select(BillingRun).where(
        BillingRun.account_id == ctx.account_id, BillingRun.id.in_(run_ids))
        .order_by(BillingRun.started_at.desc(), BillingRun.id.desc()).limit(1))).first() if run_ids else None
    actions = [a for a, allowed in (("activate", schedule.status == "DRAFT"), ("archive", schedule.archived_at is None))
               if allowed]
    current = schedules.current_phase(found.phases).id if found.phases else None
    return ctx.page("schedule.html", f"Billing schedule {schedule.label or schedule.id[:8]}", status, found=found,
                    schedule=schedule, customer=customer, periods=periods, last_run=last_run, actions=actions,
                    current=current, money=money_of, errors=errors or FormErrors("", {}))


@routes.get("/a/{account}/billing-schedules/{id}/confirm/{action}")
async def schedule_confirm(ctx: Ctx) -> Response:
    schedule = await schedules.get_schedule(ctx.session, ctx.account_id, ctx.params["id"])
    return _confirm(ctx, SCHEDULE_ACTIONS, f"/billing-schedules/{schedule.id}", f"billing schedule {schedule.label or schedule.id}")


@routes.post("/a/{account}/billing-schedules/{id}/{action}")
async def schedule_act(ctx: Ctx) -> Response:
    async def run(action: str, schedule_id: str) -> None:
        act = schedules.activate_schedule if action == "activate" else schedules.archive_schedule
        await act(ctx.session, ctx.account_id, schedule_id)

    return await _act(ctx, SCHEDULE_ACTIONS, "/billing-schedules", run, schedule_detail)


# --- usage metrics: their usage per calendar month -----------------------------------------------------------


@routes.get("/a/{account}/usage-metrics")
async def metric_list(ctx: Ctx) -> Response:
    kept = {"includeDeleted": ctx.query.get("includeDeleted", "")}
    page = await usage.list_metrics(ctx.session, ctx.account_id, _params(ctx), include_deleted=bool(kept["includeDeleted"]))
    return ctx.page("metrics.html", "Usage metrics", page=page, kept=kept)


@routes.get("/a/{account}/usage-metrics/{id}")
async def metric_detail(ctx: Ctx) -> Response:
    """The metric's definition, and for the customers named (ids or aliases, as ``customerAliases`` of
    ``GET /usage-metrics/{id}/calculate``) its usage in each of the last twelve calendar months, computed by
    ``quire.usage.calculation`` in one query."""
    metric = await usage.get_metric(ctx.session, ctx.account_id, ctx.params["id"])
    named, error, months, chart, totals = ctx.query.get("customers", "").strip(), "", [], None, {}
    if named:
        try:
            customer_ids = await usage.customers_named(ctx.session, ctx.account_id, named)
            months = figures.month_starts(clock.today())
            bounds = [period_bounds(m, figures.month_end(m)) for m in months]
            results = await calculate_periods(ctx.session, ctx.account_id, MetricSpec.of(metric), customer_ids, bounds)
            totals = {m: r.total.value for m, r in zip(months, results)}
            chart = figures.bar_chart(months, {"usage": totals})
        except QuireError as exc:
            error = exc.message
    return ctx.page("metric.html", metric.name, 400 if error else 200, metric=metric, named=named, error=error,
                    months=months, totals=totals, chart=chart, fmt_number=format_number)


# --- billing runs: started here, handed to the job queue, their progress polled ----------------------------


def _runs_page(ctx: Ctx, page: Any, status: int = 200, *, error: str = "", as_of: str = "") -> Response:
    return ctx.page("runs.html", "Billing runs", status, page=page, error=error,
                    as_of=as_of or clock.today().isoformat(), kept={})


@routes.get("/a/{account}/billing-runs")
async def run_list(ctx: Ctx) -> Response:
    return _runs_page(ctx, await list_page(ctx.session, BillingRun, ctx.account_id, _params(ctx)))


@routes.post("/a/{account}/billing-runs")
async def run_start(ctx: Ctx) -> Response:
    """Hand a run of the account's schedules as of a date to the workers, as ``quire billing run --defer``
    does (``billing.jobs.defer_run``: one job per chunk of schedules), then show its progress."""
    as_of = ctx.form.get("asOf", "").strip()
    try:
        day = _day({"asOf": as_of}, "asOf") or clock.today()
    except QuireError as exc:
        error = exc.message
    else:
        batch_id, chunks = await billing_jobs.defer_run(ctx.session, day, ctx.account_id)
        if chunks:
            return ctx.redirect(f"/billing-runs/{batch_id}")
        error = "No billing schedule of this account is due to bill: nothing to run."
    page = await list_page(ctx.session, BillingRun, ctx.account_id, _params(ctx))
    return _runs_page(ctx, page, 400, error=error, as_of=as_of)


@routes.get("/a/{account}/billing-runs/{id}")
async def run_detail(ctx: Ctx) -> Response:
    """A run's progress; htmx asks for the fragment again every two seconds until it is finished."""
    progress = await billing_jobs.batch_progress(ctx.session, ctx.account_id, ctx.params["id"])
    if progress is None:
        raise NotFound("No such billing run", resource="BillingRun")
    partial = ctx.request.headers.get("hx-request") == "true"
    return ctx.page("run_progress.html" if partial else "run.html", "Billing run", progress=progress,
                    finished=progress.status in ("COMPLETED", "FAILED"))


# --- plans: their versions and prices ------------------------------------------------------------------------


@routes.get("/a/{account}/plans")
async def plan_list(ctx: Ctx) -> Response:
    kept = {"name": ctx.query.get("name", "")}
    page, views = await plans.list_plans(ctx.session, ctx.account_id, params=_params(ctx), sort_by=PlanSortBy.CREATED_AT,
                                         name=text(kept, "name"), plan_type=None, created_before=None,
                                         created_after=None)
    return ctx.page("plans.html", "Plans", page=page, views=views, kept=kept)


@routes.get("/a/{account}/plans/{id}")
async def plan_detail(ctx: Ctx) -> Response:
    """The latest version, or ``?version=n`` (as ``GET /plans/{planId}?version=n``), with its prices."""
    wanted = ctx.query.get("version", "")
    try:
        view = await plans.get_plan(ctx.session, ctx.account_id, ctx.params["id"],
                                    (int(wanted) if wanted.isdigit() and len(wanted) < 10 else 0) if wanted else None)
    except NotFound:
        raise
    except QuireError:  # a version the plan does not have (0 stands for anything that is not a version)
        raise NotFound("No such version", resource="PlanVersion") from None
    return ctx.page("plan.html", view.version.name, view=view, versions=range(view.plan.current_version, 0, -1))


# --- usage imports: a CSV of usage events, imported by a job, its progress polled ----------------------------


def _imports_page(ctx: Ctx, page: Any, status: int = 200, *, error: str = "") -> Response:
    return ctx.page("usage_imports.html", "Usage imports", status, page=page, error=error, kept={},
                    limit=size_text(ctx.request.app.state.settings.max_body_bytes))


@routes.get("/a/{account}/usage-imports")
async def usage_import_list(ctx: Ctx) -> Response:
    return _imports_page(ctx, await uploads.list_uploads(ctx.session, ctx.account_id, _params(ctx)))


@routes.upload("/a/{account}/usage-imports")
async def usage_import_start(ctx: Ctx) -> Response:
    """Store the file as ``POST /usage-events/csv`` does (the same checks and messages) and hand it to the
    job ``usage.import_csv``, then show the import's progress."""
    filename, data = ctx.files.get("file", (None, b""))
    if not data:
        error = "Choose a CSV file of usage events to import."
    else:
        try:
            upload = await uploads.start_import(ctx.session, ctx.account_id, filename=filename, data=data)
        except QuireError as exc:
            error = exc.message
        else:
            return ctx.redirect(f"/usage-imports/{upload.id}")
    page = await uploads.list_uploads(ctx.session, ctx.account_id, _params(ctx))
    return _imports_page(ctx, page, 400, error=error)


@routes.get("/a/{account}/usage-imports/{id}")
async def usage_import_detail(ctx: Ctx) -> Response:
    """An import's progress (rows done of the file's rows, the refused ones with their line); htmx asks for
    the fragment again every two seconds until it is finished."""
    upload = await uploads.get_upload(ctx.session, ctx.account_id, ctx.params["id"])
    partial = ctx.request.headers.get("hx-request") == "true"
    response = ctx.page("usage_import_progress.html" if partial else "usage_import.html", "Usage import",
                        upload=upload, finished=upload.status in ("COMPLETED", "FAILED"))
    if uploads.needs_worker(upload):  # its worker died after its job had ended: resumed, as GET /usage-events/csv/{id} does
        state = ctx.request.app.state
        response.background = BackgroundTask(uploads.process_pending, state.sessionmaker, state.write_lock)
    return response


def install(app: Any) -> None:
    """Serve the console at ``/console`` (kept out of ``/openapi.json``) with its static files."""
    from importlib.resources import files

    from fastapi.staticfiles import StaticFiles

    app.add_api_route(PREFIX + "/sign-in", sign_in_form, methods=["GET"], include_in_schema=False)
    app.add_api_route(PREFIX + "/sign-in", sign_in, methods=["POST"], include_in_schema=False)
    app.include_router(routes.router)
    app.mount(PREFIX + "/static", StaticFiles(directory=str(files("quire.console") / "static")), name="console-static")

