"""The built-in reply classifier and the out-of-office return date: plain rules, eight languages.

`classify` gives a reply one label from its new text (quoted history already removed) and
subject. The rules go from the most consequential down: a request to stop writing wins over
everything, an out-of-office over an auto-reply, "not interested" over "interested" (which it
contains). It is deterministic on purpose — the AI issue adds a provider-based classifier on top
of the same labels, and people's corrections are kept (`Reply.labelled_by_user`).

`return_date` finds when an out-of-office sender is back ("back on 3 March", "zurück am
03.03.", "jusqu'au 5 janvier"), so the next follow-up can wait until then.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from campaigns.models import Reply

Label = Reply.Label


def _fold(text: str) -> str:
    """Lower case without accents, whitespace collapsed: "Nächste  Woche" -> "nachste woche"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _phrases(*items: str) -> re.Pattern:
    return re.compile(r"\b(" + "|".join(re.escape(_fold(i)) for i in items) + r")")


UNSUBSCRIBE = _phrases(
    "unsubscribe", "remove me", "take me off", "stop emailing", "stop sending", "stop writing",
    "do not contact", "don't contact", "dont contact", "do not email", "don't email me",
    "opt out", "opt-out",
    "abmelden", "austragen", "keine weiteren e-mails", "keine e-mails mehr",
    "nicht mehr kontaktieren",
    "desinscri", "ne plus recevoir", "retirez-moi", "ne me contactez plus",
    "darme de baja", "dar de baja", "no me escriba", "no me contacte",
    "cancellami", "non contattarmi", "non scrivermi", "rimuovetemi",
    "afmelden", "uitschrijven", "haal mij van", "niet meer mailen",
    "wypisz", "wypisac", "prosze nie pisac", "nie kontaktowac",
    "descadastr", "nao quero receber", "remova meu", "nao me contate",
    "remove this address", "remove my address", "remove my email", "from your database",
    "from your list", "from future emails", "verteiler", "retirer de votre liste",
)  # fmt: skip
OUT_OF_OFFICE = _phrases(
    "out of office", "out of the office", "on vacation", "on holiday", "on leave",
    "annual leave", "parental leave", "away from the office", "limited access to email",
    "abwesend", "nicht im buro", "im urlaub", "ausser haus", "nicht erreichbar",
    "absent du bureau", "en conge", "en vacances", "absente du bureau",
    "fuera de la oficina", "de vacaciones", "ausente",
    "fuori ufficio", "in ferie", "assente",
    "afwezig", "niet op kantoor", "met vakantie",
    "poza biurem", "na urlopie", "nieobecn",
    "fora do escritorio", "de ferias", "ausente do escritorio",
)  # fmt: skip
NOT_INTERESTED = _phrases(
    "not interested", "no interest", "no thanks", "no thank you", "not a fit", "not a good fit",
    "not relevant", "isn't relevant", "we're all set", "we are all set", "not at this time",
    "not right now", "already have a", "not for us", "pass on this", "we'll pass", "not looking",
    "no budget", "don't need", "do not need", "no need", "happy with what", "not buying",
    "not the right fit", "but no", "nope", "don't do",
    "brauchen wir nicht", "aber nein", "ne nous concerne pas", "pero no", "ma no", "maar nee",
    "ale nie", "mas nao", "nao temos interesse", "sem interesse",
    "kein interesse", "nicht interessiert", "kein bedarf", "nein danke",
    "pas interesse", "pas interessee", "non merci", "pas besoin",
    "no estamos interesados", "no me interesa", "no gracias", "no nos interesa",
    "non siamo interessati", "non mi interessa", "no grazie",
    "geen interesse", "niet geinteresseerd", "nee bedankt",
    "nie jestem zainteresowan", "nie jestesmy zainteresowan", "nie dziekuje",
    "nao tenho interesse", "nao estamos interessados", "nao obrigad",
)  # fmt: skip
INTERESTED = _phrases(
    "interested", "sounds good", "sounds interesting", "sounds great", "let's talk",
    "lets talk", "let's chat", "set up a call", "schedule a call", "book a call", "hop on a call",
    "send me more", "tell me more", "more information", "more details", "happy to chat",
    "call me", "when are you free", "what times work", "calendar", "send over", "demo",
    "open to a", "keen to", "love to see", "could be useful", "pricing", "share a deck",
    "one-pager", "slots", "let's find", "loop in", "could help us",
    "gerne", "klingt gut", "klingt interessant", "interessant", "termin", "rufen sie mich",
    "interesse", "volontiers", "avec plaisir", "appelez-moi",
    "me interesa", "hablemos", "con gusto", "llamame",
    "mi interessa", "volentieri", "sentiamoci",
    "geinteresseerd", "graag", "bel me",
    "zainteresowan", "chetnie", "prosze o kontakt", "prosze przeslac", "wiecej szczegolow",
    "interessado", "interessada", "com prazer", "me ligue", "envie mais", "me envie",
    "laten we", "bellen",
)  # fmt: skip


def classify(text: str, subject: str = "", *, auto: bool = False) -> str:
    body = _fold(text)
    if UNSUBSCRIBE.search(body):
        return Label.UNSUBSCRIBE
    if OUT_OF_OFFICE.search(body) or OUT_OF_OFFICE.search(_fold(subject)):
        return Label.OUT_OF_OFFICE
    if auto:
        return Label.AUTO_REPLY
    if NOT_INTERESTED.search(body):
        return Label.NOT_INTERESTED
    if INTERESTED.search(body):
        return Label.INTERESTED
    return Label.NEUTRAL


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
    r"(back|return|returning|until|till|through|zuruck|wieder|bis|ab dem|retour|jusqu|"
    r"de retour|hasta|regreso|vuelvo|fino|rientro|rientrero|terug|tot en met|tot|"
    r"powrot|wracam|do dnia|ate|retorno|volto)"
)
_DAY = r"(?P<day>[0-3]?\d)(st|nd|rd|th|er|\.|º)?"
_YEAR = r"(?P<year>20\d\d)"
_PATTERNS = [
    re.compile(_BACK + r"\D{0,25}?\b" + rf"{_YEAR}-(?P<month>\d\d)-(?P<day>\d\d)"),
    re.compile(_BACK + r"\D{0,25}?\b" + r"(?P<day>[0-3]?\d)[./](?P<month>[01]?\d)[./]?"
               + rf"({_YEAR}|(?P<short>\d\d)\b)?"),
    re.compile(_BACK + r"\D{0,25}?\b" + _DAY + r"\s*(de\s+)?" + _MONTH + rf"(\s+(de\s+)?{_YEAR})?"),
    re.compile(_BACK + r"\D{0,25}?\b" + _MONTH + r"\s+" + _DAY + rf"(,?\s+{_YEAR})?"),
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
    month_text = parts["month"]
    month = int(month_text) if month_text.isdigit() else _month(month_text)
    if not month:
        return None
    day = int(parts["day"])
    if parts.get("year"):
        years = [int(parts["year"])]
    elif parts.get("short"):
        years = [2000 + int(parts["short"])]
    else:  # no year written: this year, or next year once the date has passed
        years = [received.year, received.year + 1]
    for year in years:
        try:
            candidate = datetime.date(year, month, day)
        except ValueError:
            return None
        if received < candidate <= received + MAX_AHEAD:
            return candidate
    return None


def _month(word: str) -> int | None:
    for length in range(len(word), 2, -1):
        if word[:length] in _MONTH_WORD:
            return _MONTH_WORD[word[:length]]
    return None
