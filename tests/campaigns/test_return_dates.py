"""The out-of-office return date, over every date it may name and every way of writing it.

Each language's sentences are written here with the month names people use (full, in the
grammatical case the sentence needs), independently of the parser's own table."""

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.inbox.out_of_office import MAX_AHEAD, return_date

MONTH_NAMES = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
    "dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro "
    "dezembro",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października "
    "listopada grudnia",  # genitive: "do 8 stycznia"
}
MONTHS = {language: names.split() for language, names in MONTH_NAMES.items()}

SENTENCES = [
    ("en", "I am out of the office and back on {d} {month}."),
    ("en", "I will return on {month} {d}, {year}. For urgent matters call Jane."),
    ("en", "Out until {iso}."),
    ("de", "Ab {d}. {month} bin ich wieder im Büro."),
    ("de", "Ich bin bis {dd}.{mm}.{year} nicht im Büro."),
    ("de", "Ab dem {d}. {month} bin ich wieder erreichbar."),
    ("de", "Zurück am {dd}.{mm}."),
    ("fr", "À partir du {d} {month}, je serai au bureau."),
    ("fr", "Je suis absent jusqu'au {d} {month} inclus."),
    ("fr", "De retour le {d} {month} {year}."),
    ("es", "A partir del {d} de {month} estaré en la oficina."),
    ("es", "Estoy de vacaciones hasta el {d} de {month}."),
    ("es", "Regreso el {d} de {month} de {year}."),
    ("it", "A partire dal {d} {month} sarò in ufficio."),
    ("it", "Sono in ferie, rientro il {d} {month}."),
    ("it", "Fuori ufficio fino al {dd}/{mm}."),
    ("nl", "Ik ben afwezig tot en met {d} {month}."),
    ("nl", "Vanaf {d} {month} ben ik weer terug."),
    ("pt", "A partir de {d} de {month} estarei no escritório."),
    ("pt", "Estou de férias até {d} de {month}."),
    ("pt", "Retorno em {d} de {month} de {year}."),
    ("pl", "Od {d} {month} jestem w biurze."),
    ("pl", "Jestem na urlopie do {d} {month}."),
    ("pl", "Wracam {dd}.{mm}.{year}."),
]

received_dates = st.dates(datetime.date(2025, 1, 1), datetime.date(2030, 12, 31))


@settings(max_examples=400)
@given(received_dates, st.integers(1, MAX_AHEAD.days), st.sampled_from(SENTENCES))
def test_a_written_return_date_is_found(received, ahead, sentence):
    back = received + datetime.timedelta(days=ahead)
    language, template = sentence
    text = template.format(
        d=back.day,
        dd=f"{back.day:02}",
        mm=f"{back.month:02}",
        month=MONTHS[language][back.month - 1],
        year=back.year,
        iso=back.isoformat(),
    )
    assert return_date(text, received) == back, text


@settings(max_examples=300)
@given(received_dates, st.text(max_size=400))
def test_any_text_gives_none_or_a_date_ahead(received, text):
    found = return_date(text, received)
    assert found is None or received < found <= received + MAX_AHEAD
