"""The built-in classifier and return dates, in the eight languages the issue names."""

import datetime

import pytest

from ai.providers.local import classify
from campaigns.inbox.out_of_office import return_date

RECEIVED = datetime.date(2026, 11, 24)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Sounds interesting, can we talk on Thursday?", "interested"),
        ("Tell me more — what does it cost?", "interested"),
        ("Gerne, rufen Sie mich nächste Woche an.", "interested"),
        ("Volontiers, appelez-moi demain.", "interested"),
        ("Me interesa, hablemos el lunes.", "interested"),
        ("Mi interessa, sentiamoci.", "interested"),
        ("Graag, bel me morgen.", "interested"),
        ("Chętnie, proszę o kontakt.", "interested"),
        ("Tenho interesse, me ligue.", "interested"),
        ("Not interested, thanks.", "not_interested"),
        ("We're all set, but thank you.", "not_interested"),
        ("Kein Interesse.", "not_interested"),
        ("Pas intéressé, merci.", "not_interested"),
        ("No estamos interesados.", "not_interested"),
        ("Non siamo interessati.", "not_interested"),
        ("Geen interesse.", "not_interested"),
        ("Nie jesteśmy zainteresowani.", "not_interested"),
        ("Não temos interesse... não obrigado.", "not_interested"),
        ("Please remove me from your list.", "unsubscribe"),
        ("Not interested. Stop emailing me.", "unsubscribe"),
        ("Bitte austragen.", "unsubscribe"),
        ("Ne me contactez plus.", "unsubscribe"),
        ("I'm out of the office until Monday.", "out_of_office"),
        ("Who is this?", "neutral"),
        ("", "neutral"),
    ],
)
def test_labels(text, label):
    assert classify(text) == label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # A negation close before a word of interest or need, in the languages' own order.
        ("Merci mais ça ne nous intéresse pas.", "not_interested"),
        ("No ci serve, grazie.", "not_interested"),
        ("Vielen Dank, aber wir haben keinen Bedarf.", "not_interested"),
        ("Dziękuję, nie potrzebujemy.", "not_interested"),
        ("Appreciate it, but this isn't something we need.", "not_interested"),
        # ... but not across punctuation, nor from a "no" that is not about the offer.
        ("Not sure yet, but I am interested.", "interested"),
        ("No problem, we need this badly. Call me.", "interested"),
        # Asking to stop, whatever the verb order.
        ("Arrêtez de m'envoyer des emails.", "unsubscribe"),
        ("Deja de escribirme, por favor.", "unsubscribe"),
        ("Przestańcie do mnie pisać.", "unsubscribe"),
        ("No me envíen más correos.", "unsubscribe"),
        ("Bitte löschen Sie meine Daten.", "unsubscribe"),
        ("STOP", "unsubscribe"),
        # "Don't" that asks nothing of us is no unsubscribe.
        ("Please send me info, and don't email my colleague.", "interested"),
        ("Don't hesitate to send pricing.", "interested"),
        ("Thanks, I'll pass this on to the team.", "neutral"),
        ("Thanks, but we'll pass.", "not_interested"),
        # Round 6: declining, a reply that opens with "pass", mail never asked for, the
        # infinitive and "keine weiteren" forms of "stop writing" — and their guards.
        ("I'll have to decline, we're cutting tools this year.", "not_interested"),
        ("Our reply rates decline every quarter. Can you help?", "interested"),
        ("Pass for now.", "not_interested"),
        ("Pass this on to Jamie please.", "neutral"),
        ("Not going to lie, this looks great. Let's talk.", "interested"),
        ("Stop. I never signed up for this.", "unsubscribe"),
        ("Merci de ne plus m'écrire.", "unsubscribe"),
        ("Bitte keine weiteren Nachrichten.", "unsubscribe"),
        ("Nein, das passt nicht zu uns.", "not_interested"),
        # Letters NFKD does not fold: "ł" in "szczegółów".
        ("Tak, proszę o więcej szczegółów.", "interested"),
    ],
)
def test_rules_that_generalise(text, label):
    assert classify(text) == label


def test_an_auto_reply_without_office_words_is_an_auto_reply():
    assert classify("Thank you for your message. We will answer soon.", auto=True) == "auto_reply"
    assert classify("Ich bin im Urlaub.", auto=True) == "out_of_office"


@pytest.mark.parametrize(
    ("text", "back"),
    [
        ("Ich bin bis zum 3. Dezember nicht im Büro.", datetime.date(2026, 12, 3)),
        ("I'm out of the office and back on 3 March.", datetime.date(2027, 3, 3)),
        ("Out of office until December 7th, 2026", datetime.date(2026, 12, 7)),
        ("Je suis absent du bureau jusqu'au 5 janvier.", datetime.date(2027, 1, 5)),
        ("Estoy fuera de la oficina hasta el 2 de diciembre.", datetime.date(2026, 12, 2)),
        ("Sono in ferie fino al 30/11.", datetime.date(2026, 11, 30)),
        ("Ik ben afwezig tot en met 4 december.", datetime.date(2026, 12, 4)),
        ("Jestem na urlopie do dnia 01.12.2026.", datetime.date(2026, 12, 1)),
        ("Estou de férias até 10 de dezembro.", datetime.date(2026, 12, 10)),
        ("Back 2026-12-01.", datetime.date(2026, 12, 1)),
        ("Ab 3. März bin ich wieder im Büro.", datetime.date(2027, 3, 3)),  # "from"
        ("Vanaf 2 december ben ik weer terug.", datetime.date(2026, 12, 2)),
        # "from … until …": the absence starts on the first date and ends on the second
        ("Ab dem 1. März im Urlaub, bis 10. März nicht erreichbar.", datetime.date(2027, 3, 10)),
        ("Vanaf 1 maart tot 10 maart afwezig.", datetime.date(2027, 3, 10)),
        ("Od 1 do 5 grudnia jestem na urlopie.", datetime.date(2026, 12, 5)),
        ("Jestem na urlopie do 8 stycznia.", datetime.date(2027, 1, 8)),
        (
            "I'm travelling until the 20th, back in the office after that.",
            datetime.date(2026, 12, 20),
        ),  # a day alone: the next 20th
        ("Away until the 30th.", datetime.date(2026, 11, 30)),
        ("Ich bin bis zum 3. nicht erreichbar.", datetime.date(2026, 12, 3)),
        ("Until the 31st.", None),  # no 31st this month: not guessed
        ("Back on 45 March.", None),  # no such day
        ("Back on 3 November.", None),  # past; next year is more than 120 days away
        ("I am away.", None),
    ],
)
def test_return_dates(text, back):
    assert return_date(text, RECEIVED) == back
