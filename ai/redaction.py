"""Redaction before anything leaves (DESIGN invariant 5): recipients' data never reaches a provider.

A `Redactor` replaces, in every text sent to a remote provider, the lead's known values (names,
email, phone, company, website, custom fields — passed by the caller, since ai never reads
campaigns' models), then any email address, phone number and URL query string, by neutral
placeholders like `[EMAIL_1]`. The same value always gets the same placeholder within one call,
so a model can still tell "the same person" apart. `restore` puts the originals back into an
answer where generation needs them (the user's own phone number in a signature, say).
Merge fields (`{{first_name}}`) and spintax are not data and are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A phone number: an optional +, then 7 to 15 digits with spaces, dots, dashes or brackets.
PHONE = re.compile(r"(?<![\w/=.-])\+?\(?\d[\d\s().-]{5,}\d(?![\w/-])")
URL_QUERY = re.compile(r"(https?://[^\s?#<>\"']+)\?[^\s#<>\"']+", re.I)
DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
MERGE_FIELD = re.compile(r"\{\{[^{}]*\}\}")
PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|LEAD|QUERY)_\d+\]")
# Single characters are not redacted as known values: "A" or "J" would eat words.
MIN_KNOWN = 2


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


class Redactor:
    """Replace personal data by placeholders; remember them to restore an answer."""

    def __init__(self, known_values: Iterable[str] = ()):
        values = {str(v).strip() for v in known_values if v is not None}
        values = {v for v in values if len(v) >= MIN_KNOWN}
        self._known = sorted(values, key=len, reverse=True)
        self._known_pattern = (
            re.compile(
                r"(?<!\w)(" + "|".join(re.escape(v) for v in self._known) + r")(?!\w)",
                re.IGNORECASE,
            )
            if self._known
            else None
        )
        self._by_value: dict[tuple[str, str], str] = {}
        self.originals: dict[str, str] = {}

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value.casefold())
        if key not in self._by_value:
            count = sum(1 for k in self._by_value if k[0] == kind) + 1
            placeholder = f"[{kind}_{count}]"
            self._by_value[key] = placeholder
            self.originals[placeholder] = value
        return self._by_value[key]

    def redact(self, text: str) -> str:
        if not text:
            return text
        # Merge fields are kept verbatim: set them aside so no rule touches them.
        kept: list[str] = []

        def keep(match: re.Match) -> str:
            kept.append(match.group(0))
            return f"\x00{len(kept) - 1}\x00"

        text = MERGE_FIELD.sub(keep, text)
        # Known values first: a lead's email must become a known-value placeholder even though
        # it also looks like an address, and a company name inside an address goes with it.
        text = EMAIL.sub(lambda m: self._placeholder("EMAIL", m.group(0)), text)
        if self._known_pattern is not None:
            text = self._known_pattern.sub(lambda m: self._placeholder("LEAD", m.group(0)), text)
        text = URL_QUERY.sub(lambda m: m.group(1) + "?" + self._placeholder("QUERY", m.group(0)),
                             text)  # fmt: skip
        text = PHONE.sub(
            lambda m: self._placeholder("PHONE", m.group(0))
            if _digits(m.group(0)) >= 7 and not DATE.fullmatch(m.group(0).strip())
            else m.group(0),
            text,
        )  # fmt: skip
        return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)

    def restore(self, text: str) -> str:
        """Put the original values back where the answer kept a placeholder."""
        if not text or not self.originals:
            return text

        def back(match: re.Match) -> str:
            original = self.originals.get(match.group(0), match.group(0))
            if match.group(0).startswith("[QUERY_"):
                return original.split("?", 1)[1] if "?" in original else original
            return original

        return PLACEHOLDER.sub(back, text)
