"""A receipt as PDF (fpdf2), with the operator's and the customer's details as issued."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from fpdf import FPDF

from billing.models import Receipt
from billing.prices import money


def _text(value) -> str:
    # The core PDF fonts are Latin-1: anything else is shown as "?" rather than failing.
    return str(value or "").encode("latin-1", "replace").decode("latin-1")


def receipt_pdf(receipt: Receipt) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(_text(_("Receipt %(number)s") % {"number": receipt.display_number}))
    pdf.set_author(_text(settings.OPERATOR_LEGAL_NAME))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _text(_("Receipt")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    number = _("Number: %(number)s") % {"number": receipt.display_number}
    pdf.cell(0, 6, _text(number), new_x="LMARGIN", new_y="NEXT")
    date = _("Date: %(date)s") % {"date": f"{receipt.issued_at:%Y-%m-%d}"}
    pdf.cell(0, 6, _text(date), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    top = pdf.get_y()
    operator = [settings.OPERATOR_LEGAL_NAME, settings.OPERATOR_ADDRESS]
    if settings.OPERATOR_VAT_ID:
        operator.append(_("VAT: %(id)s") % {"id": settings.OPERATOR_VAT_ID})
    customer = [receipt.customer_name, receipt.customer_address]
    if receipt.customer_vat_id:
        customer.append(_("VAT: %(id)s") % {"id": receipt.customer_vat_id})
    for x, title, lines in ((10, _("From"), operator), (110, _("To"), customer)):
        pdf.set_xy(x, top)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(90, 6, _text(title), new_x="LEFT", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(90, 6, _text("\n".join(line for line in lines if line)), new_x="LEFT")
    pdf.set_y(max(pdf.get_y(), top + 40))
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(130, 8, _text(_("Description")), border="B")
    pdf.cell(60, 8, _text(_("Amount")), border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    top_up = _("Prepaid balance top-up (%(gateway)s)") % {"gateway": receipt.payment.gateway}
    pdf.cell(130, 8, _text(top_up))
    pdf.cell(
        60, 8, money(receipt.amount, receipt.currency), align="R", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(130, 8, _text(_("Total paid")), border="T")
    pdf.cell(
        60,
        8,
        money(receipt.amount, receipt.currency),
        border="T",
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 9)
    reference = _("Payment reference: %(id)s") % {"id": receipt.payment.public_id}
    pdf.multi_cell(0, 5, _text(reference))
    return bytes(pdf.output())
