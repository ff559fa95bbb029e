"""The local content filter: abuse signals in eight languages, no network, well under a millisecond.

Each signal is a rule with a category and a weight; the score is 1 − Π(1 − weight) over the
signals seen, and a message is blocked at `BLOCK_AT`. Strong signals (a credential request, a
link whose text shows another domain, an executable link, a ransom demand) block alone; weak
ones (a shortener, a wallet address, an urgent tone) only together. Ordinary cold outreach —
a pitch for invoicing software, a password manager, a security audit, "free trial", "limited
time", prices and links — sees no signal: the phrases are request-shaped ("enter your
password"), not topic words ("password"). The phrases about money and goods live in
`ai/content_phrases.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from urllib.parse import urlsplit

from ai.content_phrases import (
    ADULT,
    ADVANCE_FEE,
    CRYPTO_PAYMENT,
    EXTORTION,
    GIFT_CARDS,
    ILLEGAL_GOODS,
    NO_RISK,
    PROMISED_RETURNS,
    SECRET_PAYMENT,
    WALLET,
    any_of,
)
from ai.labels import fold

BLOCK_AT = 0.7


@dataclass(frozen=True)
class Signal:
    name: str
    category: str
    weight: float


# --- links ---------------------------------------------------------------------------------------

URL = re.compile(r"""(?:https?://|www\.)[^\s<>"'()\]]+""", re.I)
ANCHOR = re.compile(r"""<a\b[^>]*?href\s*=\s*["']([^"']+)["'][^>]*>(.*?)</a\s*>""", re.I | re.S)
DOMAIN_IN_TEXT = re.compile(r"\b((?:[a-z0-9-]+\.)+[a-z]{2,})\b", re.I)
IP_HOST = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$|^\[?[0-9a-f:]+:[0-9a-f:]*\]?$", re.I)
SHORTENERS = frozenset(
    {"bit.ly", "tinyurl.com", "t.co", "goo.gl", "is.gd", "ow.ly", "cutt.ly", "rb.gy",
     "shorturl.at", "tiny.cc", "buff.ly", "rebrand.ly", "t.ly", "s.id", "v.gd", "qr.ae",
     "bl.ink", "shorte.st", "adf.ly", "lnkd.in"}
)  # fmt: skip
RISKY_FILES = re.compile(
    r"\.(exe|scr|com|pif|bat|cmd|vbs|vbe|js|jse|wsf|hta|msi|jar|apk|iso|img|ps1|lnk|docm|xlsm|"
    r"pptm|dotm|xlam)$",
    re.I,
)
# "open the attached Invoice_0231.exe", "Rechnung.zip.exe" in the text itself
RISKY_ATTACHMENT = re.compile(
    r"\w\.(exe|scr|pif|bat|cmd|vbs|hta|msi|jar|apk|iso|ps1|lnk|docm|xlsm|pptm)\b", re.I
)

# Brands whose look-alikes phishers register, with their real registrable domains.
BRANDS = {
    "paypal": {"paypal.com", "paypal.me"},
    "apple": {"apple.com", "icloud.com"},
    "microsoft": {"microsoft.com", "live.com", "office.com", "outlook.com"},
    "office365": {"office.com", "microsoft.com"},
    "outlook": {"outlook.com"},
    "google": {"google.com", "gmail.com"},
    "amazon": {"amazon.com", "amazon.de", "amazon.fr", "amazon.es", "amazon.it", "amazon.nl",
               "amazon.pl", "amazon.co.uk", "amazon.com.br"},
    "netflix": {"netflix.com"},
    "facebook": {"facebook.com"},
    "instagram": {"instagram.com"},
    "linkedin": {"linkedin.com"},
    "docusign": {"docusign.com", "docusign.net"},
    "dropbox": {"dropbox.com"},
    "coinbase": {"coinbase.com"},
    "binance": {"binance.com"},
    "dhl": {"dhl.com", "dhl.de"},
    "fedex": {"fedex.com"},
    "usps": {"usps.com"},
    "ups": {"ups.com"},
    "dpd": {"dpd.com", "dpd.de"},
    "inpost": {"inpost.pl"},
    "postnl": {"postnl.nl"},
    "correos": {"correos.es"},
    "chase": {"chase.com"},
    "wellsfargo": {"wellsfargo.com"},
    "hsbc": {"hsbc.com", "hsbc.co.uk"},
    "santander": {"santander.com", "santander.es", "santander.pl", "santander.de"},
    "revolut": {"revolut.com"},
    "sparkasse": {"sparkasse.de"},
    "ing": {"ing.com", "ing.nl", "ing.de", "ing.pl"},
    "irs": {"irs.gov"},
    "hmrc": {"gov.uk"},
    "steam": {"steampowered.com", "steamcommunity.com"},
    "chronopost": {"chronopost.fr"},
    "colissimo": {"colissimo.fr", "laposte.fr"},
    "laposte": {"laposte.fr"},
    "royalmail": {"royalmail.com"},
    "hermes": {"hermesworld.com", "myhermes.de"},
    "poste": {"poste.it", "laposte.fr"},
}  # fmt: skip
_LOOKALIKE = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a"})
# Short brand names only count as a whole label ("ups-delivery.net", not "startups.io").
_SHORT_BRANDS = {b for b in BRANDS if len(b) <= 4}
_WHOLE = {b: re.compile(rf"{b}([-_].*)?|.*[-_]{b}([-_].*)?") for b in _SHORT_BRANDS}


def _registrable(host: str) -> str:
    parts = host.lower().strip(".").split(".")
    if len(parts) >= 3 and parts[-2] in ("co", "com", "org", "gov", "net") and len(parts[-1]) == 2:
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


def _lookalike_brand(host: str) -> str | None:
    """The brand a host imitates, if it carries one without being that brand's domain."""
    registrable = _registrable(host)
    if any(registrable in domains for domains in BRANDS.values()):
        return None
    labels = host.lower().translate(_LOOKALIKE).replace("rn", "m").replace("vv", "w").split(".")
    for brand in BRANDS:
        if brand in _SHORT_BRANDS:
            if any(_WHOLE[brand].fullmatch(label) for label in labels):
                return brand
        elif any(brand in label for label in labels):
            return brand
    return None


def _host(url: str) -> str:
    if url.lower().startswith("www."):
        url = "http://" + url
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


# --- phrases (folded: lower case, no accents) ----------------------------------------------------

_YOUR = r"(your|ihr\w*|dein\w*|votre|vos|tu|tus|su|sus|il tuo|la tua|i tuoi|le tue|uw|je|jouw|" \
        r"twoj\w*|swoj\w*|seu|sua|seus|suas)"  # fmt: skip
CREDENTIAL_REQUEST = re.compile(
    r"\b(enter|confirm|verify|update|validate|re-?enter|provide|submit|reply with|send us|type)"
    r"\s+" + _YOUR + r"\s+(\w+\s+)?(password|passcode|login|credentials|username and password|"
    r"pin|card number|card details|bank details|banking details|account details|cvv|"
    r"security code|ssn|social security)"
    r"|\b(verify|confirm|validate|unlock|reactivate|restore) " + _YOUR + r" (account|mailbox|"
    r"identity|wallet|card)\b"
    # "reconnectez-vous avec vos identifiants", "introduzca su usuario y contraseña",
    # "inserisci l'indirizzo email e la password", "introduza o seu e-mail e a palavra-passe",
    # "vult u uw bankgegevens en pincode in", "uw wachtwoord ... opnieuw in te voeren"
    r"|\b(reconnectez-vous|connectez-vous|identifiez-vous) (avec|a l'aide de) (vos|votre) "
    r"(identifiants|mot de passe)"
    r"|\b(introduzca|ingrese|indique|inserisci|inserire|introduza|insira|indique|vul|vult|voer|"
    r"wpisz|podaj|saisissez|geben sie)\b[^.!?\n]{0,50}\b(contrasena|password|palavra-passe|"
    r"senha|wachtwoord|pincode|haslo|mot de passe|passwort|kennwort|pin-?code)\b"
    r"|\b(wachtwoord|pincode|bankgegevens)\b[^.!?\n]{0,40}\b(opnieuw )?in (te )?(voeren|vullen)"
    r"|\b(passwort|kennwort|zugangsdaten|pin|kartendaten|bankdaten)\w* (bestatigen|eingeben|"
    r"verifizieren|aktualisieren)"
    r"|\b(bestatigen|verifizieren|aktualisieren) sie (ihr\w* )?(konto|passwort|zugangsdaten|"
    r"kartendaten|identitat)"
    r"|\b(confirmez|verifiez|mettez a jour|saisissez|validez) (votre|vos) (mot de passe|compte|"
    r"identifiants|coordonnees bancaires|carte|identite)"
    r"|\b(confirme|verifique|actualice|introduzca|ingrese|valide) (su|tu|sus|tus) (contrasena|"
    r"cuenta|credenciales|datos bancarios|tarjeta|identidad)"
    r"|\b(conferma|verifica|aggiorna|inserisci) (la tua|il tuo|i tuoi|le tue) (password|account|"
    r"credenziali|dati bancari|carta|identita)"
    r"|\b(bevestig|verifieer|controleer|update|vul) (uw|je|jouw) (wachtwoord|account|rekening|"
    r"inloggegevens|bankgegevens|pas|identiteit)"
    r"|\b(potwierdz|zweryfikuj|zaktualizuj|podaj|wprowadz) (swoje |twoje |swoj |twoj )?(haslo|"
    r"konto|dane logowania|dane karty|dane bankowe|tozsamosc)"
    r"|\b(confirme|verifique|atualize|informe|insira) (a |o |as |os )?(sua|seu|seus|suas) "
    r"(senha|conta|credenciais|dados bancarios|cartao|identidade)"
)
ACCOUNT_THREAT = re.compile(
    r"\b(account|mailbox|card|access|profile|konto|postfach|compte|cuenta|conta|account|rekening|"
    r"karta|carta|tarjeta|cartao)\b.{0,60}\b(will be|has been|is|wird|wurde|sera|a ete|sera|"
    r"ha sido|sara|e stato|wordt|is|zostanie|zostalo|sera|foi)\s+(permanently |temporarily |"
    r"endgultig |definitivement |)(suspend|clos|lock|block|deactivat|terminat|delet|disabl|"
    r"restrict|gesperrt|geschlossen|deaktiviert|geloscht|suspendu|bloque|ferme|desactiv|supprim|"
    r"suspendid|bloquead|cerrad|cancelad|sospes|bloccat|chius|disattivat|geblokkeerd|opgeschort|"
    r"gesloten|zablokowan|zawieszon|usunie|zamkniet|encerrad|cancelad)"
)
URGENCY = any_of(
    r"within 24 hours", r"within 48 hours", r"immediately", r"urgent", r"final notice",
    r"last warning", r"innerhalb von 24 stunden", r"sofort", r"dringend", r"letzte mahnung",
    r"sous 24 ?h", r"sous 24 heures", r"immediatement", r"dernier avis", r"dans les 24 heures",
    r"en 24 horas", r"inmediatamente", r"ultimo aviso", r"entro 24 ore", r"immediatamente",
    r"ultimo avviso", r"binnen 24 uur", r"onmiddellijk", r"laatste waarschuwing",
    r"w ciagu 24 godzin", r"natychmiast", r"ostateczne wezwanie", r"em 24 horas",
    r"ultimo aviso",
)  # fmt: skip
# "log in with your work email and password", "sign in with your email password": blocks with
# a link to go and do it (alone, it may describe a product's sign-in)
LOGIN_WITH_PASSWORD = re.compile(
    r"\b(log ?in|logging in|sign ?in|signing in|re-?authenticate)\s+(again\s+)?(with|using)\s+"
    + _YOUR
    + r"\s+(\w+\s+){0,3}(password|passcode)\b"
)
PARCEL_FEE = re.compile(
    r"\b(parcel|package|shipment|delivery|paket|sendung|colis|livraison|paquete|envio|pacco|"
    r"spedizione|pakket|zending|paczk|przesylk|encomenda|pacote)\w*\b.{0,120}\b(fee|customs|"
    r"duty|charge|pay|gebuhr|zoll|bezahl|frais|douane|payer|tasa|aduana|pagar|tassa|dogana|"
    r"pagare|kosten|douane|betal|oplat|clo|zaplac|taxa|alfandega)"
    r"|\b(pay|paying|bezahlen|payer|pagar|pagare|betalen|zaplac|pague)\b.{0,60}\b(customs|"
    r"redelivery|re-delivery|shipping fee|zoll|douane|aduana|dogana|clo|alfandega)"
)
TAX_REFUND = re.compile(
    r"\b(tax refund|tax rebate|steuererstattung|steuerruckerstattung|remboursement d'impot|"
    r"remboursement fiscal|devolucion de impuestos|reembolso de impuestos|rimborso fiscale|"
    r"rimborso irpef|belastingteruggave|teruggave|zwrot podatku|restituicao|reembolso do irs)\b"
    r"|\b(irs|hmrc|finanzamt|impots\.gouv|dgfip|agencia tributaria|hacienda|agenzia delle "
    r"entrate|belastingdienst|urzad skarbowy|receita federal|financas)\b.{0,80}\b(refund|"
    r"claim|pay|verify|outstanding|erstattung|zahlen|remboursement|payer|reembolso|pagar|"
    r"rimborso|pagare|teruggave|betalen|zwrot|zaplac|restituicao|pague)"
)
# A small payment with cents ("1,99 €", "$2.99", "2,50 zl"): the courier and tax-office lure.
SMALL_FEE = re.compile(
    r"(\$|€|£) ?\d{1,2}[.,]\d{2}\b|\b\d{1,2}[.,]\d{2} ?(€|£|\$|(eur|usd|zl|gbp|chf|pln)\b)"
)
BANK_DETAILS_REQUEST = re.compile(
    r"\b(send|reply with|replying with|email|provide|give us|invia|inviare|fornisca|envoyez|"
    r"envoyer|communiquez|envie|envia|enviar|facilite|stuur|geef|wyslij|podaj|schicken sie|"
    r"senden sie|nennen sie)\b[^.!?\n]{0,30}\b(bank details|banking details|account number|"
    r"dati bancari|iban|coordonnees bancaires|rib|datos bancarios|bankgegevens|"
    r"rekeningnummer|dane bankowe|numer konta|dados bancarios|bankdaten|bankverbindung)"
)
IMPERSONATION = re.compile(
    r"\b(security (team|department)|fraud (department|team|prevention)|account (team|"
    r"services)|billing department|customer protection)\b.{0,40}\b(paypal|apple|microsoft|"
    r"amazon|netflix|google|bank|dhl|fedex|ups|chase|hsbc|santander|revolut|coinbase)"
    r"|\b(this is|from|de la part de|im auftrag|von der|da parte di|namens|w imieniu)\s+"
    r"(the )?(paypal|apple support|microsoft support|amazon support|netflix|dhl|fedex|usps|"
    r"irs|hmrc|finanzamt|your bank|ihrer bank|votre banque|su banco|la tua banca|uw bank|"
    r"twojego banku|seu banco|deutsche post|la poste|correos|poste italiane|postnl|inpost|"
    r"ctt)\b"
)
RISKY_SCRIPT = re.compile(
    r"\b(download|open|run|descarregue|baixe|abra|descargue|abre|ejecute|telecharg\w*|ouvrez|"
    r"executez|scarica|apri|esegui|herunterladen|laden sie|offnen|downloaden|open|pobierz|"
    r"otworz|uruchom)\b[^.!?\n]{0,30}\b(file|ficheiro|arquivo|datei|fichier|archivo|bestand|"
    r"plik|attachment|anexo|anhang|allegato|bijlage|piece jointe|zalacznik)\b[^.!?\n]{0,30}"
    r"\w\.(js|jse|wsf|vbe|vbs|hta|scr|bat|cmd|ps1)\b"
    r"|\w\.(zip|rar|7z)\b[^.!?\n]{0,80}\b(fuhren sie|ausfuhren|run the|execute|ejecute|ejecutar|"
    r"esegui|eseguire|voer\w* .{0,20}uit|uruchom|execute|executez|lancez|start the)"
)
MACROS = any_of(
    r"enable (content|editing|macros)", r"inhalt aktivieren", r"bearbeitung aktivieren",
    r"makros aktivieren", r"activer le contenu", r"activer les macros", r"habilitar contenido",
    r"habilitar macros", r"abilita contenuto", r"abilita macro", r"inhoud inschakelen",
    r"macro's inschakelen", r"wlacz zawartosc", r"wlacz makra", r"habilitar conteudo",
    r"ativar macros",
)  # fmt: skip


def _links(subject: str, body: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Every URL (plain or in href) and every (href, link text) anchor."""
    anchors = [(href.strip(), re.sub(r"<[^>]+>", "", unescape(text))) for href, text in
               ANCHOR.findall(body)]  # fmt: skip
    urls = [href for href, _ in anchors if href.lower().startswith(("http", "www."))]
    urls += URL.findall(subject) + URL.findall(body)
    return list(dict.fromkeys(u.rstrip(".,;:!?") for u in urls)), anchors


def signals_of(*, subject: str, body: str) -> list[Signal]:
    """Every abuse signal in a message (subject and body, text or HTML)."""
    found: list[Signal] = []
    urls, anchors = _links(subject, body)
    hosts = {_host(u) for u in urls} - {""}
    for href, text in anchors:
        shown = DOMAIN_IN_TEXT.findall(text)
        target = _host(href)
        if shown and target and _registrable(shown[0]) != _registrable(target):
            found.append(Signal("link text shows another domain", "phishing", 0.8))
            break
    if any(IP_HOST.match(h) for h in hosts):
        found.append(Signal("link to a bare IP address", "phishing", 0.6))
    if any(_registrable(h) in SHORTENERS or h in SHORTENERS for h in hosts):
        found.append(Signal("link shortener hides the destination", "phishing", 0.35))
    brands = {b for h in hosts if (b := _lookalike_brand(h))}
    if brands:
        found.append(Signal(f"look-alike domain of {', '.join(sorted(brands))}",
                            "impersonation", 0.75))  # fmt: skip
    if any(RISKY_FILES.search(urlsplit(u).path or "") for u in urls):
        found.append(Signal("link to an executable or macro document", "malware", 0.85))

    text = fold(unescape(re.sub(r"<[^>]+>", " ", f"{subject}\n{body}")))
    if RISKY_ATTACHMENT.search(text):
        found.append(Signal("names an executable or macro attachment", "malware", 0.75))
    if RISKY_SCRIPT.search(text):
        found.append(Signal("asks to open a script or run an archived program", "malware", 0.8))
    if MACROS.search(text):
        found.append(Signal("asks to enable macros or content", "malware", 0.8))
    if LOGIN_WITH_PASSWORD.search(text):
        found.append(Signal("asks to sign in with a password", "phishing", 0.75 if hosts else 0.4))
    if CREDENTIAL_REQUEST.search(text):
        found.append(Signal("asks for credentials or payment details", "phishing", 0.75))
    threat = ACCOUNT_THREAT.search(text)
    if threat:
        found.append(Signal("threatens to close an account", "phishing", 0.45))
    if URGENCY.search(text):
        found.append(Signal("urgent deadline", "phishing", 0.3 if threat else 0.1))
    parcel_fee = PARCEL_FEE.search(text)
    if parcel_fee:
        found.append(Signal("a parcel held for a fee", "impersonation", 0.55))
    if parcel_fee and SMALL_FEE.search(text):
        found.append(Signal("a small fee to pay", "impersonation", 0.4))
    if TAX_REFUND.search(text):
        found.append(
            Signal("a tax office refund or demand", "impersonation", 0.75 if hosts else 0.6)
        )
    if IMPERSONATION.search(text):
        found.append(Signal("speaks as a bank, courier, tax office or brand", "impersonation",
                            0.5))  # fmt: skip
    if GIFT_CARDS.search(text):
        found.append(Signal("asks for gift cards", "fraud", 0.8))
    wallet = WALLET.search(f"{subject}\n{body}")
    if wallet:
        found.append(Signal("a crypto wallet address", "fraud", 0.3))
    if PROMISED_RETURNS.search(text):
        sure = wallet or NO_RISK.search(text)
        found.append(Signal("promises investment returns", "fraud", 0.6 if sure else 0.45))
        if sure and not wallet:
            found.append(Signal("promises returns without risk", "fraud", 0.4))
    crypto = wallet or CRYPTO_PAYMENT.search(text)
    if EXTORTION.search(text):
        found.append(Signal("threatens to publish unless paid", "extortion",
                            0.85 if crypto else 0.6))  # fmt: skip
    story = {m.group(0) for m in ADVANCE_FEE.finditer(text)}
    if story:
        found.append(Signal("prize, inheritance or advance-fee story", "fraud",
                            0.8 if len(story) > 1 else 0.6))  # fmt: skip
    if SECRET_PAYMENT.search(text):
        found.append(Signal("asks for a payment kept secret", "fraud", 0.8))
    if BANK_DETAILS_REQUEST.search(text):
        found.append(Signal("asks for bank details", "fraud", 0.45))
    if ILLEGAL_GOODS.search(text):
        found.append(Signal("offers illegal goods", "illegal_goods", 0.8))
    if ADULT.search(text):
        found.append(Signal("sexual content", "adult", 0.8))
    return found


def score_of(signals: list[Signal]) -> float:
    remaining = 1.0
    for signal in signals:
        remaining *= 1.0 - signal.weight
    return round(1.0 - remaining, 3)


def categories_of(signals: list[Signal]) -> tuple[str, ...]:
    """The categories, strongest first (the one that carries the most weight leads)."""
    weight: dict[str, float] = {}
    for signal in signals:
        weight[signal.category] = weight.get(signal.category, 0.0) + signal.weight
    strong = [c for c in weight if weight[c] >= 0.3] or list(weight)
    return tuple(sorted(strong, key=lambda c: -weight[c]))
