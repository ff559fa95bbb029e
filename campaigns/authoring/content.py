"""Email body content: sanitising the editor's HTML, the plain-text part, risky-content hints."""

from __future__ import annotations

import functools
import html
import re
from html.parser import HTMLParser

import nh3
from django.utils.translation import gettext as _

ALLOWED_TAGS = {
    "p", "br", "a", "strong", "b", "em", "i", "u", "ul", "ol", "li", "blockquote", "div", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
SPAM_WORDS = (
    "100% free",
    "act now",
    "buy now",
    "cash bonus",
    "click here",
    "double your",
    "earn money",
    "free gift",
    "guarantee",
    "limited time",
    "no obligation",
    "risk-free",
    "urgent",
    "winner",
    "$$$",
)
MAX_LINKS = 3


# `<a|b>` spintax in a body is stored as `{a|b}`, which the template engine treats the same way:
# typed raw (an HTML parser would read it as a tag) or, as the editor stores what a user types,
# entity-encoded (`&lt;a|b&gt;`). Innermost groups first, so `<a|<b|c>>` nests as `{a|{b|c}}`.
# A backslash keeps a group literal: `\<a|b>` (or `\<a|b\>`), typed in the editor, is stored
# as `&lt;a\|b&gt;`, which the HTML part shows as `<a|b>`, the text part too (see
# `template_text`), and which a second save leaves as it is.
_INSIDE = r"(?:(?!&lt;|&gt;|\\>|\\&gt;)[^<>=/\"'])*"
_EVEN = r"(?<!\\)((?:\\\\)*)"  # a run of backslashes that escape each other, not what follows
_PIPE = r"(?<!\\)((?:\\\\)*)\|"
_GROUP = rf"({_INSIDE}{_PIPE}{_INSIDE})"
_ANGLE_SPIN = re.compile(rf"{_EVEN}(?:<|&lt;){_GROUP}(?:>|&gt;)")
_ESCAPED_GROUP = re.compile(rf"{_EVEN}\\(?:<|&lt;){_GROUP}\\?(?:>|&gt;)")


def angle_spintax_to_braces(body: str) -> str:
    while True:
        converted = _ANGLE_SPIN.sub(lambda m: m[1] + "{" + m[2] + "}", body)
        if converted == body:
            break
        body = converted
    return _ESCAPED_GROUP.sub(
        lambda m: m[1] + "&lt;" + re.sub(_PIPE, r"\1\\|", m[2]) + "&gt;", body
    )


def sanitize_html(body: str) -> str:
    """Only simple formatting and links survive; scripts, styles, handlers and images go."""
    cleaned = nh3.clean(
        angle_spintax_to_braces(body),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
    )
    # A backslash typed last before a tag would escape the tag's `<` in the template: store it
    # as the character reference, which both parts show as a backslash.
    return _BACKSLASH_BEFORE_TAG.sub(lambda m: "&#92;" * len(m[0]), cleaned)


_BACKSLASH_BEFORE_TAG = re.compile(r"\\+(?=<)")


class _Text(HTMLParser):
    BLOCK = {"p", "div", "blockquote", "ul", "ol"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []
        elif tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag == "a" and self.href is not None:
            text = "".join(self.link_text).strip()
            if self.href and self.href != text:
                self.parts.append(f" ({self.href})" if text else self.href)
            self.href = None
        elif tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data):
        data = re.sub(r"\s+", " ", data)
        self.parts.append(data)
        if self.href is not None:
            self.link_text.append(data)


def safe_preview(rendered: str) -> str:
    """A rendered body for display inside our own pages (the preview's <mark>s kept)."""
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS | {"mark"},
        attributes=ALLOWED_ATTRIBUTES | {"mark": {"class", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
    )


# Received mail shown in our pages: its structure and links, nothing that loads (images would
# tell the sender it was read, and the CSP blocks them anyway) and no nested disclosures.
RECEIVED_TAGS = nh3.ALLOWED_TAGS - {"img", "map", "area", "details", "summary"}


def received_html(html: str) -> str:
    """A reply's HTML (already cleaned when stored) for display: cleaned again with the display
    rules, links opened outside the app, no referrer."""
    return nh3.clean(
        html,
        tags=RECEIVED_TAGS,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


class _TemplateText(_Text):
    """`_Text` for a template: a character the HTML part shows as an entity (`&lt;`, `&#123;`)
    is literal there, so it is escaped here (`\\<`, `\\{`): both parts then say the same words."""

    def __init__(self):
        super().__init__()
        self.convert_charrefs = False

    def handle_entityref(self, name):
        self._literal(html.unescape(f"&{name};"))

    def handle_charref(self, name):
        self._literal(html.unescape(f"&#{name};"))

    def _literal(self, char):
        self.handle_data("".join("\\" + c if c in TEMPLATE_SPECIAL else c for c in char))


TEMPLATE_SPECIAL = "{}<>|\\"


@functools.lru_cache(maxsize=256)  # the sender converts the same template for every message
def html_to_text(body: str) -> str:
    """The plain-text part of an HTML body: paragraphs, line breaks, list dashes, link URLs."""
    return _collect(_Text(), body)


@functools.lru_cache(maxsize=256)
def template_text(body: str) -> str:
    """The plain-text template of an HTML template (what the text part is rendered from)."""
    return _collect(_TemplateText(), body)


def _collect(parser: _Text, body: str) -> str:
    parser.feed(body)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return "\n".join(line.strip() for line in text.strip().splitlines())


# Spintax-looking text that goes out as written: in a template, an escaped group (`\\{a|b\\}`,
# `&lt;a|b&gt;` once the editor's groups are converted); in a rendered HTML part, any group left.
_LITERAL_IN_TEMPLATE = re.compile(
    r"\\\{[^{}<>]*\|[^{}<>]*\\\}|&lt;(?:(?!&lt;|&gt;)[^<>])*\|.*?&gt;"
)
_LITERAL_IN_OUTPUT = re.compile(r"\{[^{}<>]*\|[^{}<>]*\}|&lt;(?:(?!&lt;|&gt;)[^<>])*\|.*?&gt;")
_TAG = re.compile(r"(<[^>]*>)")


def literal_spintax(body_html: str) -> list[str]:
    """The spintax-looking groups of a template that will be sent as written."""
    found = []
    for part in _TAG.split(body_html):
        if not part.startswith("<"):
            found += [
                html.unescape(m.replace("\\", "")) for m in _LITERAL_IN_TEMPLATE.findall(part)
            ]
    return found


def mark_literal_spintax(rendered_html: str) -> str:
    """A rendered HTML part with each spintax-looking group it still holds in a <mark>: the
    preview shows what will reach the recipient as written."""
    title = html.escape(_("Sent as written, not as spintax"))

    def mark(match: re.Match) -> str:
        return f'<mark class="literal" title="{title}">{match[0]}</mark>'

    return "".join(
        part if part.startswith("<") else _LITERAL_IN_OUTPUT.sub(mark, part)
        for part in _TAG.split(rendered_html)
    )


def warnings(subject: str, body_html: str, *, has_footer: bool) -> list[str]:
    """Plain-language hints about content that hurts deliverability. Never blocking."""
    found = []
    literal = literal_spintax(body_html)
    if literal:
        found.append(
            _("%(groups)s will be sent as written, not as spintax (the group is escaped).")
            % {"groups": ", ".join(f"“{g}”" for g in literal)}
        )
    text = html_to_text(body_html).lower()
    words = [w for w in SPAM_WORDS if w in text or w in subject.lower()]
    if words:
        found.append(
            _("Spam-filter trigger words: %(words)s.")
            % {"words": ", ".join(f"“{w}”" for w in words)}
        )
    links = len(re.findall(r"<a\s", body_html, flags=re.I))
    if links > MAX_LINKS:
        found.append(
            _("%(n)s links: cold emails with more than %(max)s links land in spam more often.")
            % {"n": links, "max": MAX_LINKS}
        )
    if "{{unsubscribe_url" not in body_html and not has_footer:
        found.append(
            _("No unsubscribe link: add {{unsubscribe_url}} or keep the automatic footer.")
        )
    letters = [c for c in subject if c.isalpha()]
    if len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        found.append(_("The subject is mostly capital letters."))
    if subject.count("!") >= 2 or "!!" in text:
        found.append(_("Several exclamation marks read as spam."))
    if len(subject) > 80:
        found.append(_("Subjects over 80 characters are cut off on phones."))
    if body_html and len(text.strip()) < 20:
        found.append(_("The body has almost no text."))
    return found
