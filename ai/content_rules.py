"""The local content filter: abuse signals in eight languages, no network, well under a millisecond.

Each signal is a rule with a category and a weight; the score is 1 − Π(1 − weight) over the
signals seen, and a message is blocked at `BLOCK_AT`. Strong signals (a credential request, a
link whose text shows another domain, an executable link, a ransom demand) block alone; weak
ones (a shortener, a wallet address, an urgent tone) only together. Ordinary cold outreach —
a pitch for invoicing software, a password manager, a security audit, "free trial", "limited
time", prices and links — sees no signal: the phrases are request-shaped ("enter your
password"), not topic words ("password").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from urllib.parse import urlsplit

from ai.labels import fold

BLOCK_AT = 0.7


@dataclass(frozen=True)
class Signal:
    name: str
    category: str
    weight: float


def _any(*phrases: str) -> re.Pattern:
    return re.compile(r"(?<!\w)(" + "|".join(phrases) + r")(?!\w)")


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
URGENCY = _any(
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
CRYPTO_PAYMENT = _any(
    r"bitcoin\w*",
    r"btc",
    r"monero",
    r"xmr",
    r"usdt",
    r"ethereum",
    r"eth",
    r"crypto\w*",
    r"kryptowahrung\w*",
    r"criptomoned\w*",
    r"kryptowalut\w*",
    r"criptomoed\w*",
)
GIFT_CARDS = re.compile(
    r"\b(gift ?cards?|itunes cards?|google play cards?|steam cards?|amazon cards?|"
    r"geschenkkarten?|gutscheinkarten?|cartes? cadeaux?|tarjetas? (de )?regalo|"
    r"carte regalo|cadeaukaart\w*|karty? podarunkow\w*|cart(ao|oes)[- ](de )?presente|"
    r"vale-presente)"
    r"\b[^.!?\n]{0,100}\b(buy|purchase|get me|pick up|send|scratch|codes?|kaufen|besorgen|schicken|"
    r"acheter|envoyer|comprar|enviar|acquista|compra|invia|kopen|sturen|kup|wyslij|comprar|envie)"
    r"|\b(buy|purchase|kaufen|acheter|comprar|acquista|kopen|kup)\w*\b[^.!?\n]{0,60}"
    r"\b(gift ?cards?|geschenkkarten?|cartes? cadeaux?|tarjetas? regalo|carte regalo|"
    r"cadeaukaart\w*|karty? podarunkow\w*|cartoes presente)"
)
WALLET = re.compile(
    r"\b(bc1[a-z0-9]{25,60}|[13][a-km-zA-HJ-NP-Z1-9]{25,34}|0x[a-fA-F0-9]{40}|T[1-9A-HJ-NP-Za-km-z]{33})\b"
)
PROMISED_RETURNS = _any(
    r"double your (money|bitcoin|btc|eth|investment|crypto)", r"guaranteed (return|profit)s?",
    r"(\d{2,4}|triple) ?% (daily|weekly|monthly|returns?|profit)", r"risk-?free (profit|return)",
    r"\d+([.,]\d+)? ?% (a |per )?(day|daily|week|weekly) ?(profits?|returns?)?",
    r"guarantee\w* .{0,30}(profits?|returns?)",
    r"send .{0,20}(btc|eth|bitcoin|usdt) .{0,40}(back|return)", r"will (double|triple)",
    r"garantierte (rendite|gewinne?)", r"verdoppeln sie", r"rendement garanti",
    r"doublez votre", r"rentabilidad garantizada", r"duplique su", r"duplica tu",
    r"rendimento garantito", r"raddoppia", r"gegarandeerd rendement", r"verdubbel",
    r"gwarantowany zysk", r"podwoj", r"retorno garantido", r"dobre seu",
)  # fmt: skip
# "no risk" next to promised returns: the investment scam's second breath (alone: a free trial)
NO_RISK = _any(
    r"no risk", r"without (any )?risk", r"risk-?free", r"sans (aucun )?risque", r"ohne risiko",
    r"sin (ningun )?riesgo", r"senza (alcun )?rischio", r"zonder risico", r"bez ryzyka",
    r"sem risco",
)  # fmt: skip
# Secrecy around a payment: the "CEO" wire-transfer and gift-card fraud.
SECRET_PAYMENT = re.compile(
    r"\b(keep (this|it) between us|don'?t tell anyone|do not tell "
    r"anyone|non parlarne con nessuno|non dirlo a nessuno|sagen sie (es )?niemandem|"
    r"n'en parlez a personne|no se lo (diga|digas) a nadie|no lo comente|vertel (het )?aan niemand|"
    r"nie mow nikomu|nao conte a ninguem)"
    r"[^\n]{0,200}?\b(wire|transfer|bonifico|uberweis|virement|transferencia|overboeking|"
    r"przelew|payment|pagamento|zahlung|paiement|pago|betaling|gift ?cards?)"
    r"|\b(wire|transfer|bonifico|uberweis|virement|transferencia|overboeking|przelew)\w*\b"
    r"[^\n]{0,200}?\b(keep (this|it) between us|don'?t tell anyone|"
    r"non parlarne con nessuno|sagen sie (es )?niemandem|n'en parlez a personne|"
    r"no se lo (diga|digas) a nadie|vertel (het )?aan niemand|nie mow nikomu|"
    r"nao conte a ninguem|non chiamarmi|don'?t call me|rufen sie mich nicht an)"
)
EXTORTION = re.compile(
    r"\b(i|we) (have )?(had )?(recorded|hacked|have access to|access to your (device|computer|"
    r"camera|webcam|phone)|infected|filmed|have your)\b"
    r"|\b(recorded|filmed) you\b|\b(we|i) (have )?(encrypted|copied|stolen|downloaded) "
    r"(\d+ ?[gt]b of )?(all )?your\b"
    r"|\b(zugriff auf|acces a|acceso a|accesso alla|accesso al|toegang tot|dostep do|acesso a) "
    r"(ihre|deine|votre|ta|su|tu|tua|uw|je|twojej|twoj|sua|seu) (kamera|webcam|camera|camara|"
    r"telecamera|kamery|computer|ordinateur|ordenador|gerat)"
    r"|\b(hemos|wir haben|nous avons|abbiamo|we hebben|zaszyfrowalismy|criptografamos)\b.{0,20}"
    r"(cifrado|verschlusselt|chiffre|crittografato|criptato|versleuteld|zaszyfrow)"
    r"|\bnagranie z (twojej|pana|pani) kamery"
    r"|\b(video|recording|photos|footage|data|files|nagranie|aufnahme|videos?)\b.{0,80}"
    r"\b(an (ihre|deine) (familie|kontakte|kollegen)|wszystkim (twoim )?(znajomym|kontaktom)|"
    r"a (todos )?(sus|tus) contactos|a tous vos contacts|to (all (of )?)?your (contacts|family|"
    r"friends|colleagues))"
    r"|\b(video|recording|photos|footage|data)\b.{0,80}\b(to (all )?your contacts|publish|"
    r"leak|release|send it to)\b"
    r"|\b(pay|send|transfer|uberweisen|payez|pague|paga|przelej|betaal|pagar)\w*\b.{0,40}"
    r"\b(bitcoin|btc|monero|xmr|usdt)\w*\b.{0,80}\b(or|otherwise|else|before|sonst|sinon|antes|"
    r"altrimenti|anders|inaczej|ou|si|se|jesli|wenn)\b"
    r"|\b(ich habe|wir haben) (sie |dich )?(gefilmt|aufgenommen|gehackt)"
    r"|\b(j'ai|nous avons) (pirate|enregistre|filme|acces a)"
    r"|\b(he|hemos) (grabado|hackeado|pirateado)"
    r"|\b(ho|abbiamo) (registrato|hackerato|filmato)"
    r"|\b(ik heb|wij hebben) (je |u )?(gefilmd|opgenomen|gehackt)"
    r"|\b(nagralem|zhakowalem|mam dostep do)"
    r"|\b(eu )?(gravei|hackeei|invadi)"
    r"|\b(veroffentlich|publierai|publicare|publicaremos|publiceren|opublikuj|publicar)\w*\b"
    r".{0,80}\b(kontakt|contact|contatt|contactos|contacten|kontakt|contatos)"
)
ADVANCE_FEE = _any(
    r"inheritance", r"next of kin", r"sole beneficiary", r"unclaimed (funds?|fortune|estate)",
    r"transfer of (usd|us\$|\$|eur|€)? ?\d+(\.\d+)? ?(million|m)\b", r"lottery (winner|award)",
    r"you have won", r"claim your (prize|winnings|reward)", r"estate of (a|the|my) late",
    r"(small|a|the) (processing|handling|transfer|release) fee (is|will be) (required|needed)",
    r"frais de dossier", r"gastos de tramitacion", r"spese di pratica", r"bearbeitungsgebuhr",
    r"deceased (client|customer|relative|businessman)", r"left behind by",
    r"(usd|us\$|\$|eur|€|£) ?\d+([.,]\d+)? ?(million|m)\b",
    r"\d+([.,]\d+)? ?(million|millions|mln) (usd|dollars|euros?|€|\$)",
    r"erbschaft", r"sie haben gewonnen", r"lotteriegewinn", r"heritage de", r"vous avez gagne",
    r"herencia", r"ha ganado", r"has ganado", r"eredita", r"hai vinto", r"ha vinto",
    r"erfenis", r"u heeft gewonnen", r"je hebt gewonnen", r"spadek", r"wygrales",
    r"wygrala", r"heranca", r"voce ganhou", r"premio de loteria", r"barrister",
    r"(internationalen |nationalen )?lotterie", r"loterie", r"loteria", r"lotteria", r"loterij",
    r"\d+([.,]\d+)? ?(millones|millionen|milioni|miljoen|milionow|milhoes|millions) (de |di |)"
    r"(euros?|dolares|dollars?|usd|eur|€|\$)", r"sin herederos", r"ohne erben", r"sans heritiers",
    r"died without (an )?heirs?", r"difunto", r"verstorben\w*", r"defunt",
)  # fmt: skip
ILLEGAL_GOODS = _any(
    r"cocaine", r"heroin", r"fentanyl", r"methamphetamine", r"crystal meth", r"mdma",
    r"oxycodone without", r"xanax without prescription", r"without (a )?prescription",
    r"fake passports?", r"counterfeit (passports?|money|banknotes|notes|bills|documents)",
    r"fake (id|ids|driver'?s licen[cs]es?|diplomas?)", r"stolen (credit )?cards?",
    r"cvv dumps?", r"fullz", r"untraceable (guns?|firearms?)", r"ghost guns?",
    r"kokain", r"falschgeld", r"gefalschte (ausweise|passe|dokumente)", r"ohne rezept",
    r"faux papiers", r"faux passeports?", r"sans ordonnance", r"cocaina", r"pasaportes falsos",
    r"sin receta", r"passaporti falsi", r"senza ricetta", r"valse paspoorten", r"zonder recept",
    r"falszywe (paszporty|dowody)", r"bez recepty", r"passaportes falsos", r"sem receita",
    r"dinheiro falso", r"billetes falsos", r"banconote false",
    r"(real|genuine) registered (passports?|id cards?|driver'?s licen[cs]es?)",
    r"(passports?|id cards?|driver'?s licen[cs]es?)[^.]{0,60}for any country",
    r"(armas|pistolas|municion|waffen|armes|pistolets|armi|pistole|wapens|bron|guns|firearms|"
    r"handguns)[^.]{0,40}(sin licencia|ohne (waffenschein|lizenz)|sans permis|senza licenza|"
    r"zonder vergunning|bez pozwolenia|sem licenca|without (a )?licen[cs]e|no licen[cs]e)",
)  # fmt: skip
ADULT = _any(
    r"porn\w*", r"xxx", r"nude (photos|pics|videos)", r"naked (photos|pics|girls)",
    r"sex ?cams?", r"hot singles", r"horny", r"escort service", r"hookups?", r"nsfw",
    r"nacktbilder", r"seitensprung", r"sexkontakte", r"rencontres? coquines?", r"plan cul",
    r"citas calientes", r"sesso", r"incontri hot", r"sexdate", r"seks randki", r"putas",
    r"eroti\w* (chat|videos?|photos?|fotos?)", r"videos? eroti\w*",
)  # fmt: skip
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
MACROS = _any(
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
