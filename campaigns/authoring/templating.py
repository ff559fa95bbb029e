"""The user template language: spintax and merge fields (DESIGN §6). Nothing else.

    {Hi|Hello|Hey} {{first_name|there}}, <quick|short> question about {{company}}.

- Spintax `{a|b}` and `<a|b>`; groups nest. A `<…>` group is spintax only when it has a
  top-level `|` and does not look like an HTML tag (no `=`, quotes or `/` in it); otherwise the
  `<` is plain text, so HTML passes through. A `{…}` group needs a `|` (one option is an error:
  literal braces are written `\\{ \\}`). A stray `}` is an error; stray `>` and `|` are text.
- Merge fields `{{name}}` and `{{name|fallback}}`; names are case-insensitive letters, digits,
  `_`, `-` and `.`; the fallback is plain text. `{{` always opens a merge field (in `{{{`, the
  first brace opens a group: no field name starts with a brace).
- `\\{ \\} \\< \\> \\|` and `\\\\` escape; any other backslash is kept as it is.

Templates cannot reach the server: no attribute access, no filters, no code. Choices are
deterministic for a seed (the message id), so preview, send and re-render agree. Merge values
are HTML-escaped in HTML mode (a `Formatted` value, the sender's signature, gives its own HTML)
and stripped of CR/LF in header mode; the template's own text is the author's and is emitted as
written.
"""

from __future__ import annotations

import bisect
import html
import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from hashlib import blake2b

from django.utils.formats import number_format
from django.utils.translation import gettext as _

MAX_LENGTH = 200_000
MAX_DEPTH = 25
ESCAPABLE = "{}<>|\\"
_SPECIAL = re.compile(r"[\\{}<>|]")
_NAME = re.compile(r"[a-z_][a-z0-9_.\-]*\Z")
_TAG_LIKE = re.compile(r"[=\"'/]")
_CRLF = re.compile(r"[\r\n]+")
_MASK = (1 << 64) - 1

TEXT, HTML, HEADER = "text", "html", "header"


class TemplateError(ValueError):
    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column

    def __str__(self) -> str:
        return f"Line {self.line}, column {self.column}: {self.message}"


@dataclass(frozen=True, slots=True)
class Merge:
    name: str
    fallback: str | None
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Spin:
    options: tuple[tuple, ...]  # each option: a tuple of nodes (str | Merge | Spin)


class _NotSpintax(Exception):
    """A `<` that does not open a spintax group: it is plain text."""


