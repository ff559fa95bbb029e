"""A receipt as PDF (fpdf2), with the operator's and the customer's details as issued."""

from __future__ import annotations

from django.conf import settings
from fpdf import FPDF

from billing.models import Receipt
from billing.prices import money


def _text(value: str) -> str:
    # The core PDF fonts are Latin-1: anything else is shown as "?" rather than failing.
    return (value or "").encode("latin-1", "replace").decode("latin-1")


def receipt_pdf(receipt: Receipt) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"Receipt {receipt.display_number}")
    pdf.set_author(_text(settings.OPERATOR_LEGAL_NAME))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, "Receipt", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, f"Number: {receipt.display_number}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"Date: {receipt.issued_at:%Y-%m-%d}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    top = pdf.get_y()
    operator = [settings.OPERATOR_LEGAL_NAME, settings.OPERATOR_ADDRESS]
    if settings.OPERATOR_VAT_ID:
        operator.append(f"VAT: {settings.OPERATOR_VAT_ID}")
    customer = [receipt.customer_name, receipt.customer_address]
    if receipt.customer_vat_id:
        customer.append(f"VAT: {receipt.customer_vat_id}")
    for x, title, lines in ((10, "From", operator), (110, "To", customer)):
        pdf.set_xy(x, top)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(90, 6, title, new_x="LEFT", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(90, 6, _text("\n".join(line for line in lines if line)), new_x="LEFT")
    pdf.set_y(max(pdf.get_y(), top + 40))
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(130, 8, "Description", border="B")
    pdf.cell(60, 8, "Amount", border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(130, 8, f"Prepaid balance top-up ({receipt.payment.gateway})")
    pdf.cell(
        60, 8, money(receipt.amount, receipt.currency), align="R", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(130, 8, "Total paid", border="T")
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
    pdf.multi_cell(0, 5, f"Payment reference: {receipt.payment.public_id}")
    return bytes(pdf.output())
