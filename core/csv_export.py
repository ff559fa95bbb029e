"""CSV downloads: written row by row as the response streams, so a large export holds one chunk
of rows in memory, and with every cell that a spreadsheet would run as a formula defused."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable

from django.http import StreamingHttpResponse

# Cells starting with these are formulas to spreadsheet programs (CSV injection, OWASP): they
# get a leading apostrophe, which the spreadsheet shows as text. Spreadsheets skip leading
# spaces (and some control characters) before deciding, so " =1+1" is a formula too; the
# full-width signs are read as their ASCII selves by some of them.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA = re.compile(r"[\s\x00-\x1f]*[=+\-@\uff1d\uff0b\uff0d\uff20]|[\t\r]")


def is_formula(text: str) -> bool:
    return bool(_FORMULA.match(text))


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if is_formula(text) else text


def restore_cell(text: str) -> str:
    """What `safe_cell` was given: a cell read back from one of our exports loses the
    apostrophe that defused it (so an exported "+tag@x.example" imports as itself)."""
    if text.startswith("'") and is_formula(text[1:]):
        return text[1:]
    return text


class _Echo:
    """A file whose write returns the line, so csv.writer produces the chunks to stream."""

    def write(self, value):
        return value


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    """A download of `header` and then `rows`, each cell made safe; `rows` is consumed lazily."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([safe_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
