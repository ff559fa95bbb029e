"""Asking before a step that cannot be undone: one page, one dialog, one partial.

A destructive button is a link to a confirmation (`href` for browsers without JavaScript,
`hx-get` into the layout's `<dialog>` with it), or a form that posts its selection here first
(bulk actions). The confirmation says what will happen in numbers and posts the real action
with `confirmed=1`. Nothing is changed until that second POST: asking is always safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpResponse
from django.shortcuts import render


@dataclass
class Confirmation:
    title: str  # the question: "Stop “Spring outreach”?"
    consequences: list[str]  # what will happen, one sentence each, numbers first
    action_url: str  # where the confirmed form posts
    confirm_label: str  # the button: "Stop campaign"
    cancel_url: str  # where "Cancel" goes without JavaScript
    fields: dict[str, str | list[str]] = field(default_factory=dict)  # posted with it
    danger: bool = True  # a red button for what cannot be undone
    note: str = ""  # e.g. "This cannot be undone."

    def hidden_fields(self) -> list[tuple[str, str]]:
        pairs = []
        for name, value in self.fields.items():
            for item in value if isinstance(value, list) else [value]:
                pairs.append((name, str(item)))
        return pairs


def confirm_response(request, confirmation: Confirmation, *, status: int = 200) -> HttpResponse:
    """The confirmation: the dialog's body for htmx, a full page otherwise."""
    template = "shell/confirm.html"
    if getattr(request, "htmx", False):
        template += "#dialog"
    return render(request, template, {"confirmation": confirmation}, status=status)


def is_confirmed(request) -> bool:
    """Did the user answer the confirmation (a POST carrying `confirmed=1`)?"""
    return request.method == "POST" and request.POST.get("confirmed") == "1"
