"""What a person wrote this time, without the history their client quoted below it.

The classifier reads a reply's new text; quoted history in it is read as their words. Our own
template comes back in that history with its unsubscribe line, so a positive answer whose quote
was kept could be labelled "unsubscribe" and the lead unsubscribed. Cut here, before
mail-parser-reply's pass (`campaigns/inbox/mail_reading.py:new_text`):
- lines quoted with `>` (bare, as plain-text clients and Apple Mail write them);
- from the first quote header on: Gmail's, Apple Mail's and Thunderbird's "On … wrote:" in the
  configured languages ("Am … schrieb …:", "Le … a écrit :", "El … escribió:", "Il … ha
  scritto:", "Op … schreef …:", "W dniu … pisze:", "Em … escreveu:", "Den … skrev …:"), also when
  the client wrapped it over two lines;
- from Outlook's header block on ("From:/Sent:", "Von:/Gesendet:", "De :/Envoyé :", …), its
  "-----Original Message-----" and underscore rule, and forwarded blocks;
- the signature: from a `-- ` line, a sign-off line ("Best regards,", "Mit freundlichen Grüßen",
  "Met vriendelijke groet", "Pozdrawiam", …) or "Sent from my iPhone" on;
- any line of our own footer (`footer_lines`), which is never the lead's words.
HTML-only replies lose their quoted containers (Gmail's `gmail_quote`, Outlook's
`divRplyFwdMsg`/`appendonsend`, Thunderbird's `moz-cite-prefix`, Yahoo's `yahoo_quoted`,
`<blockquote>`) before they are turned into text (`without_quoted_html`).

A cut that would leave nothing keeps the text as it was: a reply that is all signature ("Thanks,
Lena") is still the lead's words.
"""

from __future__ import annotations

import re
import unicodedata

_WROTE = [
    r"on\b.{1,300}\b(?:wrote|writes)\s*:",
    r"am\b.{1,300}\bschrieb\b.{0,300}:",
    r"le\b.{1,300}\ba [ée]crit\s*:",
    r"el\b.{1,300}\bescribi[óo]\s*:",
    r"il\b.{1,300}\bha scritto\s*:",
    r"op\b.{1,300}\bschreef\b.{0,300}:",
    r"w dniu\b.{1,300}\b(?:pisze|napisa[łl](?:\(a\))?)\s*:",
    r"em\b.{1,300}\bescreveu\s*:",
    r"den\b.{1,300}\bskrev\b.{0,300}:",
    r"(?=.*(?:@|\d)).{1,200}\b(?:wrote|schrieb|a [ée]crit|escribi[óo]|ha scritto|schreef|"
    r"napisa[łl]\(a\)|escreveu|skrev)\s*:",
]
QUOTE_HEADER = re.compile(rf"^\s*(?:{'|'.join(_WROTE)})\s*$", re.IGNORECASE)

_FROM = r"(?:from|von|de|da|van|od|fr[åa]n|envoy[ée] par)"
_SENT = (
    r"(?:sent|date|gesendet|datum|envoy[ée]|enviado|enviada|inviato|data|verzonden|"
    r"wys[łl]ano|wys[łl]any|skickat|datum)"
)
OUTLOOK_FROM = re.compile(rf"^\s*\*?{_FROM}\s*\*?\s*:\s*\S", re.IGNORECASE)
OUTLOOK_SENT = re.compile(rf"^\s*\*?{_SENT}\s*\*?\s*:\s*\S", re.IGNORECASE)

SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|urspr[üu]ngliche nachricht|message d.origine|"
    r"mensaje original|messaggio originale|oorspronkelijk bericht|wiadomo[śs][ćc] oryginalna|"
    r"mensagem original|ursprungligt meddelande|forwarded message|weitergeleitete nachricht|"
    r"message transf[ée]r[ée]|mensaje reenviado|messaggio inoltrato|doorgestuurd bericht|"
    r"wiadomo[śs][ćc] przekazana|mensagem encaminhada|vidarebefordrat meddelande)\s*-{2,}|"
    r"_{20,}|begin forwarded message:|anfang der weitergeleiteten nachricht:|"
    r"d[ée]but du message r[ée]exp[ée]di[ée]\s*:)\s*$",
    re.IGNORECASE,
)

