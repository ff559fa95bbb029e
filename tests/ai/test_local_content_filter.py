"""The local content filter: the issue's signals in eight languages, no false alarm on outreach."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ai.providers.local import LocalProvider

local = LocalProvider()


def verdict(body, subject="Hello"):
    return local.check_content(subject=subject, body=body).value


@pytest.mark.parametrize(
    ("body", "category"),
    [
        ('See <a href="http://evil.example.net/x">https://www.paypal.com/signin</a>', "phishing"),
        ("Log in at http://185.22.14.7/login.php and enter your password.", "phishing"),
        ("Your account will be suspended. Verify your account: http://paypa1.com", "phishing"),
        ("Open the attached Invoice_0231.exe today.", "malware"),
        ("Download the file: http://files.example.top/Payment.docm", "malware"),
        ("Please buy 4 Apple gift cards and send me the codes.", "fraud"),
        ("Send BTC to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq and we will double your bitcoin.",
         "fraud"),
        ("I recorded you. Pay in bitcoin or the video goes to all your contacts.", "extortion"),
        ("Fake passports and counterfeit money, discreet shipping.", "illegal_goods"),
        ("Hot singles in your area want to meet tonight.", "adult"),
        ("Your parcel is on hold: pay the customs fee: http://dhl-fee.info", "impersonation"),
        ("Konto gesperrt. Bestätigen Sie Ihre Zugangsdaten: https://bit.ly/x", "phishing"),
        ("Votre compte sera suspendu. Confirmez votre mot de passe sous 24h.", "phishing"),
        ("Confirme su contraseña inmediatamente o su cuenta será cancelada.", "phishing"),
        ("Il tuo account è stato sospeso. Conferma la tua password entro 24 ore.", "phishing"),
        ("Uw rekening wordt geblokkeerd. Bevestig uw inloggegevens binnen 24 uur.", "phishing"),
        ("Twoje konto zostanie zablokowane. Potwierdź swoje hasło w ciągu 24 godzin.", "phishing"),
        ("A sua conta será bloqueada. Confirme a sua senha em 24 horas.", "phishing"),
    ],
)  # fmt: skip
def test_abusive_mail_is_blocked_and_named(body, category):
    result = verdict(body)
    assert result.blocked
    assert category in result.categories
    assert result.provider == "local"


@pytest.mark.parametrize(
    "body",
    [
        "Our password manager helps your team stop reusing passwords. Free trial, 30 days.",
        "We build invoicing software that chases late payments and reconciles them with your "
        "bank account. Plans from $29/month: https://invoicely.example.com/pricing",
        "We are a security consultancy: penetration tests and phishing simulations for your staff.",
        "Limited time: 20% off our bookkeeping service until Friday. Reply to claim it.",
        "Our app lets gyms sell gift cards online. Can I send you a short demo video?",
        "We help couriers track every parcel; customers stop asking where their package is.",
        "Unser Passwortmanager hilft Ihrem Team. 30 Tage kostenlos testen.",
        "Notre logiciel de facturation relance les impayés automatiquement.",
        "Would a crypto accounting tool help? We import wallets and produce tax reports.",
        'Our case studies: <a href="https://acme.example.com/cases">acme.example.com/cases</a>',
        "We are a Node.js and Vue.js consultancy; ISO 27001 audits are our other line.",
    ],
)
def test_ordinary_cold_outreach_is_not_blocked(body):
    assert not verdict(body).blocked


def test_a_shortener_alone_is_a_signal_but_does_not_block():
    result = verdict("Here is our deck: https://bit.ly/deck-2026")
    assert not result.blocked
    assert result.signals == ("link shortener hides the destination",)


def test_the_brand_itself_is_no_look_alike():
    links = "Book a slot: https://calendar.google.com/x or pay at https://www.paypal.com/me/x"
    assert not verdict(links).signals


def test_the_reason_names_what_was_seen():
    result = verdict("Please buy 4 Apple gift cards and send me the codes.")
    assert result.reason == "Asks for gift cards."


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.text(max_size=60))
def test_any_text_gets_a_verdict_between_0_and_1(body, subject):
    result = verdict(body, subject)
    assert 0.0 <= result.score <= 1.0
    assert result.blocked == (result.score >= 0.7)