class _Parser:
    def __init__(self, source: str):
        self.s = source
        self.n = len(source)
        self._newlines = [i for i, c in enumerate(source) if c == "\n"]
        self._angle: dict[int, tuple[Spin, int] | None] = {}

    def position(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_left(self._newlines, index)
        start = self._newlines[line - 1] + 1 if line else 0
        return line + 1, index - start + 1

    def error(self, message: str, index: int) -> TemplateError:
        return TemplateError(message, *self.position(index))

    # sequence: text, merge fields and groups until one of `stops` (not consumed) or the end
    def sequence(self, i: int, stops: str, depth: int, angle: bool) -> tuple[list, int]:
        s, n = self.s, self.n
        nodes: list = []
        text: list[str] = []
        while i < n:
            match = _SPECIAL.search(s, i)
            end = match.start() if match else n
            if end > i:
                chunk = s[i:end]
                if angle and _TAG_LIKE.search(chunk):
                    raise _NotSpintax
                text.append(chunk)
                i = end
                if i >= n:
                    break
            c = s[i]
            if c in stops:
                break
            if c == "\\":
                if i + 1 < n and s[i + 1] in ESCAPABLE:
                    text.append(s[i + 1])
                    i += 2
                else:
                    text.append("\\")
                    i += 1
            elif c == "{" and s.startswith("{{", i) and not s.startswith("{{{", i):
                if text:
                    nodes.append("".join(text))
                    text = []
                merge, i = self.merge(i)
                nodes.append(merge)
            elif c == "{":
                if text:
                    nodes.append("".join(text))
                    text = []
                group, i = self.group(i, "}", depth + 1)
                nodes.append(group)
            elif c == "<":
                group = self.angle(i, depth + 1)
                if group is None:
                    text.append("<")
                    i += 1
                else:
                    if text:
                        nodes.append("".join(text))
                        text = []
                    nodes.append(group[0])
                    i = group[1]
            elif c == "}":
                raise self.error(_("“}” closes nothing. Write \\} for a literal brace."), i)
            else:  # ">" or "|" outside a group of their own: plain text
                text.append(c)
                i += 1
        if text:
            nodes.append("".join(text))
        return nodes, i

    def group(self, start: int, close: str, depth: int) -> tuple[Spin, int]:
        if depth > MAX_DEPTH:
            if close == ">":  # too deep to be anyone's spintax: these `<` are text
                raise _NotSpintax
            raise self.error(
                _("Spintax is nested more than %(depth)d levels deep.") % {"depth": MAX_DEPTH},
                start,
            )
        angle = close == ">"
        options = []
        i = start + 1
        while True:
            nodes, i = self.sequence(i, "|" + close, depth, angle)
            options.append(tuple(nodes))
            if i >= self.n:
                if angle:
                    raise _NotSpintax
                raise self.error(
                    _("This “{” is never closed: add “}”, or write \\{ for a literal brace."), start
                )
            if self.s[i] == "|":
                i += 1
                continue
            i += 1  # the closer
            break
        if len(options) < 2:
            if angle:
                raise _NotSpintax
            raise self.error(
                _(
                    "A spintax group needs at least two options separated by “|”. "
                    "Write \\{ and \\} for literal braces."
                ),
                start,
            )
        return Spin(tuple(options)), i

    def angle(self, start: int, depth: int) -> tuple[Spin, int] | None:
        """A `<…|…>` group, or None when this `<` is plain text (memoised: linear time)."""
        if start not in self._angle:
            try:
                self._angle[start] = self.group(start, ">", depth)
            except _NotSpintax:
                self._angle[start] = None
        return self._angle[start]

    def merge(self, start: int) -> tuple[Merge, int]:
        end = self.s.find("}}", start + 2)
        body = self.s[start + 2 : end] if end >= 0 else ""
        if end < 0 or any(mark in body for mark in ("{{", "\n", "<", ">")):
            # A "}}" further on belongs to something else: say where this one went unclosed.
            raise self.error(_("This merge field is never closed: add “}}”."), start)
        name, bar, fallback = body.partition("|")
        name = name.strip().lower()
        line, column = self.position(start)
        if not name:
            raise TemplateError(
                _("This merge field has no name, e.g. {{first_name}}."), line, column
            )
        if not _NAME.match(name):
            raise TemplateError(
                _("“%(name)s” is not a field name: use letters, digits and _ (e.g. first_name).")
                % {"name": name[:40]},
                line,
                column,
            )
        if "{" in fallback:
            raise TemplateError(
                _("A fallback is plain text on one line; it cannot hold spintax or merge fields."),
                line,
                column,
            )
        return Merge(name, fallback if bar else None, line, column), end + 2


@dataclass(frozen=True)
class Template:
    source: str
    nodes: tuple

    @property
    def fields(self) -> dict[str, bool]:
        """Every merge field name -> whether all its uses have a fallback."""
        found: dict[str, bool] = {}
        for merge in _merges(self.nodes):
            found[merge.name] = found.get(merge.name, True) and merge.fallback is not None
        return found

    def unresolved(self, values: Mapping[str, str]) -> list[str]:
        """Fields this lead has no value for and that have no fallback."""
        return [
            name
            for name, has_fallback in self.fields.items()
            if not has_fallback and not values.get(name)
        ]

    def combinations(self) -> int:
        return _count(self.nodes)

    def render(
        self,
        values: Mapping[str, str],
        *,
        seed: object = 0,
        mode: str = TEXT,
        mark_missing: bool = False,
    ) -> str:
        out: list[str] = []
        state = [_seed_state(seed)] if self.has_spintax else None
        _render(self.nodes, values, state, out, mode, mark_missing)
        text = "".join(out)
        if mode == HEADER:
            text = _CRLF.sub(" ", text)
        return text

    @property
    def has_spintax(self) -> bool:
        return any(isinstance(node, Spin) for node in self.nodes)

    def variations(
        self, values: Mapping[str, str] | None = None, mode: str = TEXT
    ) -> Iterator[str]:
        """Every possible output (for small templates: it is as long as `combinations()`)."""
        for parts in _expand(self.nodes, values or {}, mode):
            text = "".join(parts)
            yield _CRLF.sub(" ", text) if mode == HEADER else text


def parse(source: str) -> Template:
    """Parse a template; raises TemplateError with the line and column of the first problem."""
    if len(source) > MAX_LENGTH:
        limit = number_format(MAX_LENGTH, force_grouping=True)
        raise TemplateError(
            _("The template is longer than %(limit)s characters.") % {"limit": limit}, 1, 1
        )
    return _parse_cached(source)


@lru_cache(maxsize=512)
def _parse_cached(source: str) -> Template:
    parser = _Parser(source)
    nodes, _end = parser.sequence(0, "", 0, False)
    return Template(source, tuple(nodes))


def escape(text: str) -> str:
    """Literal text as a template that renders back to exactly this text."""
    return re.sub(r"([\\{}<>|])", r"\\\1", text)


# --- rendering -----------------------------------------------------------------------------


def _seed_state(seed: object) -> int:
    return int.from_bytes(blake2b(str(seed).encode(), digest_size=8).digest(), "big")


def _pick(state: list[int], n: int) -> int:
    """splitmix64: a tiny, well-mixed deterministic generator."""
    z = state[0] = (state[0] + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return (z ^ (z >> 31)) % n


class Formatted(str):
    """A value that has its own HTML, such as a mailbox's signature: the HTML body takes `html`
    as it is (the sender's own markup, not a lead's data), text and headers take the string."""

    html: str

    def __new__(cls, text: str, *, html: str) -> Formatted:
        value = super().__new__(cls, text)
        value.html = html
        return value


def _value(merge: Merge, values: Mapping[str, str], mode: str, mark_missing: bool) -> str:
    value = values.get(merge.name)
    if value:
        if mode == HTML and isinstance(value, Formatted):
            return value.html
        value = str(value)
        if mode == HTML:
            return html.escape(value)
        if mode == HEADER:
            return _CRLF.sub(" ", value)
        return value
    if merge.fallback is not None:
        return merge.fallback
    if mark_missing:
        marker = "{{" + merge.name + "}}"
        return f'<mark class="unresolved">{marker}</mark>' if mode == HTML else marker
    return ""


def _render(nodes, values, state, out, mode, mark_missing) -> None:
    for node in nodes:
        if node.__class__ is str:
            out.append(node)
        elif node.__class__ is Merge:
            out.append(_value(node, values, mode, mark_missing))
        else:
            options = node.options
            _render(options[_pick(state, len(options))], values, state, out, mode, mark_missing)


def _expand(nodes, values, mode) -> Iterator[list[str]]:
    choices = []
    for node in nodes:
        if node.__class__ is str:
            choices.append([[node]])
        elif node.__class__ is Merge:
            choices.append([[_value(node, values, mode, False)]])
        else:
            choices.append(
                [parts for option in node.options for parts in _expand(option, values, mode)]
            )
    for combo in itertools.product(*choices):
        yield [part for parts in combo for part in parts]


def _count(nodes) -> int:
    total = 1
    for node in nodes:
        if node.__class__ is Spin:
            total *= sum(_count(option) for option in node.options)
    return total


def _merges(nodes) -> Iterator[Merge]:
    for node in nodes:
        if node.__class__ is Merge:
            yield node
        elif node.__class__ is Spin:
            for option in node.options:
                yield from _merges(option)
