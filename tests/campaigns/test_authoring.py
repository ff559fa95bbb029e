"""Campaign authoring: steps, A/B variants, content, previews, test sends and the launch gate."""

import email
from email import policy

import pytest

from campaigns.authoring import content
from campaigns.authoring.services import (
    AuthoringError,
    campaign_create,
    campaign_duplicate,
    preview,
    send_test,
    step_add,
    step_remove,
    subject_source,
    variant_add,
    variant_remove,
    variant_save,
)
from campaigns.leads.suppression import suppression_add
from campaigns.models import Lead, LeadList, LeadMembership
from campaigns.sending.launch import launch_problems
from tests.smtp_accounts.factories import make_mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(workspace_a):
    return campaign_create(workspace=workspace_a, name="Q1 founders")


def first_variant(campaign):
    return campaign.steps.get(position=1).variants.get(label="A")


def add_leads(workspace, *rows, list_name="Prospects"):
    lead_list, _created = LeadList.objects.get_or_create(workspace=workspace, name=list_name)
    for row in rows:
        lead = Lead.objects.create(workspace=workspace, **row)
        LeadMembership.objects.create(lead=lead, lead_list=lead_list)
    return lead_list


def ready(campaign, workspace, mailbox):
    variant_save(
        variant=first_variant(campaign),
        subject="{Quick|Short} question, {{first_name|there}}",
        body_html="<p>Hi {{first_name|there}}, how is {{company|your team}}?</p>",
        weight=1,
    )
    campaign.lead_lists.add(
        add_leads(workspace, {"email": "ana@x.example", "first_name": "Ana", "company": "Vela"})
    )
    campaign.mailboxes.add(mailbox)
    return campaign


# --- structure ---------------------------------------------------------------------------------


def test_steps_and_variants(campaign):
    step2 = step_add(campaign=campaign)
    step3 = step_add(campaign=campaign)
    assert [s.position for s in campaign.steps.all()] == [1, 2, 3]
    assert (step2.delay_days, step2.variants.get().label) == (3, "A")

    first = first_variant(campaign)
    variant_save(variant=first, subject="Hello", body_html="<p>Hi</p>", weight=1)
    b = variant_add(step=first.step)
    c = variant_add(step=first.step)
    assert (b.label, b.subject, b.body_html, c.label) == ("B", "Hello", "<p>Hi</p>", "C")
    variant_remove(variant=b)
    assert list(first.step.variants.values_list("label", flat=True)) == ["A", "C"]

    step_remove(step=step2)
    step3.refresh_from_db()
    assert step3.position == 2
    with pytest.raises(AuthoringError):
        variant_remove(variant=step3.variants.get())


def test_saving_sanitises_html_and_writes_the_text_part(campaign):
    variant = variant_save(
        variant=first_variant(campaign),
        subject="Hi\r\nBcc: x@evil.example",
        body_html='<p onclick="x()"><Hi|Hey> {{first_name}},</p><script>alert(1)</script>'
        '<p>See <a href="https://vela.example">our work</a><img src="https://t.example/p.gif"></p>',
        weight=500,
    )
    assert variant.subject == "Hi Bcc: x@evil.example"
    assert variant.body_html == (
        '<p>{Hi|Hey} {{first_name}},</p><p>See <a href="https://vela.example" rel="noopener">'
        "our work</a></p>"
    )
    assert variant.body_text == "{Hi|Hey} {{first_name}},\n\nSee our work (https://vela.example)"
    assert variant.weight == 100


def test_a_follow_up_in_the_thread_replies_to_the_first_subject(campaign):
    variant_save(variant=first_variant(campaign), subject="Quick idea", body_html="x", weight=1)
    follow_up = step_add(campaign=campaign).variants.get()
    assert subject_source(follow_up) == "Re: Quick idea"
    follow_up.step.in_thread = False
    assert subject_source(follow_up) == ""


def test_duplicate_copies_everything_as_a_draft(campaign, workspace_a):
    mailbox = make_mailbox(workspace_a)
    ready(campaign, workspace_a, mailbox)
    variant_add(step=campaign.steps.get())
    step_add(campaign=campaign)
    campaign.status = "running"
    campaign.save()

    copy = campaign_duplicate(campaign=campaign)

    assert (copy.name, copy.status) == ("Q1 founders (copy)", "draft")
    assert [(s.position, [v.label for v in s.variants.all()]) for s in copy.steps.all()] == [
        (1, ["A", "B"]),
        (2, ["A"]),
    ]
    assert first_variant(copy).subject == first_variant(campaign).subject
    assert list(copy.mailboxes.all()) == [mailbox]
    assert campaign.steps.count() == 2  # the original is untouched


# --- preview and test send ----------------------------------------------------------------------


def test_preview_marks_unresolved_fields_and_counts_combinations(campaign, workspace_a):
    variant = variant_save(
        variant=first_variant(campaign),
        subject="{Quick|Short} question for {{company}}",
        body_html="<p>{Hi|Hello|Hey} {{first_name}}, {{city}}?</p>",
        weight=1,
    )
    lead = Lead.objects.create(
        workspace=workspace_a, email="a@x.example", first_name="<b>Ana</b>", company="Vela"
    )
    shown = preview(variant, lead, n=3)
    assert shown.combinations == 6
    assert shown.subject in {"Quick question for Vela", "Short question for Vela"}
    assert "&lt;b&gt;Ana&lt;/b&gt;" in shown.html
    assert '<mark class="unresolved">{{city}}</mark>' in shown.html
    assert shown.unresolved == ["city"]
    assert len(shown.variations) == 3 and len(set(shown.variations)) == 3
    assert "Not interested?" in shown.html  # the automatic footer


