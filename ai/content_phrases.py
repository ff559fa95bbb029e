"""Phrases of the local content filter about money and goods: crypto payments and wallets, gift
cards, promised returns, secrecy around a payment, extortion, advance-fee stories, illegal goods
and adult content — folded text (lower case, no accents), eight languages. `ai/content_rules.py`
weighs them into signals.
"""

from __future__ import annotations

import re


def any_of(*phrases: str) -> re.Pattern:
    """Any of these phrases as whole words."""
    return re.compile(r"(?<!\w)(" + "|".join(phrases) + r")(?!\w)")


CRYPTO_PAYMENT = any_of(
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
PROMISED_RETURNS = any_of(
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
NO_RISK = any_of(
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
ADVANCE_FEE = any_of(
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
ILLEGAL_GOODS = any_of(
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
ADULT = any_of(
    r"porn\w*", r"xxx", r"nude (photos|pics|videos)", r"naked (photos|pics|girls)",
    r"sex ?cams?", r"hot singles", r"horny", r"escort service", r"hookups?", r"nsfw",
    r"nacktbilder", r"seitensprung", r"sexkontakte", r"rencontres? coquines?", r"plan cul",
    r"citas calientes", r"sesso", r"incontri hot", r"sexdate", r"seks randki", r"putas",
    r"eroti\w* (chat|videos?|photos?|fotos?)", r"videos? eroti\w*",
)  # fmt: skip
