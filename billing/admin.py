"""The operator's view of billing: balances, the ledger (read-only), manual credits and
adjustments with a mandatory reason (audited), payments with their gateway events, and
refunds started here and sent through the gateway."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.forms import AdjustmentForm, to_minor
from billing.gateways.base import GatewayError
from billing.models import BillingAccount, GatewayEvent, LedgerEntry, Payment, Receipt
from billing.payments import refund_start
from billing.prices import money
from billing.services import BillingError, manual_adjustment


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BillingAccount)
class BillingAccountAdmin(admin.ModelAdmin):
    list_display = ["workspace", "shown_balance", "low_balance_threshold", "adjust"]
    search_fields = ["workspace__name", "billing_name", "vat_id"]
    readonly_fields = ["workspace", "balance", "currency", "low_notified", "empty_notified"]
    fields = [
        "workspace",
        "balance",
        "currency",
        "low_balance_threshold",
        "resume_after_topup",
        "billing_name",
        "billing_address",
        "vat_id",
        "low_notified",
        "empty_notified",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("balance"), ordering="balance")
    def shown_balance(self, obj):
        return money(obj.balance, obj.currency)

    @admin.display(description="")
    def adjust(self, obj):
        url = reverse("admin:billing_billingaccount_adjust", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Credit or adjust…"))

    def get_urls(self):
        own = [
            path(
                "<int:pk>/adjust/",
                self.admin_site.admin_view(self.adjust_view),
                name="billing_billingaccount_adjust",
            )
        ]
        return own + super().get_urls()

    def adjust_view(self, request, pk: int):
        if not self.has_change_permission(request):
            return redirect("admin:index")
        account = get_object_or_404(BillingAccount.objects.select_related("workspace"), pk=pk)
        form = AdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                manual_adjustment(
                    workspace=account.workspace,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    created_by=request.user,
                    request=request,
                )
            except BillingError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Recorded for %(workspace)s.") % {"workspace": account.workspace}
                )
                return redirect("admin:billing_billingaccount_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Credit or adjust the balance of %(workspace)s")
            % {"workspace": account.workspace},
            "account": account,
            "balance": money(account.balance, account.currency),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/adjust.html", context)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "workspace", "kind", "amount", "balance_after", "reason"]
    list_filter = ["kind", "created_at"]
    search_fields = ["reason", "reference", "workspace__name"]
    date_hierarchy = "created_at"
    list_select_related = ["workspace"]


class GatewayEventInline(admin.TabularInline):
    model = GatewayEvent
    fields = ["received_at", "type", "event_id", "outcome"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), max_digits=12, decimal_places=2, min_value=0
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "workspace", "gateway", "shown_amount", "status", "refunded"]
    list_filter = ["gateway", "status"]
    search_fields = ["external_id", "charge_ref", "workspace__name"]
    inlines = [GatewayEventInline]
    readonly_fields = [
        "public_id",
        "workspace",
        "gateway",
        "amount",
        "currency",
        "status",
        "external_id",
        "charge_ref",
        "refunded",
        "disputed",
        "created_by",
        "created_at",
        "paid_at",
        "refund_link",
    ]
    exclude = ["checkout_url"]

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser  # to see the detail page; every field is read-only

    @admin.display(description=gettext_lazy("amount"))
    def shown_amount(self, obj):
        return money(obj.amount, obj.currency)

    @admin.display(description=gettext_lazy("refund"))
    def refund_link(self, obj):
        if obj.status != Payment.Status.PAID or obj.refunded >= obj.amount:
            return "—"
        url = reverse("admin:billing_payment_refund", args=[obj.pk])
        return format_html(
            '<a href="{}">{}</a>', url, _("Refund through %(gateway)s…") % {"gateway": obj.gateway}
        )

    def get_urls(self):
        own = [
            path(
                "<int:pk>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="billing_payment_refund",
            )
        ]
        return own + super().get_urls()

    def refund_view(self, request, pk: int):
        if not request.user.is_superuser:
            return redirect("admin:index")
        payment = get_object_or_404(Payment, pk=pk)
        left = payment.amount - payment.refunded
        form = RefundForm(request.POST or None, initial={"amount": f"{left / 100:.2f}"})
        if request.method == "POST" and form.is_valid():
            try:
                refund_id = refund_start(
                    payment=payment,
                    amount=to_minor(form.cleaned_data["amount"]),
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except (BillingError, GatewayError) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _(
                        "Refund %(refund)s asked of %(gateway)s; the ledger records it when "
                        "the gateway confirms it."
                    )
                    % {"refund": refund_id, "gateway": payment.gateway},
                )
                return redirect("admin:billing_payment_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refund a top-up of %(workspace)s") % {"workspace": payment.workspace},
            "balance": _("%(amount)s left to refund") % {"amount": money(left, payment.currency)},
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/adjust.html", context)


@admin.register(GatewayEvent)
class GatewayEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "gateway", "type", "event_id", "payment", "outcome"]
    list_filter = ["gateway", "type"]
    search_fields = ["event_id", "subject"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["number", "workspace", "amount", "currency", "issued_at"]
    search_fields = ["number", "customer_name"]
