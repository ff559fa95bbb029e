from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from billing import prices
from billing.models import BillingAccount, LedgerEntry


def to_minor(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


class TopUpForm(forms.Form):
    gateway = forms.CharField(label=_("Gateway"), max_length=20)
    preset = forms.IntegerField(label=_("Preset"), required=False)
    custom = forms.DecimalField(
        label=_("Other amount"), required=False, min_value=0, max_digits=12, decimal_places=2
    )

    def clean(self):
        data = super().clean()
        amount = to_minor(data["custom"]) if data.get("custom") else data.get("preset")
        if not amount:
            raise forms.ValidationError(_("Choose an amount or type one."))
        low, high = settings.BILLING_TOPUP_MIN, settings.BILLING_TOPUP_MAX
        if not low <= amount <= high:
            raise forms.ValidationError(
                _("A top-up is between %(low)s and %(high)s.")
                % {"low": prices.money(low), "high": prices.money(high)}
            )
        data["amount"] = amount
        return data


class MoneyField(forms.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return f"{Decimal(value) / 100:.2f}"
        return value


class BillingSettingsForm(forms.ModelForm):
    low_balance_threshold = MoneyField(
        label=_("Tell me when the balance falls below"), min_value=0, max_value=10_000_000
    )

    class Meta:
        model = BillingAccount
        fields = [
            "low_balance_threshold",
            "resume_after_topup",
            "billing_name",
            "billing_address",
            "vat_id",
        ]
        widgets = {"billing_address": forms.Textarea(attrs={"rows": 3})}

    def clean_low_balance_threshold(self):
        return to_minor(self.cleaned_data["low_balance_threshold"])


class LedgerFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *LedgerEntry.Kind.choices]
    )
    since = forms.DateField(
        label=_("Since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def apply(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        if data.get("since"):
            queryset = queryset.filter(created_at__date__gte=data["since"])
        if data.get("until"):
            queryset = queryset.filter(created_at__date__lte=data["until"])
        return queryset


class AdjustmentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount (negative debits)"), max_digits=12, decimal_places=2
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def clean_amount(self):
        try:
            amount = to_minor(self.cleaned_data["amount"])
        except (InvalidOperation, TypeError) as exc:
            raise forms.ValidationError(_("Not an amount.")) from exc
        if amount == 0:
            raise forms.ValidationError(_("The amount cannot be zero."))
        return amount
