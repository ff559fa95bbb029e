"""The template engine: spintax, merge fields, escaping, errors with positions, determinism."""

import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.authoring.templating import HEADER, HTML, TemplateError, escape, parse

LEAD = {"first_name": "Ana", "company": "Vela Robotics"}


def outputs(source, values=LEAD, n=200):
    template = parse(source)
    return {template.render(values, seed=i) for i in range(n)}


# --- spintax -----------------------------------------------------------------------------------


def test_curly_and_angle_spintax_nest():
    assert outputs("{Hi|Hello} <there|{friend|pal}>") == {
        "Hi there",
        "Hi friend",
        "Hi pal",
        "Hello there",
        "Hello friend",
        "Hello pal",
    }
    assert parse("{Hi|Hello} <there|{friend|pal}>").combinations() == 6


def test_the_same_seed_gives_the_same_text_and_seeds_spread():
    template = parse("{a|b|c|d}{a|b|c|d}{a|b|c|d}")
    assert template.render({}, seed="msg-1") == template.render({}, seed="msg-1")
    assert len({template.render({}, seed=f"msg-{i}") for i in range(300)}) > 40


def test_choices_are_roughly_even():
    template = parse("{a|b|c}")
    counts = {c: 0 for c in "abc"}
    for i in range(3000):
        counts[template.render({}, seed=i)] += 1
    assert all(800 < n < 1200 for n in counts.values()), counts


@pytest.mark.parametrize(
    "source",
    [
        '<a href="https://x.example">link</a>',
        "<p>Hello</p><br/><img src='x.png'>",
        "<b>bold</b> and <i>italic</i>",
        "1 < 2 and 3 > 2",
        "a | b",
        "<td colspan=2>x|y</td>",
    ],
)
def test_html_and_plain_symbols_are_not_spintax(source):
    assert outputs(source) == {source}


def test_angle_spintax_inside_html():
    assert outputs("<p><Hi|Hello> {{first_name}}</p>") == {"<p>Hi Ana</p>", "<p>Hello Ana</p>"}


def test_escapes_give_literal_symbols():
    assert outputs(r"\{a\|b\} \<x\> \\ \n") == {r"{a|b} <x> \ \n"}


@given(st.text(max_size=60))
def test_escape_round_trips_any_text(text):
    assert parse(escape(text)).render({}, seed=1) == text


# --- merge fields ------------------------------------------------------------------------------


def test_merge_fields_with_fallbacks_and_any_case():
    template = parse("Hi {{ First_Name }}, how is {{company|your team}}? {{title|}}")
    assert template.render(LEAD) == "Hi Ana, how is Vela Robotics? "
    assert template.render({"first_name": "Bo"}) == "Hi Bo, how is your team? "
    assert template.fields == {"first_name": False, "company": True, "title": True}
    assert template.unresolved({"company": "x"}) == ["first_name"]


def test_missing_values_can_be_marked_for_preview():
    template = parse("Hi {{first_name}}")
    assert template.render({}, mode=HTML, mark_missing=True) == (
        'Hi <mark class="unresolved">{{first_name}}</mark>'
    )
    assert template.render({}) == "Hi "


def test_values_are_escaped_in_html_and_single_line_in_headers():
    values = {"first_name": '<script>alert("x")</script>', "company": "A\r\nBcc: x@evil.example"}
    body = parse("<p>Hi {{first_name}}</p>").render(values, mode=HTML)
    assert body == "<p>Hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>"
    subject = parse("About {{company}}").render(values, mode=HEADER)
    assert subject == "About A Bcc: x@evil.example"


@given(st.text(max_size=40), st.text(max_size=40))
def test_no_value_can_break_out_of_its_context(first, company):
    values = {"first_name": first, "company": company}
    body = parse("<p>{Hi|Hey} {{first_name}} at {{company}}</p>").render(values, mode=HTML)
    inner = body[len("<p>") : -len("</p>")]
    assert "<" not in inner and ">" not in inner
    assert html.unescape(inner).endswith(f"{first} at {company}")
    subject = parse("{{first_name}} / {{company}}").render(values, mode=HEADER)
    assert "\r" not in subject and "\n" not in subject


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "line", "column", "message"),
    [
        ("Hello {there", 1, 7, "never closed"),
        ("Hi\n  {{first_name", 2, 3, "merge field is never closed"),
        ("a }", 1, 3, "closes nothing"),
        ("x {only}", 1, 3, "at least two options"),
        ("{{}}", 1, 1, "no name"),
        ("{{first name}}", 1, 1, "not a field name"),
        ("{{a|{b|c}}}", 1, 1, "plain text"),
        ("ok\nok\n  {a|{b|c}", 3, 3, "never closed"),
    ],
)
def test_errors_say_where_and_what(source, line, column, message):
    with pytest.raises(TemplateError) as caught:
        parse(source)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert message in caught.value.message
    assert str(caught.value).startswith(f"Line {line}, column {column}: ")


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(TemplateError, match="nested more than"):
        parse("{a|" * 100 + "b" + "}" * 100)


def test_many_angle_brackets_parse_in_linear_time():
    source = "<" * 5000 + "x"
    assert parse(source).render({}) == source


# --- properties --------------------------------------------------------------------------------

SYMBOLS = st.sampled_from(list("{}<>|\\=/\"' \nab") + ["{{", "}}", "{{a}}", "{{a|b}}"])


@settings(max_examples=400)
@given(st.lists(SYMBOLS, max_size=30).map("".join) | st.text(max_size=80))
def test_parsing_any_input_never_crashes(source):
    try:
        template = parse(source)
    except TemplateError as exc:
        assert exc.line >= 1 and exc.column >= 1
        return
    template.render(LEAD, seed=source, mode=HTML)
    assert template.combinations() >= 1


WORD = st.text(alphabet="abcxyz ", min_size=0, max_size=4)


def spintax(depth=2):
    leaf = WORD.map(escape) | st.sampled_from(["{{first_name}}", "{{company|team}}"])
    if depth == 0:
        return leaf
    inner = spintax(depth - 1)
    # "{{" always opens a merge field, so an option may not start with a group of its own.
    option = (
        st.lists(inner, max_size=3)
        .map("".join)
        .filter(lambda o: not (o.startswith("{") and not o.startswith("{{")))
    )
    group = st.lists(option, min_size=2, max_size=3)
    return (
        leaf
        | group.map(lambda options: "{" + "|".join(options) + "}")
        | group.map(lambda options: "<" + "|".join(options) + ">")
    )


@settings(max_examples=200)
@given(st.lists(spintax(), max_size=4).map("".join), st.integers())
def test_every_output_is_one_of_the_enumerated_combinations(source, seed):
    template = parse(source)
    every = list(template.variations(LEAD))
    assert len(every) == template.combinations()
    assert template.render(LEAD, seed=seed) in set(every)


def test_a_group_may_start_or_end_with_a_merge_field():
    assert outputs("{{{first_name}}|you}") == {"Ana", "you"}
    assert outputs("{you|{{first_name}}}") == {"Ana", "you"}


def test_an_unclosed_field_is_not_closed_by_a_later_one():
    with pytest.raises(TemplateError) as caught:
        parse('<p>Hi {{first_name</p><p><a href="{{unsubscribe_url}}">x</a></p>')
    assert (caught.value.column, caught.value.message) == (
        7,
        "This merge field is never closed: add “}}”.",
    )
