"""What the body editor stores is the template the recipient gets: `<a|b>` typed into the
editor (which stores it as `&lt;a|b&gt;`) spins in the HTML part exactly as in the text part."""

import html as html_module
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.authoring import content
from campaigns.authoring.services import campaign_create, preview, render_variant, variant_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant(workspace_a):
    campaign = campaign_create(workspace=workspace_a, name="Editor")
    campaign.unsubscribe_footer = ""  # the parts compared word for word
    campaign.save()
    return campaign.steps.get(position=1).variants.get(label="A")


def words(part: str, *, html: bool = True) -> list[str]:
    """The words a reader sees in a part."""
    if html:
        part = html_module.unescape(re.sub(r"<[^>]+>", " ", part))
    return part.split()


def test_angle_spintax_typed_in_the_editor_is_stored_as_a_group():
    assert content.sanitize_html("<p>I have a &lt;quick|short&gt; question</p>") == (
        "<p>I have a {quick|short} question</p>"
    )


def test_nested_angle_groups_typed_in_the_editor_are_stored_as_nested_groups():
    assert content.sanitize_html("<p>&lt;Hi|&lt;Hello|Hey&gt;&gt; there</p>") == (
        "<p>{Hi|{Hello|Hey}} there</p>"
    )


def test_an_escaped_angle_group_stays_literal_in_both_parts(variant):
    variant_save(variant=variant, subject="s", body_html=r"<p>Type \&lt;a|b&gt; here</p>", weight=1)
    _subject, html_body, text_body = render_variant(variant, {}, seed=1)
    assert "&lt;a|b&gt;" in html_body
    assert "<a|b>" in text_body


def test_an_escaped_group_is_stored_so_that_saving_again_keeps_it_literal():
    stored = content.sanitize_html(r"<p>Reply \&lt;yes|no\&gt; or \&lt;maybe|later&gt;</p>")
    assert stored == r"<p>Reply &lt;yes\|no&gt; or &lt;maybe\|later&gt;</p>"
    assert content.sanitize_html(stored) == stored


def test_a_comparison_in_prose_is_not_taken_for_a_tag():
    assert content.sanitize_html("<p>a &lt; b</p>") == "<p>a &lt; b</p>"


def test_both_parts_say_the_same_words_for_angle_spintax_from_the_editor(variant):
    variant_save(
        variant=variant,
        subject="s",
        body_html="<p>I have a &lt;quick|short&gt; question, {{first_name|there}}</p>",
        weight=1,
    )
    for seed in range(12):
        _subject, html_body, text_body = render_variant(variant, {"first_name": "Ana"}, seed=seed)
        assert words(html_body) == words(text_body, html=False)
        assert "|" not in text_body


def test_text_part_keeps_literal_angle_brackets_that_the_html_part_shows(variant):
    # Stored before the fix: an entity-encoded group. Both parts must at least agree.
    variant.body_html = "<p>x &lt; y | z &gt; w</p>"
    variant.save()
    _subject, html_body, text_body = render_variant(variant, {}, seed=3)
    assert words(html_body) == words(text_body, html=False)


def test_the_preview_marks_spintax_that_will_go_out_literally(variant):
    variant_save(variant=variant, subject="s", body_html=r"<p>Say \{yes|no\} now</p>", weight=1)
    shown = preview(variant, None)
    assert ">{yes|no}</mark>" in shown.html and 'class="literal"' in shown.html


def test_the_editor_warns_about_spintax_that_will_go_out_literally():
    found = content.warnings("s", r"<p>Say \{yes|no\} now</p>", has_footer=True)
    assert any("as written" in w for w in found)


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
text_chars = st.text(alphabet="ab |&;<>{}\\lgt", max_size=40)


@FUZZ
@given(body=text_chars)
def test_whatever_is_typed_the_two_parts_agree(body):
    from campaigns.authoring.templating import HTML, TEXT, TemplateError, parse

    stored = content.sanitize_html("<p>" + html_module.escape(body, quote=False) + "</p>")
    try:
        html_out = parse(stored).render({}, seed=1, mode=HTML)
        text_out = parse(content.template_text(stored)).render({}, seed=1, mode=TEXT)
    except TemplateError:
        return
    assert words(html_out) == words(text_out, html=False)


@FUZZ
@given(body=text_chars)
def test_saving_twice_stores_what_saving_once_stored(body):
    once = content.sanitize_html("<p>" + html_module.escape(body, quote=False) + "</p>")
    assert content.sanitize_html(once) == once


@pytest.mark.django_db(transaction=True)
def test_bodies_saved_before_the_fix_have_their_encoded_groups_converted(workspace_a):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    campaign = campaign_create(workspace=workspace_a, name="Old")
    variant = campaign.steps.get(position=1).variants.get(label="A")
    executor = MigrationExecutor(connection)
    executor.migrate([("campaigns", "0013_campaign_bounce_limit")])
    old_apps = executor.loader.project_state([("campaigns", "0013_campaign_bounce_limit")]).apps
    old_apps.get_model("campaigns", "Variant").objects.filter(pk=variant.pk).update(
        body_html=r"<p>A &lt;quick|short&gt; one, \&lt;kept|as is&gt;, a &lt; b</p>"
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    variant.refresh_from_db()
    assert variant.body_html == r"<p>A {quick|short} one, &lt;kept\|as is&gt;, a &lt; b</p>"
