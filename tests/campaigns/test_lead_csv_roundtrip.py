"""Any table a spreadsheet can export comes back cell for cell: every encoding and delimiter we
detect, quoted delimiters, quotes and line breaks inside cells, either line ending, empty cells.
"""

import csv
import io

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from campaigns.leads.csv_reader import DELIMITERS, read, rows

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252")


@st.composite
def tables(draw):
    delimiter = draw(st.sampled_from(DELIMITERS))
    others = "".join(d for d in DELIMITERS if d != delimiter)
    # Cells may hold anything a spreadsheet cell holds (quotes, this file's own delimiter, line
    # breaks), but not the other candidate delimiters: with those, which one the file uses is a
    # guess by nature.
    cell = st.text(st.characters(exclude_characters=others + "\x00", codec="utf-8"), max_size=20)
    name = cell.filter(lambda text: text.strip())  # a column's name: not blank
    header = draw(st.lists(name, min_size=1, max_size=5))
    body = draw(st.lists(st.lists(cell, min_size=len(header), max_size=len(header)), max_size=8))
    return delimiter, header, body


@settings(max_examples=300, deadline=None)
@given(tables(), st.sampled_from(ENCODINGS), st.sampled_from(["\r\n", "\n"]))
def test_a_table_comes_back_cell_for_cell(table, encoding, line_end):
    delimiter, header, body = table
    # Python's writer quotes only the characters of its own line ending: a lone CR in a cell of
    # a "\n" file would go out unquoted (a spreadsheet quotes it).
    assume(line_end == "\r\n" or not any("\r" in cell for row in [header, *body] for cell in row))
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(body)
    text = out.getvalue()
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    if encoding == "cp1252":  # the same bytes as valid UTF-8 would be read as UTF-8, rightly
        assume(text.isascii() or not _is_utf8(data))
    parsed = read(data)
    assert parsed.header == [name.strip() for name in header]
    assert [cells for _number, cells in rows(parsed.text, parsed.delimiter)] == body
    assert parsed.total_rows == len(body)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
