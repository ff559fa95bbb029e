"""The translation is complete: no user-visible English is left unwrapped in the templates or the
apps' Python sources, every msgid has a French translation, and the committed .mo matches the .po.

Three checks, each failing with the exact file, line and text to fix:
- templates: Django's own Lexer splits each template; text outside translate tags that a reader
  would see (text nodes and the visible attributes) must contain no words;
- Python: string literals passed where Django shows them to a user (messages, form and model
  labels, validation errors, choices, admin actions, user-facing error types) must be wrapped;
- catalogue: ``makemessages`` runs into a temporary copy of the tree and every msgid it extracts
  from the apps and templates must have a non-fuzzy msgstr in ``locale/fr/LC_MESSAGES/django.po``.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parents[2]
APPS = [
    "accounts",
    "ai",
    "api",
    "billing",
    "campaigns",
    "core",
    "privacy",
    "smtp_accounts",
    "postigo",
]
LOCALE_PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"

# Attributes a reader sees or hears (screen readers); everything else is markup.
VISIBLE_ATTRIBUTES = {
    "placeholder",
    "title",
    "aria-label",
    "alt",
    "aria-description",
    "data-confirm",
    "data-copied",
}
# Words that are the same in every language: the product's name and technical identifiers.
UNTRANSLATABLE = re.compile(
    r"\b(Postigo|UTC|SMTP|IMAP|SPF|DKIM|DMARC|MX|CSV|API|URL|DNS|TLS|STARTTLS|OAuth|JSON|"
    r"Authorization: Bearer|Google|Microsoft|Gmail|Outlook|Stripe|CoinGate|OpenAI|Gemini|PDF)\b"
    r"|[\w/]+\.py\b"  # a source file named for operators
)
WORD = re.compile(r"[^\W\d_]{2,}")
# Blocks whose content is a CSS class or an id, not text.
NON_TEXT_BLOCKS = {"body_class", "nav_active", "page_id"}
# Elements whose content is code, shown as typed.
CODE_ELEMENTS = {"script", "style", "code", "kbd", "samp", "svg"}


def _has_words(text: str) -> bool:
    return bool(WORD.search(UNTRANSLATABLE.sub(" ", text)))


class _VisibleText(HTMLParser):
    """Collects the visible text and attributes of an HTML page whose template tags are blanked."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.in_code = 0

    def handle_starttag(self, tag, attrs):
        if tag in CODE_ELEMENTS:
            self.in_code += 1
        attributes = dict(attrs)
        for name, value in attrs:
            visible = name in VISIBLE_ATTRIBUTES or (
                name == "value"
                and tag == "input"
                and attributes.get("type") in {"submit", "button", "reset"}
            )
            if visible and value and _has_words(value):
                self.found.append((self.getpos()[0], f'{name}="{value.strip()}"'))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in CODE_ELEMENTS:
            self.in_code -= 1

    def handle_endtag(self, tag):
        if tag in CODE_ELEMENTS:
            self.in_code = max(0, self.in_code - 1)

    def handle_data(self, data):
        if not self.in_code and _has_words(data):
            self.found.append((self.getpos()[0], " ".join(data.split())))


def _blank_template_tags(source: str) -> str:
    """The template with every tag, variable and translated text replaced by blanks (lines kept)."""
    out: list[str] = []
    in_translation = in_comment = in_non_text = 0
    for token in Lexer(source).tokenize():
        contents = token.contents.split()
        name = contents[0] if contents else ""
        keep_lines = "\n" * token.contents.count("\n")
        if token.token_type == TokenType.BLOCK:
            if name in {"blocktranslate", "blocktrans"}:
                in_translation += 1
            elif name in {"endblocktranslate", "endblocktrans"}:
                in_translation -= 1
            elif name in {"comment", "verbatim"}:
                in_comment += 1
            elif name in {"endcomment", "endverbatim"}:
                in_comment -= 1
            elif name == "block" and len(contents) > 1 and contents[1] in NON_TEXT_BLOCKS:
                in_non_text += 1
            elif name == "endblock" and in_non_text:
                in_non_text -= 1
            out.append(
                keep_lines
            )  # nothing, so "<{% if a %}a{% else %}button{% endif %}" stays a tag
        elif token.token_type == TokenType.TEXT and not (
            in_translation or in_comment or in_non_text
        ):
            out.append(token.contents)
        else:
            out.append(" " + keep_lines)
    return "".join(out)


def _untranslated_in_template(path: Path, root: Path = ROOT) -> list[str]:
    blanked = _blank_template_tags(path.read_text(encoding="utf-8"))
    if path.suffix == ".txt":
        lines = enumerate(blanked.splitlines(), start=1)
        return [
            f"{path.relative_to(root)}:{n}: {line.strip()}" for n, line in lines if _has_words(line)
        ]
    parser = _VisibleText()
    parser.feed(blanked)
    parser.close()
    return [f"{path.relative_to(root)}:{line}: {text}" for line, text in parser.found]


