"""Reading lead CSV files as people export them: any common encoding and delimiter, quoted
newlines, empty rows; and guessing which column is which from the header."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from campaigns.models import STANDARD_FIELDS

MAX_BYTES = 50 * 1024 * 1024
# A row wider than this is not a lead list (a 100,000-column file rendered a 60 MB mapping
# page); a cell longer than the csv module's own limit cannot be read at all.
MAX_COLUMNS = 300
MAX_CELL = csv.field_size_limit()  # 131,072 characters
DELIMITERS = (",", ";", "\t", "|")
# Mapping targets besides the template fields: tags, and "" (skip the column).
TARGETS = (*STANDARD_FIELDS, "tags")
SYNONYMS = {
    "email": {"email", "emailaddress", "mail", "workemail", "businessemail", "emailid", "correo"},
    "first_name": {"firstname", "first", "givenname", "forename", "vorname", "prenom", "nombre"},
    "last_name": {"lastname", "last", "surname", "familyname", "nachname", "nom", "apellido"},
    "company": {"company", "companyname", "organization", "organisation", "account", "firma"},
    "title": {"title", "jobtitle", "position", "role", "jobrole", "job"},
    "website": {"website", "url", "web", "domain", "companywebsite", "site", "companyurl"},
    "phone": {"phone", "phonenumber", "mobile", "tel", "telephone", "mobilephone", "cell"},
    "timezone": {"timezone", "tz", "timezonename"},
    "tags": {"tags", "tag", "labels"},
}
_CUSTOM_KEY = re.compile(r"[^a-z0-9_]+")


class CsvFileError(ValueError):
    """The upload cannot be read as a CSV file; the message says why, for the user."""


@dataclass
class CsvFile:
    text: str
    encoding: str
    delimiter: str
    header: list[str]
    total_rows: int  # data rows after the header, empty rows included


def decode(data: bytes) -> tuple[str, str]:
    if not data.strip():
        raise CsvFileError(_("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        raise CsvFileError(
            _(
                "This is an Excel workbook (or another zip file), not CSV. In Excel choose File → "
                "Save As → CSV UTF-8, then upload that file."
            )
        )
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise CsvFileError(_("This is an old Excel (.xls) file, not CSV. Save it as CSV first."))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise CsvFileError(_("The file says it is UTF-16 but is not.")) from exc
    if b"\x00" in data[:65536]:
        raise CsvFileError(_("This looks like a binary file, not a CSV text file."))
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same, largest number of cells."""
    sample = text[:65536]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        counts = []
        try:
            for i, row in enumerate(
                csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            ):
                if i >= 30:
                    break
                if any(cell.strip() for cell in row):
                    counts.append(len(row))
        except csv.Error:
            continue
        if not counts:
            continue
        width, agreeing = Counter(counts).most_common(1)[0]
        score = (agreeing if width > 1 else 0, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it — the header is row 1, cells) for each data row."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if number > 1:
                yield number, cells
    except csv.Error as exc:
        raise CsvFileError(_unreadable(number + 1, exc)) from exc


def _unreadable(row: int, exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return _(
            "Row %(row)s has a cell longer than %(max)s characters, the most a cell may hold."
        ) % {"row": row, "max": number_format(MAX_CELL, force_grouping=True)}
    return _("Row %(row)s cannot be read: %(error)s.") % {"row": row, "error": exc}


def read(data: bytes) -> CsvFile:
    if len(data) > MAX_BYTES:
        raise CsvFileError(
            _("The file is larger than %(mb)s MB; split it into smaller files.")
            % {"mb": MAX_BYTES // (1024 * 1024)}
        )
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next((row for row in reader if any(c.strip() for c in row)), None)
    except csv.Error as exc:
        raise CsvFileError(_unreadable(1, exc)) from exc
    if header is None:
        raise CsvFileError(_("The file has no rows."))
    header = [cell.strip() for cell in header]
    if len(header) > MAX_COLUMNS:
        raise CsvFileError(
            _(
                "The file has %(n)s columns; at most %(max)s can be imported. Remove the "
                "columns you do not need and upload it again."
            )
            % {"n": number_format(len(header), force_grouping=True), "max": MAX_COLUMNS}
        )
    if len(header) < 1 or not any(header):
        raise CsvFileError(_("The first row must name the columns (e.g. Email, First Name)."))
    # Anything before the header row (blank lines) is dropped, so row numbers start at it.
    text = text[_offset_of_header(text, delimiter) :]
    total = sum(1 for _row in rows(text, delimiter))
    return CsvFile(text, encoding, delimiter, header, total)


def _offset_of_header(text: str, delimiter: str) -> int:
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.strip().strip(delimiter).strip():
            return offset
        offset += len(line)
    return 0


def _simplify(name: str) -> str:
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", name)


def custom_key(header: str) -> str:
    """A template-safe key for a column that is no standard field ("Lead Source" → lead_source)."""
    name = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().lower()
    key = _CUSTOM_KEY.sub("_", name).strip("_")[:50]
    if not key or key[0].isdigit():
        key = f"field_{key}" if key else "field"
    return key


def guess_mapping(header: list[str]) -> list[str]:
    """A target per column: a standard field, "custom:<key>", or "" for empty headers."""
    mapping: list[str] = []
    taken: set[str] = set()
    for name in header:
        simple = _simplify(name)
        target = next((f for f, words in SYNONYMS.items() if simple in words), None)
        if target is None and "email" in simple and "email" not in taken:
            target = "email"
        if target and target not in taken:
            taken.add(target)
            mapping.append(target)
        elif name.strip():
            key, n = custom_key(name), 1
            while key in TARGETS or f"custom:{key}" in taken:
                n += 1
                key = f"{custom_key(name)}_{n}"
            taken.add(f"custom:{key}")
            mapping.append(f"custom:{key}")
        else:
            mapping.append("")
    return mapping