def test_send_a_test_through_the_mailbox(campaign, workspace_a, alice, smtp_server):
    mailbox = make_mailbox(
        workspace_a,
        smtp_host="localhost",
        smtp_port=smtp_server.port,
        smtp_username=smtp_server.username,
        smtp_password=smtp_server.password,
    )
    variant = variant_save(
        variant=first_variant(campaign),
        subject="Hello {{first_name|there}}",
        body_html="<p>Hi {{first_name|there}}, from {{sender_first_name}}</p>",
        weight=1,
    )
    result = send_test(variant=variant, lead=None, mailbox=mailbox, to=alice.email)

    assert result.outcome == "sent"
    [received] = smtp_server.received
    assert received.rcpt_tos == [alice.email]
    message = email.message_from_bytes(received.data, policy=policy.default)
    assert message["Subject"] == "Hello there"
    assert message.get_body(("plain",)).get_content().startswith("Hi there, from Alice")
    assert "Hi there, from Alice" in message.get_body(("html",)).get_content()


def test_content_warnings():
    warnings = content.warnings(
        "FREE GIFT INSIDE!!", "<p>Click here " + '<a href="x">l</a>' * 4 + "</p>", has_footer=False
    )
    text = " ".join(warnings)
    assert "“click here”" in text and "“free gift”" in text
    assert "4 links" in text
    assert "No unsubscribe link" in text
    assert "capital letters" in text and "exclamation" in text
    assert content.warnings("Quick question", "<p>Hi Ana, a short note.</p>", has_footer=True) == []


# --- the launch gate ----------------------------------------------------------------------------


def test_a_complete_campaign_has_no_problems(campaign, workspace_a):
    ready(campaign, workspace_a, make_mailbox(workspace_a))
    assert launch_problems(campaign) == []


def test_every_problem_is_listed_with_where_to_fix_it(campaign, workspace_a):
    campaign.unsubscribe_footer = ""
    campaign.send_days = ""
    campaign.save()
    step2 = step_add(campaign=campaign)
    variant_save(
        variant=step2.variants.get(), subject="", body_html="<p>Hi {{first_name|x}</p>", weight=1
    )
    problems = launch_problems(campaign)
    messages = [p.message for p in problems]
    assert messages == [
        "Choose at least one lead list.",
        "Step 1, variant A has no subject.",
        "Step 1, variant A has no body.",
        "Step 2, variant A: Line 1, column 7: Body: This merge field is never closed: add “}}”.",
        "Every email needs an unsubscribe link: keep the automatic footer or add "
        "{{unsubscribe_url}} to each body.",
        "Choose at least one sending day.",
        "Choose at least one active mailbox to send from.",
    ]
    assert problems[3].url.endswith(f"/sequence/#variant-{step2.variants.get().pk}")


def test_unresolved_fields_name_the_leads_that_would_be_skipped(campaign, workspace_a):
    ready(campaign, workspace_a, make_mailbox(workspace_a))
    campaign.lead_lists.add(
        add_leads(
            workspace_a,
            *(
                {"email": f"n{i}@x.example", "custom": {"city": "Oslo"} if i == 0 else {}}
                for i in range(8)
            ),
            list_name="More",
        )
    )
    variant_save(
        variant=first_variant(campaign), subject="Hi", body_html="<p>In {{city}}</p>", weight=1
    )
    [problem] = launch_problems(campaign)
    assert problem.message == (
        "Step 1, variant A: {{city}} is empty for 8 leads, who would be skipped; "
        "add a fallback like {{city|there}}."
    )
    assert problem.details == [
        "ana@x.example",
        "n1@x.example",
        "n2@x.example",
        "n3@x.example",
        "n4@x.example",
        "…and 3 more",
    ]


def test_suppressed_and_inactive_leads_do_not_count(campaign, workspace_a):
    ready(campaign, workspace_a, make_mailbox(workspace_a))
    suppression_add(workspace=workspace_a, entry="@x.example")
    assert [p.message for p in launch_problems(campaign)] == [
        "The chosen lists have no active, unsuppressed leads."
    ]


def test_non_ascii_names_and_subjects_are_encoded_and_read_back(campaign, workspace_a):
    from campaigns.authoring.rendering import build_message

    mailbox = make_mailbox(workspace_a, from_name="Jörg Müller")
    variant = variant_save(
        variant=first_variant(campaign),
        subject="Grüße, {{first_name}} — kurze Frage",
        body_html="<p>Hallo {{first_name}}, schöne Grüße aus Kraków.</p>",
        weight=1,
    )
    lead = Lead.objects.create(workspace=workspace_a, email="c@x.example", first_name="Chloé")
    raw = build_message(variant=variant, lead=lead, mailbox=mailbox, to="c@x.example", seed=1).raw
    assert raw.isascii() and b"\r\n" in raw and b"\n\n" not in raw.replace(b"\r\n", b"")
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Grüße, Chloé — kurze Frage"
    assert message["From"].addresses[0].display_name == "Jörg Müller"
    assert "schöne Grüße aus Kraków" in message.get_body(("plain",)).get_content()
