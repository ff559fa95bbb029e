"""The unified inbox pages: list with filters, a conversation, relabel and read state."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Action, allowed_to
from ai.classifier import label_choices
from campaigns.inbox import services as inbox
from campaigns.models import Campaign, Reply
from smtp_accounts.models import Mailbox

PAGE_SIZE = 50


class InboxFilterForm(forms.Form):
    label = forms.ChoiceField(
        label=_("Label"),
        required=False,
        choices=[("", _("All labels")), (inbox.UNLABELLED, _("To label")), *Reply.Label.choices],
    )  # and the workspace's own labels, added in __init__
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=_("All campaigns"),
    )
    mailbox = forms.ModelChoiceField(
        label=_("Mailbox"),
        queryset=Mailbox.objects.none(),
        required=False,
        empty_label=_("All mailboxes"),
    )
    unread = forms.BooleanField(required=False, label=_("Unread only"))
    q = forms.CharField(label=_("Search"), required=False, max_length=200, strip=True)

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.fields["label"].choices = [
            ("", _("All labels")),
            (inbox.UNLABELLED, _("To label")),
            *label_choices(workspace),
        ]
        self.fields["campaign"].queryset = Campaign.objects.for_workspace(workspace)
        self.fields["mailbox"].queryset = Mailbox.objects.for_workspace(workspace)

    def replies(self):
        """The replies these filters show; every reply when they are not valid."""
        filters = self.cleaned_data if self.is_valid() else {}
        return inbox.inbox_replies(
            self.workspace,
            label=filters.get("label") or "",
            campaign=filters.get("campaign"),
            mailbox=filters.get("mailbox"),
            unread=bool(filters.get("unread")),
            q=filters.get("q") or "",
        )

    def chosen(self) -> dict[str, str]:
        """The filters in use, as they are written in a form or a URL (none when not valid)."""
        if not self.is_valid():
            return {}
        return {
            name: str(value.pk if hasattr(value, "pk") else "on" if value is True else value)
            for name, value in self.cleaned_data.items()
            if value
        }


class LabelForm(forms.Form):
    """A person's label for a reply: a built-in one or one of the workspace's own. Only the
    built-in "unsubscribe" has an effect (campaigns/inbox/services.py `reply_relabel`)."""

    label = forms.ChoiceField(label=_("Label"), choices=())

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["label"].choices = label_choices(workspace)


class AnswerForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 6}))

    def clean_subject(self):
        return " ".join(self.cleaned_data["subject"].split())  # one header line


@login_required
@require_GET
def inbox_list(request):
    form = InboxFilterForm(request.GET or None, workspace=request.workspace)
    replies = form.replies()
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(replies, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    counts = inbox.inbox_counts(request.workspace)
    labels = [
        (value, name, counts["labels"].get(value, {}))
        for value, name in [(inbox.UNLABELLED, _("To label")), *label_choices(request.workspace)]
    ]
    return render(
        request,
        "campaigns/inbox_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "counts": counts,
            "labels": labels,
            "current_label": filters.get("label") or "",
            "chosen": form.chosen(),
        },
    )


@login_required
@require_POST
@allowed_to(Action.INBOX_TRIAGE)
def inbox_read_all(request):
    """Mark read every reply the inbox shows under the posted filters (all pages)."""
    form = InboxFilterForm(request.POST, workspace=request.workspace)
    if not form.is_valid():
        messages.error(request, _("These filters are not valid; nothing was marked read."))
        return redirect("inbox")
    marked = inbox.replies_mark_read(replies=form.replies())
    messages.success(
        request,
        ngettext("%(n)s reply marked read.", "%(n)s replies marked read.", marked) % {"n": marked},
    )
    query = urlencode(form.chosen())
    return redirect(reverse("inbox") + (f"?{query}" if query else ""))


def _reply(request, pk: int) -> Reply:
    return get_object_or_404(
        Reply.objects.for_workspace(request.workspace).select_related(
            "message__enrollment__lead", "message__enrollment__campaign", "message__mailbox"
        ),
        pk=pk,
    )


@login_required
@require_GET
def inbox_thread(request, pk: int):
    reply = _reply(request, pk)
    inbox.reply_open(reply=reply)
    return render(
        request,
        "campaigns/inbox_thread.html",
        {
            "reply": reply,
            "thread": inbox.reply_thread(reply),
            "next_unread": inbox.next_unread(request.workspace, reply),
            "label_form": LabelForm(initial={"label": reply.label}, workspace=request.workspace),
            "answer_form": AnswerForm(initial={"subject": inbox.answer_subject(reply)}),
        },
    )


@login_required
@require_POST
@allowed_to(Action.INBOX_ANSWER)
def inbox_answer(request, pk: int):
    reply = _reply(request, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write an answer and a subject."))
        return redirect("inbox_thread", pk=reply.pk)
    try:
        inbox.reply_answer(
            reply=reply,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            user=request.user,
        )
    except inbox.AnswerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Sent to %(to)s.") % {"to": reply.from_address})
    return redirect("inbox_thread", pk=reply.pk)


@login_required
@require_POST
@allowed_to(Action.INBOX_TRIAGE)
def inbox_label(request, pk: int):
    reply = _reply(request, pk)
    form = LabelForm(request.POST, workspace=request.workspace)
    if form.is_valid():
        if inbox.reply_relabel(reply=reply, label=form.cleaned_data["label"]):
            messages.success(
                request,
                _("Label saved; %(to)s will not be mailed again.")
                % {"to": reply.message.recipient},
            )
        else:
            messages.success(request, _("Label saved."))
    else:
        messages.error(request, _("Choose one of the labels."))
    return redirect("inbox_thread", pk=reply.pk)


@login_required
@require_POST
@allowed_to(Action.INBOX_TRIAGE)
def inbox_unread(request, pk: int):
    inbox.reply_mark_unread(reply=_reply(request, pk))
    return redirect("inbox")