def _templates() -> list[Path]:
    return sorted(p for p in (ROOT / "templates").rglob("*") if p.suffix in {".html", ".txt"})


def test_no_template_shows_untranslated_text():
    untranslated = [finding for path in _templates() for finding in _untranslated_in_template(path)]
    assert not untranslated, "Wrap these in {% translate %} / {% blocktranslate %}:\n" + "\n".join(
        untranslated
    )


def test_the_template_scanner_finds_text_attributes_and_buttons_left_in_english(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        "{% load i18n %}{% comment %}Notes for developers{% endcomment %}"
        '<h1>{% translate "Campaigns" %}</h1><p class="lead">Hello {{ name }}</p>'
        '<input placeholder="Search leads" name="q"><input type="submit" value="Save">'
        "<code>{{first_name}} stays</code>{% blocktranslate %}Fine {{ x }}{% endblocktranslate %}"
    )
    found = [finding.split(": ", 1)[1] for finding in _untranslated_in_template(page, tmp_path)]
    assert found == ["Hello", 'placeholder="Search leads"', 'value="Save"']


# --- Python sources -------------------------------------------------------------------------
GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
GETTEXT |= {"npgettext", "npgettext_lazy", "gettext_noop"}
# Keyword arguments Django renders to users (forms, models, admin).
VISIBLE_KEYWORDS = {
    "label",
    "help_text",
    "verbose_name",
    "verbose_name_plural",
    "empty_label",
    "description",
}
# Calls whose string arguments reach a user: flash messages and errors shown in forms or pages.
VISIBLE_CALLS = {
    "success",
    "error",
    "info",
    "warning",
    "add_message",
    "ValidationError",
    "add_error",
}
VISIBLE_CALLS |= {
    "ProviderError",
    "GatewayError",
    "TemplateError",
    "ReviewError",
    "NoMailboxAvailable",
}
VISIBLE_CALLS |= {"LaunchBlocked", "ImportRefused", "notify", "notification_create"}


def _is_text(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _has_words(node.value) and (" " in node.value.strip() or node.value[:1].isupper())
    if isinstance(node, ast.JoinedStr):
        return any(_is_text(v) for v in node.values if isinstance(v, ast.Constant))
    return False


# The REST API speaks English to developers, like its error codes and field names: its OpenAPI
# descriptions and problem details are documentation, not the product's pages.
DEVELOPER_FACING = ("api/api.py", "api/core.py", "api/endpoints/")


def _is_log_call(node: ast.Call) -> bool:
    """`log.warning(...)`, `logger.info(...)`: messages for the operator's logs, kept in English."""
    func = node.func
    return isinstance(func, ast.Attribute) and ast.unparse(func.value).lower().endswith(
        ("log", "logger")
    )


def _call_name(node: ast.Call) -> str:
    func = node.func
    return (
        func.id
        if isinstance(func, ast.Name)
        else func.attr
        if isinstance(func, ast.Attribute)
        else ""
    )


def _untranslated_in_python(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def report(node):
        found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)[:100]}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in GETTEXT or _is_log_call(node):
                continue
            if name in VISIBLE_CALLS:
                for arg in node.args:
                    if _is_text(arg):
                        report(arg)
            for keyword in node.keywords:
                if keyword.arg in VISIBLE_KEYWORDS and _is_text(keyword.value):
                    report(keyword.value)
        elif isinstance(node, ast.ClassDef) and any(
            isinstance(b, ast.Attribute | ast.Name)
            and ast.unparse(b).endswith(("TextChoices", "IntegerChoices"))
            for b in node.bases
        ):
            for statement in node.body:
                value = getattr(statement, "value", None)
                is_member = isinstance(statement, ast.Assign) and isinstance(value, ast.Tuple)
                if is_member and len(value.elts) > 1 and _is_text(value.elts[-1]):
                    report(value.elts[-1])
    return found


def _python_sources() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        and not str(path.relative_to(ROOT)).startswith(DEVELOPER_FACING)
    )


def test_no_python_source_shows_untranslated_text():
    untranslated = [
        finding for path in _python_sources() for finding in _untranslated_in_python(path)
    ]
    assert not untranslated, "Wrap these in gettext / gettext_lazy:\n" + "\n".join(untranslated)


def test_the_python_scanner_finds_messages_labels_errors_and_choices_left_in_english(tmp_path):
    module = tmp_path / "views.py"
    module.write_text(
        "from django.utils.translation import gettext as _\n"
        "class Status(models.TextChoices):\n"
        '    DRAFT = "draft", "Draft"\n'
        '    DONE = "done", _("Done")\n'
        'name = forms.CharField(label="Your name", help_text=_("As shown"))\n'
        'messages.success(request, f"Saved {name}.")\n'
        'log.warning("Mailbox %s failed", mailbox)\n'
        'raise ValidationError(_("Too long"))\n'
        'raise ValidationError("Too short")\n'
    )
    found = [finding.split(": ", 1)[1] for finding in _untranslated_in_python(module, tmp_path)]
    assert found == ["'Draft'", "'Your name'", "f'Saved {name}.'", "'Too short'"]


