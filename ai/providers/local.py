"""The offline provider: rule-based reply labels and content filter, always available.

`classify` gives a reply one label from its new text (quoted history already removed) and
subject. The rules go from the most consequential down: a request to stop writing wins over
everything, an out-of-office over an auto-reply, "not interested" over "interested" (which it
contains). It is deterministic on purpose: a remote provider refines it, and people's
corrections are kept.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from ai import content_rules
from ai.labels import ReplyLabel as Label
from ai.labels import fold as _fold
from ai.providers.base import Answer, ContentVerdict, Provider, ProviderError, ReplyVerdict


def _near(first: str, second: str, gap: int = 40) -> re.Pattern:
    """A word from `first` followed within `gap` characters by a word from `second`."""
    return re.compile(rf"\b({first})\w*\b.{{0,{gap}}}?\b({second})")


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
    "unsub", "desabonn", "cancelar a inscricao", "cancelar inscricao", "cancelar minha inscricao",
    "from your list", "from future emails", "verteiler", "retirer de votre liste",
    # mail they never asked for: a complaint, treated as a request to stop
    "never signed up", "never subscribed", "didn't sign up", "did not sign up",
    "never opted in", "never asked for", "nie zapisywal", "jamais inscrit", "nunca me suscrib",
)  # fmt: skip
# "elimíname de su lista", "usuńcie mój adres z listy", "löschen Sie meine Daten"
REMOVAL = _near(
    "remove|delete|take|elimin|borr|cancell|rimuov|togli|usun|wykresl|entfern|loesch|losch|"
    "retir|supprim|verwijder|haal|remov|exclu|apag",
    "list|lista|liste|lijst|listy|database|datenbank|base de donnees|base de datos|"
    "banco de dados|bestand|mailing|verteiler|adressbuch|contacts?|daten|donnees|datos|dati|"
    "gegevens|dados|dane|data|details|address|adresse|adres|e-?mail",
)
# "don't email me again", "ne m'écrivez plus", "no me envíen más", "nicht mehr anschreiben":
# a negation, a verb of writing or contacting, and "more"/"again" — in each language's order.
_CONTACT = r"(e-?mail|mail|write|writ|contact|send|message|spam|reach|call)"
STOP_WRITING = re.compile(
    "|".join(
        [
            # ... me / us / again / anymore, or nothing after: not "don't email my colleague"
            rf"\b(don'?t|do not|never|stop|quit)\s+(ever\s+)?{_CONTACT}\w*"
            r"(\s+(me|us|again|anymore|any more|ever|this (e-?mail )?address)\b|\W*$)",
            # "Schreiben Sie mir nicht mehr": the verb first
            r"\b(schreib|kontaktier|mail|send|kontakt)\w*( sie| ihr)? (mir|uns) (nicht mehr|keine)",
            r"\bno (more|further) (e-?mails?|mails?|messages?|contact)",
            r"\bnicht mehr\s+(an)?(schreib|kontaktier|mail|send|anruf)",
            r"\bkeine (e-?)?mails? mehr",
            r"\bkeine weiteren (nachrichten|(e-?)?mails?|zusendungen|anfragen|kontakt)",
            r"\bne (m'|me |nous |)(ecri|contact|envoy|relanc|sollicit)\w*\s+(plus|pas)",
            r"\bne (plus|pas) (m'|me |nous )?(ecri|contact|envoy|relanc|sollicit)",
            r"\bplus de (e-?)?mails?",
            r"\bno (me |nos )?(envi|escrib|contact|mand|llam)\w*\s+(mas|nada)",
            r"\bno mas (correos|e-?mails?|mensajes)",
            r"\bnon (mi |ci )?(mand|scriv|contatt|invi|chiam)\w*\s+(piu|altre)",
            r"\b(niente|basta) (piu )?(e-?mail|mail|messaggi)",
            r"\b(stuur|mail|schrijf|contacteer|bel)\w* (me|mij|ons) (geen|niet) (\w+ )?meer",
            r"\bgeen (e-?)?mails? meer",
            r"\bnao (me |nos )?(envi|mand|escrev|contat|lig)\w*\s+(mais|nada)",
            r"\b(chega de|sem mais) (e-?)?mails?",
            r"\b(wiecej|juz)\b.{0,20}\bnie (pis|wysyl|kontakt|dzwon)",
            r"\bnie (pisz|piszcie|pisac|wysylaj|wysylac|kontaktuj|kontaktowac|spamuj)",
            r"^\W*(stop|remove|unsubscribe|abmelden|desinscrire|baja|stopp)\W*$",
            # "arrêtez de m'envoyer", "deja de escribirme", "smettete di scrivermi", "parem de
            # me enviar", "przestańcie do mnie pisać", "hören Sie auf, mir zu schreiben"
            r"\b(arrete|cesse)\w* d(e |')(m'|me |nous )?(envoy|ecri|contact|spam|solicit)",
            r"\b(dej|par)\w* de (escrib|envi|mand|contact|spam|llam)",
            r"\b(smett|smetti)\w* di (scriv|mand|contatt|invi|spam)",
            r"\b(parem|pare|para) de (me )?(envi|mand|escrev|contat|spam)",
            r"\bprzestan\w*\b.{0,20}\b(pis|wysyl|kontakt|spam)",
            r"\b(hort|horen)\w* (sie )?auf\b.{0,20}\b(schreib|mail|kontakt|anzuschreiben)",
            r"\bkeine (werbung|newsletter|werbemails?|(e-?)?mails?) mehr",
            r"\bopt\w*( me)? out\b",
        ]
    )
)
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
    "maternity leave", "paternity leave", "sick leave", "medical leave", "sabbatical",
    "limited connectivity", "limited access", "at a conference", "travelling", "traveling",
    "auf reisen", "dienstreise", "elternzeit", "mutterschutz", "krank",
    "en deplacement", "conge maternite", "en arret", "de viaje", "baja por",
    "in viaggio", "in maternita", "op reis", "zwangerschapsverlof",
    "w podrozy", "na zwolnieniu", "em viagem", "licenca",
    "ooo", "fuori sede", "op vakantie", "trade show", "tradeshow", "attending a",
    "serai absent", "suis absent", "absent jusqu", "absente jusqu", "in vacanza", "de baja hasta",
    "currently away", "i am away", "i'm away", "business trip", "sporadic", "will return on",
    "back next week", "back on monday", "wieder da", "wieder im buro", "en conges",
)  # fmt: skip
# "out until the 5th", "away till Monday", "off through Jan 3"
AWAY_UNTIL = re.compile(r"\b(out|away|off)\b( of \w+)?\s+(until|till|til|through|thru)\b")
# Said by ticket systems and shared inboxes, also when they omit the RFC 3834 headers.
AUTOMATED = _phrases(
    "automated message", "automated response", "automated reply", "automatic reply",
    "do not reply to this", "this mailbox is not monitored", "ticket #", "ticket number",
    "a member of our team will", "our team will get back to you", "we have received your",
    "we've received your", "your message has been received", "your request has been received",
    "wir haben ihre", "nous avons bien recu", "hemos recibido su", "abbiamo ricevuto la",
    "wij hebben uw", "otrzymalismy", "recebemos sua", "recebemos a sua",
)  # fmt: skip
NOT_INTERESTED = _phrases(
    "not interested", "no interest", "no thanks", "no thank you", "not a fit", "not a good fit",
    "not relevant", "isn't relevant", "we're all set", "we are all set", "not at this time",
    "not right now", "already have a", "not for us", "pass on this", "not looking",
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
    "not now", "not a priority", "no priority", "have no need", "don't have a need",
    "do not have a need", "happy with our", "happy with the", "satisfied with", "we're good",
    "already use", "already using", "already work with", "already have", "just signed",
    "signed with", "went with", "chose another",
    "keine prioritat", "zufrieden", "nutzen bereits", "haben bereits", "arbeiten bereits",
    "pas une priorite", "satisfaits de", "avons deja", "utilisons deja",
    "no es una prioridad", "satisfechos con", "ya tenemos", "ya usamos", "ya trabajamos",
    "non e una priorita", "soddisfatti", "abbiamo gia", "usiamo gia",
    "geen prioriteit", "tevreden met", "hebben al", "gebruiken al",
    "nie jest priorytetem", "zadowoleni z", "mamy juz", "korzystamy juz",
    "nao e prioridade", "satisfeitos com", "ja temos", "ja usamos",
    "machen das selbst", "machen wir selbst", "nous-memes", "en interne", "internamente",
    "nosotros mismos", "noi stessi", "doen we zelf", "doen het zelf", "nos mesmos",
    "wewnetrznie", "don't think we need", "do not think we need",
    "all good", "we're fine", "we are fine", "we're covered", "not something", "no plans",
    "it's a no", "renewed", "isn't a fit", "is not a fit", "not the right time", "bad timing",
    "haben wir schon", "haben wir bereits", "pas le moment", "no es el momento",
    "non e il momento", "niet het moment", "nao e o momento", "nie teraz", "nah",
    "not in the market", "already solved", "don't see us", "do not see us", "not for me",
    "non fa per noi", "nao e para nos", "nie dla nas", "pas pour nous", "no es para nosotros",
    "niets voor ons", "nichts fur uns",
    "to decline", "must decline", "'ll decline", "will decline", "politely decline",
    "respectfully decline", "we decline", "i decline", "decided against", "no use for",
    "won't be moving forward", "not moving forward", "stick with what", "stick with our",
    "sticking with", "locked into", "under contract", "another direction", "different direction",
    "passt nicht", "past niet", "ne correspond pas",
)  # fmt: skip
# "We handle this internally", "we built it in-house": no need for a vendor.
OURSELVES = _near(
    "handle|handled|do|doing|manage|managed|build|built|run|cover",
    "internally|in-house|in house|ourselves|on our own",
)
# A negation shortly before a word of interest or need: "ça ne nous intéresse pas", "non ci
# serve", "wir haben keinen Bedarf", "nie potrzebujemy", "this isn't something we need".
# At most two words in between, and no punctuation: "not sure yet, but interested" is no "no".
_NEGATION = (
    r"(not|isn't|aren't|don't|doesn't|ne|n'|non|nao|nie|nicht|kein\w*|niet|geen|nunca|"
    r"no (nos|me|lo|la|les?|ci|mi))"
)
NEGATED_NEED = re.compile(
    rf"(?<![\w']){_NEGATION}(\s+[^\s,.;:!?]+){{0,2}}?\s*\b(interes|interess|zainteres|need|"
    r"bedarf|brauch|besoin|necesit|serve|bisogno|behoefte|nodig|precis|potrzeb|relevan|"
    r"correspond|falta|fit|passt)"
)
# "We'll pass", "Pass for now" — but not "I'll pass this on to the team".
PASS = re.compile(
    r"(\b(we'?ll|i'?ll|we will|i will|we're going to|going to)\s+|^\W*)pass\b"
    r"(?! (it |this |that |them |these |you |your \w+ )?(on|along|over|to|forward)\b)"
)
# A reply that is only "Pass." / "No." / "Nein." (with a greeting or thanks at most).
BARE_NO = re.compile(r"^\W*(pass|no|nope|nein|non|nee|nie|nao)\b[\s\W]*(thanks?( you)?|danke|merci|"
                     r"gracias|grazie|bedankt|dziekuje|obrigad[oa])?\W*$")  # fmt: skip
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
    "interesting", "spannend", "interesante", "interessante", "ciekaw",
    "how much", "what does it cost", "price", "pricing", "cost", "quote", "proposal",
    "rates", "preis", "kosten", "kostet", "angebot", "tarif", "devis", "prix",
    "precio", "cuesta", "propuesta", "presupuesto", "prezz", "costa", "listino", "preventivo",
    "prijs", "kost", "offerte", "preco", "custa", "proposta", "orcamento",
    "cennik", "ile kosztuje", "wycen", "oferta",
    "next steps", "next step", "naechste schritte", "nachsten schritte", "prochaines etapes",
    "proximos pasos", "prossimi passi", "volgende stappen", "proximos passos", "kolejne kroki",
    "case study", "case studies", "references", "examples", "brochure", "presentation",
    "presentacion", "presentazione", "presentatie", "apresentacao", "prezentacj",
    "informationen", "informations", "informacion", "informazioni", "informatie",
    "informacoes", "informacje", "szczegol",
    "how does it work", "how would this work", "how does this work", "what would",
    "wie funktioniert", "comment ca marche", "como funciona", "come funziona", "hoe werkt",
    "jak to dziala",
    "meeting", "meet", "a call", "quick call", "calendly", "cal.", "book something",
    "book time", "grab time", "available", "free on", "time on", "works for me",
    "zeit fur", "gesprach", "telefonat", "treffen", "appel", "appelons", "rendez-vous",
    "reunion", "llamada", "hablar", "chiamata", "riunione", "sentiamo", "afspraak",
    "gesprek", "spotkanie", "porozmawia", "rozmow", "zadzwon", "reuniao", "marcar", "ligacao",
    "let's do it", "lets do it", "go ahead", "count me in",
    "learn more", "curious", "trial", "discount", "walkthrough", "walk through", "rollout",
    "roll out", "onboarding", "invite", "some info", "more info", "send info", "the info",
    "info on", "info about", "timing", "options", "could use",
    "availability", "can we talk", "can we speak", "can we meet", "let's speak",
    "kosztuj", "pourquoi pas", "parler", "suena bien", "fissiamo", "klinkt goed", "parece bom",
    "conversar", "porozmawiam", "angebot",
    "i'm in", "when can we start", "connect", "present", "pilot", "relevant", "compare",
    "consider", "telefonieren", "unterlagen", "interess", "agendar", "intrigued",
    "walk me through", "contract length", "minimum contract", "referencias",
    "saber mais", "saperne di piu", "mehr erfahren", "en savoir plus", "saber mas",
    "disponibilidad", "disponibilidade", "disponibilites", "oferte",
)  # fmt: skip
# Asking for material: "send me info", "schicken Sie mir Unterlagen", "mandami il listino".
SEND_ME = _near(
    "send|mail|email|forward|share|schick|sende|envoy|envi|mand|stuur|wysl|przesl",
    "info(?!@)|details|pricing|prices|deck|proposal|quote|material|unterlagen|informa|tarif|precio|"
    "prezz|listino|prijs|preco|cennik|oferta|offerte|angebot|brochure|case stud",
    gap=25,
)
# Asking when: "when are you free?", "wann passt es Ihnen?", "¿cuándo tienes tiempo?"
WHEN = re.compile(
    r"\b(when (are|can|could|would|is|do) you|what time|wann (passt|haben|konnen|hatten)|"
    r"quand (etes|pouvez|seriez)|cuando (tienes|puedes|podemos|te viene|le viene)|"
    r"quando (sei|puoi|possiamo|podemos|pode)|wanneer (kun|heb|ben|past)|kiedy (mozemy|masz|"
    r"ma pan|pasuje))"
)
# A reply that starts with a plain yes.
YES = re.compile(r"^\W*(yes|yeah|yep|sure|absolutely|definitely|ja|oui|si|tak|sim|jawohl)\b")


def classify(text: str, subject: str = "", *, auto: bool = False) -> str:
    body = _fold(text)
    if UNSUBSCRIBE.search(body) or REMOVAL.search(body) or STOP_WRITING.search(body):
        return Label.UNSUBSCRIBE
    if OUT_OF_OFFICE.search(body) or OUT_OF_OFFICE.search(_fold(subject)):
        return Label.OUT_OF_OFFICE
    if AWAY_UNTIL.search(body):
        return Label.OUT_OF_OFFICE
    if auto or AUTOMATED.search(body):
        return Label.AUTO_REPLY
    not_interested = (NOT_INTERESTED, NEGATED_NEED, PASS, OURSELVES)
    if any(p.search(body) for p in not_interested) or BARE_NO.match(body):
        return Label.NOT_INTERESTED
    if any(p.search(body) for p in (INTERESTED, SEND_ME, WHEN)) or YES.match(body):
        return Label.INTERESTED
    return Label.NEUTRAL


# --- the provider --------------------------------------------------------------------------------


def _sentence(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}." if text else ""


class LocalProvider(Provider):
    """Offline rules: the reply classifier above and the content filter of `ai.content_rules`."""

    name = "local"
    model = "rules"

    def classify_reply(
        self, *, text: str, subject: str, labels: dict[str, str] | None = None, auto: bool = False
    ) -> Answer:
        label = classify(text, subject, auto=auto)
        # Rules are certain of what they match and unsure of the rest.
        confidence = 0.5 if label == Label.NEUTRAL else 0.8
        verdict = ReplyVerdict(label=str(label), confidence=confidence, reason="Offline rules.")
        return Answer(value=verdict, provider=self.name, model=self.model)

    def check_content(self, *, subject: str, body: str) -> Answer:
        signals = content_rules.signals_of(subject=subject, body=body)
        score = content_rules.score_of(signals)
        blocked = score >= content_rules.BLOCK_AT
        verdict = ContentVerdict(
            blocked=blocked,
            categories=content_rules.categories_of(signals) if blocked else (),
            score=score,
            reason=_sentence("; ".join(s.name for s in signals)),
            provider=self.name,
            model=self.model,
            signals=tuple(s.name for s in signals),
        )
        return Answer(value=verdict, provider=self.name, model=self.model)

    def generate_copy(self, *, brief: str, previous: list[str] | None = None) -> Answer:
        raise ProviderError(
            _(
                "Writing needs an AI provider: ask the operator for the built-in one, or add your "
                "own OpenAI key in Settings → AI."
            ),
            kind="unavailable",
        )
