"""The out-of-office return date: when a sender is back, in eight languages.

`return_date` finds when an out-of-office sender is back ("back on 3 March", "zurück am
03.03.", "jusqu'au 5 janvier"), so the next follow-up can wait until then. The reply classifier
that used to live here is the ai app's local provider (`ai/providers/local.py`).
"""

from __future__ import annotations

import datetime
import re

from ai.labels import fold as _fold

# --- out-of-office return date --------------------------------------------------------------------

MONTHS = {
    1: ("january", "jan", "januar", "janvier", "enero", "gennaio", "januari", "stycz", "janeiro"),
    2: ("february", "feb", "februar", "fevrier", "febrero", "febbraio", "februari", "lut",
        "fevereiro"),
    3: ("march", "mar", "marz", "mars", "marzo", "maart", "marc", "marco"),
    4: ("april", "apr", "avril", "abril", "aprile", "kwie"),
    5: ("may", "mai", "mayo", "maggio", "mei", "maj", "maio"),
    6: ("june", "jun", "juni", "juin", "junio", "giugno", "czerw", "junho"),
    7: ("july", "jul", "juli", "juillet", "julio", "luglio", "lip", "julho"),
    8: ("august", "aug", "aout", "agosto", "augustus", "sierp"),
    9: ("september", "sep", "sept", "septembre", "septiembre", "settembre", "wrze", "setembro"),
    10: ("october", "oct", "oktober", "octobre", "octubre", "ottobre", "pazdz", "outubro", "okt"),
    11: ("november", "nov", "novembre", "noviembre", "listop", "novembro"),
    12: ("december", "dec", "dezember", "decembre", "diciembre", "dicembre", "grud", "dezembro",
         "dez"),
}  # fmt: skip
_MONTH_WORD = {name: number for number, names in MONTHS.items() for name in names}
_MONTH = r"(?P<month>[a-z]{3,10})\.?"
# Words announcing the return: back, until, returning… in the eight languages.
_BACK = (
    r"(back|return|returning|until|till|through|zuruck|wieder|bis|retour|jusqu|"
    r"de retour|hasta|regreso|vuelvo|fino|rientro|rientrero|terug|tot en met|tot|"
    r"powrot|wracam|do dnia|\bdo\b|ate|retorno|volto)"
)
# "From (the day)…": the return when it is the only date ("ab dem 3. März wieder da"), the
# start of the absence in "vanaf 1 maart tot 10 maart", so asked only when no `_BACK` date is.
_FROM = r"(ab dem|\bab\b|a partir|vanaf|\bod\b)"
_DAY = r"(?P<day>[0-3]?\d)(st|nd|rd|th|er|\.|º)?"
_YEAR = r"(?P<year>20\d\d)"


def _dates_after(words: str) -> list[re.Pattern]:
    return [
        re.compile(words + r"\D{0,25}?\b" + rf"{_YEAR}-(?P<month>\d\d)-(?P<day>\d\d)"),
        re.compile(words + r"\D{0,25}?\b" + r"(?P<day>[0-3]?\d)[./](?P<month>[01]?\d)[./]?"
                   + rf"({_YEAR}|(?P<short>\d\d)\b)?"),
        re.compile(words + r"\D{0,25}?\b" + _DAY + r"\s*(de\s+)?" + _MONTH
                   + rf"(\s+(de\s+)?{_YEAR})?"),
        re.compile(words + r"\D{0,25}?\b" + _MONTH + r"\s+" + _DAY + rf"(,?\s+{_YEAR})?"),
    ]  # fmt: skip


_PATTERNS = [
    *_dates_after(_BACK),
    # A day alone: "until the 20th", "bis zum 20." — the next 20th.
    re.compile(r"\b(until|till|through|back on|bis zum)\s+(the\s+)?(?P<day>[0-3]?\d)"
               r"(st|nd|rd|th|\.)(?!\s*\d)"),
    *_dates_after(_FROM),
]  # fmt: skip
MAX_AHEAD = datetime.timedelta(days=120)


def return_date(text: str, received: datetime.date) -> datetime.date | None:
    """The first plausible return date after `received` (at most 120 days ahead), or None."""
    folded = _fold(text)
    for pattern in _PATTERNS:
        for match in pattern.finditer(folded):
            found = _date(match, received)
            if found is not None:
                return found
    return None


def _date(match: re.Match, received: datetime.date) -> datetime.date | None:
    parts = match.groupdict()
    day = int(parts["day"])
    if "month" not in parts:  # a day alone: this month's, or next month's once it has passed
        month = received.month if day > received.day else received.month % 12 + 1
        year = received.year + (month < received.month)
        return _date_in(year, month, day, received)
    month_text = parts["month"]
    month = int(month_text) if month_text.isdigit() else _month(month_text)
    if not month:
        return None
    if parts.get("year"):
        years = [int(parts["year"])]
    elif parts.get("short"):
        years = [2000 + int(parts["short"])]
    else:  # no year written: this year, or next year once the date has passed
        years = [received.year, received.year + 1]
    for year in years:
        if found := _date_in(year, month, day, received):
            return found
    return None


def _date_in(year: int, month: int, day: int, received: datetime.date) -> datetime.date | None:
    try:
        candidate = datetime.date(year, month, day)
    except ValueError:  # "45 March", "until the 31st" in a 30-day month
        return None
    return candidate if received < candidate <= received + MAX_AHEAD else None


def _month(word: str) -> int | None:
    for length in range(len(word), 2, -1):
        if word[:length] in _MONTH_WORD:
            return _MONTH_WORD[word[:length]]
    return None