def _eager_at_import(path: Path, root: Path = ROOT) -> list[str]:
    """`gettext(...)` (not lazy) evaluated at import time: the text is frozen in whatever
    language was active then (English), whatever the reader's language."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    eager = {
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
        for alias in node.names
        if alias.name in {"gettext", "ngettext", "pgettext", "npgettext"}
    }
    found = []

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue  # runs per call, in the reader's language
            if isinstance(child, ast.Call) and getattr(child.func, "id", None) in eager:
                found.append(f"{path.relative_to(root)}:{child.lineno}: {ast.unparse(child)[:80]}")
            visit(child)

    visit(tree)
    return found


def test_no_module_translates_at_import_time():
    eager = [finding for path in _python_sources() for finding in _eager_at_import(path)]
    assert not eager, "Use gettext_lazy for module and class attributes:\n" + "\n".join(eager)


def test_the_import_time_check_finds_a_constant_translated_too_early(tmp_path):
    module = tmp_path / "steps.py"
    module.write_text(
        "from django.utils.translation import gettext as _\n"
        'TITLE = _("Leads")\n'
        "def title():\n"
        '    return _("Leads")\n'
    )
    assert [f.split(": ", 1)[1] for f in _eager_at_import(module, tmp_path)] == ["_('Leads')"]


# --- The French catalogue -------------------------------------------------------------------
# The same command the docs give (docs/TRANSLATIONS.md), run on a copy so the tree is untouched.
MAKEMESSAGES = ["makemessages", "-l", "fr", "--no-obsolete", "--add-location=file"]
COPIED = ["manage.py", "locale", "templates", *APPS]


def _gettext_tools_or_skip():
    missing = [tool for tool in ("msgfmt", "msgattrib", "xgettext") if shutil.which(tool) is None]
    if missing and os.environ.get("CI") == "true":
        pytest.fail(f"GNU gettext is missing ({', '.join(missing)}): scripts/ensure-test-tools.sh")
    if missing:
        pytest.skip(f"GNU gettext is missing: {', '.join(missing)}")


def _run(args: list[str], cwd: Path) -> str:
    env = {**os.environ, "DEBUG": "true", "PYTHONPATH": str(cwd)}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def extracted_catalogue(tmp_path_factory) -> Path:
    """The French .po as makemessages leaves it after extracting today's sources."""
    _gettext_tools_or_skip()
    copy = tmp_path_factory.mktemp("tree")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=ignore)
        else:
            shutil.copy2(source, copy / name)
    _run([sys.executable, "manage.py", *MAKEMESSAGES], cwd=copy)
    return copy / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def _entries(args: list[str], po: Path) -> str:
    return _run(["msgattrib", *args, "--no-wrap", "--no-location", str(po)], cwd=po.parent)


def test_every_message_of_the_apps_and_templates_has_a_french_translation(extracted_catalogue):
    untranslated = _entries(["--untranslated", "--no-obsolete"], extracted_catalogue)
    fuzzy = _entries(["--only-fuzzy", "--no-obsolete"], extracted_catalogue)
    missing = [line for line in (untranslated + fuzzy).splitlines() if line.startswith("msgid ")]
    missing = [line for line in missing if line != 'msgid ""']  # the header
    assert not missing, (
        f"{len(missing)} message(s) without a French translation; run the commands in "
        "docs/TRANSLATIONS.md and translate them:\n" + "\n".join(missing)
    )


def test_the_committed_catalogue_is_the_one_the_sources_produce(extracted_catalogue):
    """No msgid is missing from the committed .po, and none is left over from old sources."""
    committed = _entries(["--no-obsolete", "--no-fuzzy"], LOCALE_PO)
    extracted = _entries(["--no-obsolete", "--no-fuzzy"], extracted_catalogue)
    ids = lambda text: {line for line in text.splitlines() if line.startswith("msgid")}  # noqa: E731
    assert ids(committed) == ids(extracted), (
        f"new: {sorted(ids(extracted) - ids(committed))[:20]}\n"
        f"gone: {sorted(ids(committed) - ids(extracted))[:20]}"
    )


def test_the_committed_mo_is_compiled_from_the_committed_po(tmp_path):
    _gettext_tools_or_skip()
    fresh = tmp_path / "django.mo"
    _run(["msgfmt", "--check", "-o", str(fresh), str(LOCALE_PO)], cwd=tmp_path)
    with fresh.open("rb") as new, LOCALE_PO.with_suffix(".mo").open("rb") as committed:
        assert (
            gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(new)._catalog
        ), "locale/fr/LC_MESSAGES/django.mo is stale: run manage.py compilemessages -l fr"