SIGN_OFF = re.compile(
    r"^\s*(?:best(?: regards| wishes)?|kind regards|warm regards|regards|cheers|many thanks|"
    r"thanks(?: a lot)?|thank you|all the best|sincerely|yours(?: sincerely| truly)?|"
    r"mit freundlichen gr[üu](?:ß|ss)en|freundliche gr[üu](?:ß|ss)e|viele gr[üu](?:ß|ss)e|"
    r"beste gr[üu](?:ß|ss)e|liebe gr[üu](?:ß|ss)e|lg|vg|mfg|gru(?:ß|ss)|"
    r"cordialement|bien [àa] vous|bien cordialement|salutations|bonne journ[ée]e|"
    r"saludos(?: cordiales)?|un saludo|atentamente|cordiali saluti|distinti saluti|saluti|"
    r"met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|groet(?:en|jes)?|mvg|"
    r"pozdrawiam|z powa[żz]aniem|pozdrowienia|atenciosamente|abra[çc]os|cumprimentos|"
    r"obrigad[oa]|med v[äa]nliga h[äa]lsningar|v[äa]nliga h[äa]lsningar|h[äa]lsningar|mvh)"
    r"\s*[,.!]?\s*$",
    re.IGNORECASE,
)
SENT_FROM_DEVICE = re.compile(
    r"^\s*(?:sent from my|von meinem .{1,30} gesendet|envoy[ée] de mon|enviado desde mi|"
    r"inviato da|verzonden (?:vanaf|met) mijn|wys[łl]ane z|enviado do meu|skickat fr[åa]n)",
    re.IGNORECASE,
)
SIGNATURE_RULE = re.compile(r"^(?:-- ?|--|—)$")

_QUOTED_HTML = re.compile(
    r"<(?:div|span|table)\b[^>]{0,300}?(?:id=[\"']?(?:divRplyFwdMsg|appendonsend|"
    r"mail-editor-reference-message-container|reply-intro)|class=[\"'][^\"']{0,80}?"
    r"\b(?:gmail_quote|gmail_attr|moz-cite-prefix|yahoo_quoted|protonmail_quote|"
    r"zmail_extra|OutlookMessageHeader)\b)|<blockquote\b|<hr\b[^>]{0,200}?id=[\"']?stopSpelling",
    re.IGNORECASE,
)


def without_quoted_html(html: str) -> str:
    """An HTML reply cut where its client's quoted history starts."""
    match = _QUOTED_HTML.search(html)
    return html[: match.start()] if match and match.start() > 0 else html


def cut_history(text: str, *, footer_lines: frozenset[str] = frozenset()) -> str:
    """The text above the quoted history and signature, without `>` lines or our footer."""
    lines = text.replace("\r\n", "\n").split("\n")
    end = next((n for n in range(len(lines)) if _ends_here(lines, n)), len(lines))
    kept: list[str] = []
    for n, line in enumerate(lines[:end]):
        stripped = line.strip()
        if stripped.startswith(">"):
            continue
        if kept and _signature_starts(stripped, kept, lines[n + 1 : end]):
            break
        if footer_lines and _fold(stripped) and _fold(stripped) in footer_lines:
            continue
        kept.append(line)
    cut = "\n".join(kept).strip()
    if not cut:  # bottom-posted: the answer is below the quote, outside its `>` lines
        below = [
            line
            for n, line in enumerate(lines)
            if not line.strip().startswith(">") and not _ends_here(lines, n)
        ]
        cut = "\n".join(_until_signature(below)).strip()
    return cut if cut else text.strip()


def _until_signature(lines: list[str]) -> list[str]:
    kept: list[str] = []
    for n, line in enumerate(lines):
        if kept and _signature_starts(line.strip(), kept, lines[n + 1 :]):
            break
        kept.append(line)
    return kept


def footer_lines_of(footer_text: str) -> frozenset[str]:
    """Our footer's lines as `cut_history` compares them (merge fields taken out)."""
    lines = re.sub(r"\{\{[^}]*\}\}", "", footer_text).splitlines()
    return frozenset(f for line in lines if len(f := _fold(line)) >= 8)


def _ends_here(lines: list[str], n: int) -> bool:
    line = lines[n].strip()
    if not line:
        return False
    if SEPARATOR.match(line) or QUOTE_HEADER.match(line):
        return True
    following = next((x.strip() for x in lines[n + 1 : n + 3] if x.strip()), "")
    if not line.startswith(">") and following and QUOTE_HEADER.match(f"{line} {following}"):
        # "On Tue, 24 Nov 2026 at 11:00, Alice <a@b>" / "wrote:" wrapped by the client
        return _looks_like_start_of_header(line)
    if OUTLOOK_FROM.match(line):
        window = [x for x in lines[n + 1 : n + 5] if x.strip()]
        return any(OUTLOOK_SENT.match(x) for x in window)
    return False


_HEADER_START = re.compile(
    r"^(?:on|am|le|el|il|op|w dniu|em|den)\b|\b(?:19|20)\d\d\b", re.IGNORECASE
)


def _looks_like_start_of_header(line: str) -> bool:
    return bool(_HEADER_START.search(line))


def _signature_starts(line: str, kept: list[str], after: list[str]) -> bool:
    """A `-- ` rule or "Sent from my…" always; a sign-off when a short name block follows it
    ("Best regards,\nLena Vogel\nCEO"), not when it is the reply's last words ("Thanks!")."""
    if SIGNATURE_RULE.match(line) or SENT_FROM_DEVICE.match(line):
        return True
    if not SIGN_OFF.match(line) or not any(x.strip() for x in kept):
        return False
    block = [x.strip() for x in after if x.strip()]
    return 1 <= len(block) <= 8 and all(len(x) < 80 for x in block)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())
