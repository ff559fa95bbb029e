"""Writes bench/data/content_filter.jsonl: the labelled set of the local content filter.

Hand-written pieces in eight languages, combined with a fixed seed: legitimate cold outreach
(openers × pitches × calls to action, including the hard cases the issue names — invoicing
software, a password manager, a security consultancy, "free trial", "limited time", prices and
links, couriers' and banks' own software vendors) and abusive mail per category (pretexts ×
asks × links). Run it to regenerate; the JSONL is committed so the benchmark needs nothing else.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).with_name("content_filter.jsonl")

# --- legitimate --------------------------------------------------------------------------------
OPENERS = {
    "en": ["Hi {{first_name|there}},", "Hello {{first_name}},", "Hey {{first_name|there}},"],
    "de": ["Hallo {{first_name}},", "Guten Tag {{first_name|}},"],
    "fr": ["Bonjour {{first_name}},", "Bonjour,"],
    "es": ["Hola {{first_name}},", "Buenos días,"],
    "it": ["Ciao {{first_name}},", "Buongiorno,"],
    "nl": ["Hoi {{first_name}},", "Goedemiddag,"],
    "pl": ["Dzień dobry {{first_name}},", "Cześć,"],
    "pt": ["Olá {{first_name}},", "Bom dia,"],
}
PITCHES = {
    "en": [
        "We build invoicing software that sends invoices, chases late payments and reconciles "
        "them with your bank account automatically. Teams like {{company}} get paid 9 days faster.",
        "Our password manager helps your team stop reusing passwords: shared vaults, SSO and a "
        "breach report. Free trial for 30 days, no credit card needed.",
        "We are a security consultancy: penetration tests, phishing simulations for your staff "
        "and ISO 27001 readiness. A typical audit is $4,900 and takes two weeks.",
        "I noticed {{company}} is hiring SDRs. We train outbound teams in 6 weeks; the next "
        "cohort starts on 12 March and seats are limited.",
        "We help e-commerce shops cut shipping costs: one dashboard for DHL, UPS and FedEx labels, "
        "tracking pages and returns. Plans start at €49/month.",
        "Our bookkeeping service closes your month in 3 days. Limited time: the first month is "
        "free. See pricing at https://ledgerly.io/pricing",
        "We make payroll simple for companies with 10 to 200 people: payslips, tax filings and "
        "bank transfers in one place.",
        "Quick idea: your careers page loads in 6 seconds on mobile. We fix site speed for a fixed "
        "fee; here is a 2-minute video audit: https://www.loom.com/share/abc123",
        "We help banks and credit unions onboard customers faster with identity verification "
        "APIs. Happy to share how a regional bank cut drop-offs by 30%.",
        "Would a crypto accounting tool help {{company}}? We import wallets and exchanges and "
        "produce tax reports your accountant accepts.",
        "We organise team offsites in Lisbon and Porto: venue, travel and activities from "
        "€390 per person. Early-bird prices end Friday.",
        "Our tax advisory firm helps SaaS companies reclaim R&D tax credits; last year our "
        "clients recovered $1.2M in total.",
        "We help logistics companies track every parcel and delivery in real time; couriers "
        "like yours use our API to cut 'where is my package' tickets by half.",
        "I run a small agency that writes case studies. Could I send two samples for {{company}}?",
        "Our HR platform reminds employees to renew their passwords and complete security "
        "training — it plugs into Google Workspace and Microsoft 365.",
        "We sell refurbished laptops with a 3-year warranty, 40% below list price. Free delivery "
        "within the EU.",
        "We're hosting a free webinar on cold email deliverability next Thursday: SPF, DKIM, "
        "DMARC and warm-up. Register here: https://events.mailcraft.io/webinar",
        "Your Google reviews mention slow support. We provide a 24/7 support desk from €1,800 a "
        "month; urgent tickets are answered within 15 minutes.",
        "Our app lets gyms sell gift cards and memberships online. Studios like yours add "
        "about 8% revenue in December.",
        "We design packaging for coffee roasters. A full redesign starts at $2,500.",
    ],
    "de": [
        "Wir entwickeln eine Rechnungssoftware, die Rechnungen verschickt, Mahnungen automatisch "
        "erstellt und Zahlungen mit Ihrem Bankkonto abgleicht.",
        "Unser Passwortmanager hilft Ihrem Team, sichere Passwörter zu verwenden. Testen Sie ihn "
        "30 Tage kostenlos.",
        "Wir sind ein IT-Sicherheitsberater: Penetrationstests und Phishing-Schulungen für Ihre "
        "Mitarbeitenden. Ein Audit kostet ab 4.900 €.",
        "Wir helfen Onlineshops, Versandkosten zu senken: DHL- und DPD-Etiketten, "
        "Sendungsverfolgung und Retouren in einem Dashboard.",
        "Nur für kurze Zeit: 20 % Rabatt auf unsere Buchhaltungssoftware. Details unter "
        "https://buchhaltung-einfach.de/preise",
        "Wir unterstützen Steuerberater mit einer Software für Mandantenbelege und "
        "Steuererklärungen.",
        "Wir organisieren Firmenevents in Berlin und München ab 89 € pro Person.",
    ],
    "fr": [
        "Nous éditons un logiciel de facturation qui envoie vos factures, relance les impayés et "
        "rapproche les paiements de votre compte bancaire.",
        "Notre gestionnaire de mots de passe aide votre équipe à partager ses accès en toute "
        "sécurité. Essai gratuit de 30 jours.",
        "Cabinet de conseil en cybersécurité : tests d'intrusion et sensibilisation au phishing "
        "pour vos équipes. Un audit démarre à 4 500 €.",
        "Nous aidons les e-commerçants à réduire leurs frais de livraison et à suivre chaque "
        "colis. Offre limitée : 2 mois offerts.",
        "Nous accompagnons les PME dans leur déclaration d'impôts et leur comptabilité mensuelle.",
        "Nous organisons des séminaires d'entreprise à Lyon et Bordeaux, à partir de 120 € par "
        "personne.",
    ],
    "es": [
        "Desarrollamos un software de facturación que envía facturas, reclama pagos atrasados y "
        "concilia los cobros con su cuenta bancaria.",
        "Nuestro gestor de contraseñas ayuda a su equipo a compartir accesos de forma segura. "
        "Prueba gratuita de 30 días.",
        "Somos una consultora de ciberseguridad: pruebas de penetración y formación contra el "
        "phishing. Una auditoría cuesta desde 4.500 €.",
        "Ayudamos a tiendas online a reducir costes de envío y seguir cada paquete en tiempo real.",
        "Oferta por tiempo limitado: 20 % de descuento en nuestro software de contabilidad. Más "
        "información en https://contaplus.es/precios",
        "Ayudamos a empresas a preparar su declaración de impuestos sin errores.",
    ],
    "it": [
        "Sviluppiamo un software di fatturazione elettronica che invia le fatture, sollecita i "
        "pagamenti e li riconcilia con il vostro conto.",
        "Il nostro password manager aiuta il vostro team a condividere gli accessi in sicurezza. "
        "Prova gratuita di 30 giorni.",
        "Siamo una società di consulenza in sicurezza informatica: penetration test e corsi "
        "anti-phishing. Un audit parte da 4.500 €.",
        "Aiutiamo gli e-commerce a ridurre i costi di spedizione e a tracciare ogni pacco.",
        "Offerta a tempo limitato: il primo mese del nostro gestionale è gratuito.",
    ],
    "nl": [
        "Wij maken factuursoftware die facturen verstuurt, herinneringen stuurt en betalingen "
        "koppelt aan uw bankrekening.",
        "Onze wachtwoordmanager helpt uw team om veilig wachtwoorden te delen. 30 dagen gratis "
        "proberen.",
        "Wij zijn een securitybureau: pentesten en phishingtrainingen voor uw medewerkers. Een "
        "audit kost vanaf € 4.500.",
        "Wij helpen webshops om verzendkosten te verlagen en elk pakket te volgen.",
        "Alleen deze maand: 25% korting op onze boekhoudsoftware, zie https://boekhoudslim.nl",
    ],
    "pl": [
        "Tworzymy oprogramowanie do fakturowania, które wysyła faktury, przypomina o płatnościach "
        "i łączy je z Twoim kontem bankowym.",
        "Nasz menedżer haseł pomaga zespołom bezpiecznie udostępniać dostępy. 30 dni za darmo.",
        "Jesteśmy firmą doradczą w zakresie cyberbezpieczeństwa: testy penetracyjne i szkolenia "
        "z phishingu. Audyt od 18 000 zł.",
        "Pomagamy sklepom internetowym obniżyć koszty wysyłki i śledzić każdą paczkę.",
        "Oferta ograniczona czasowo: pierwszy miesiąc księgowości gratis.",
    ],
    "pt": [
        "Desenvolvemos um software de faturação que envia faturas, cobra pagamentos em atraso e "
        "concilia tudo com a sua conta bancária.",
        "O nosso gestor de senhas ajuda a sua equipa a partilhar acessos com segurança. Teste "
        "grátis por 30 dias.",
        "Somos uma consultoria de cibersegurança: testes de intrusão e formação contra phishing. "
        "Uma auditoria custa a partir de 4.500 €.",
        "Ajudamos lojas online a reduzir custos de envio e a acompanhar cada encomenda.",
        "Oferta por tempo limitado: o primeiro mês é grátis.",
    ],
}
CTAS = {
    "en": ["Worth a 15-minute call next week?", "Open to a quick chat on Tuesday?",
           "Can I send you a short demo video?", "Reply 'no' and I won't follow up."],
    "de": ["Hätten Sie nächste Woche 15 Minuten Zeit?", "Darf ich Ihnen eine kurze Demo zeigen?"],
    "fr": ["Auriez-vous 15 minutes la semaine prochaine ?", "Puis-je vous envoyer une démo ?"],
    "es": ["¿Tiene 15 minutos la próxima semana?", "¿Le envío una demo breve?"],
    "it": ["Ha 15 minuti la prossima settimana?", "Posso inviarle una breve demo?"],
    "nl": ["Heeft u volgende week 15 minuten?", "Zal ik een korte demo sturen?"],
    "pl": ["Czy znajdzie Pan/Pani 15 minut w przyszłym tygodniu?", "Czy mogę wysłać krótkie demo?"],
    "pt": ["Tem 15 minutos na próxima semana?", "Posso enviar uma demonstração curta?"],
}  # fmt: skip
SUBJECTS_LEGIT = ["Quick question", "{{company}} + us", "Idea for {{company}}",
                  "{Quick|Short} question", "Re: invoicing", "Kurze Frage", "Une idée",
                  "Una pregunta", "Una domanda", "Korte vraag", "Krótkie pytanie", "Uma ideia",
                  "Free trial", "Limited time offer"]  # fmt: skip

# --- abusive: (category, language, subject, body) ---------------------------------------------
LINKS = {
    "lookalike": ["http://paypa1-secure-login.com/verify", "https://micros0ft-support.net/reset",
                  "http://amazon-account-update.info/login", "https://secure-chase-online.co/id",
                  "http://dhl-zustellung.info/zoll", "https://apple.id-verify-center.com"],
    "ip": ["http://185.22.14.7/login.php", "http://45.133.1.90/secure/"],
    "short": ["https://bit.ly/3xYzQ1", "https://tinyurl.com/acct-verify", "https://cutt.ly/wP9z"],
    "exe": ["http://files-share.top/Invoice_0231.exe", "https://docs-view.net/Payment.docm",
            "http://cdn-upd.xyz/update.msi"],
}  # fmt: skip
ABUSIVE = [
    # phishing / credentials
    ("phishing", "en", "Action required: account suspended",
     "Your account will be suspended within 24 hours. Verify your account now: {lookalike}"),
    ("phishing", "en", "Mailbox full",
     "Your mailbox has been restricted. Please re-enter your password to restore access: {ip}"),
    ("phishing", "en", "Unusual sign-in",
     "We detected an unusual sign-in. Confirm your login details here {short} or your account "
     "will be permanently locked."),
    ("phishing", "en", "Payment failed",
     "Your subscription payment failed. Update your card details within 48 hours: {lookalike}"),
    ("phishing", "en", "Shared document",
     'You have a new document. <a href="{ip}">https://docs.google.com/document/d/1x</a>'),
    ("phishing", "en", "Invoice",
     'View invoice: <a href="{lookalike}">www.quickbooks.com/invoice/2231</a>'),
    ("phishing", "de", "Ihr Konto wurde gesperrt",
     "Ihr Konto wurde gesperrt. Bitte bestätigen Sie Ihre Zugangsdaten innerhalb von 24 Stunden: "
     "{lookalike}"),
    ("phishing", "de", "Sicherheitshinweis",
     "Bitte Passwort bestätigen, sonst wird Ihr Postfach gelöscht: {ip}"),
    ("phishing", "fr", "Votre compte sera suspendu",
     "Votre compte sera suspendu. Confirmez votre mot de passe sous 24h : {lookalike}"),
    ("phishing", "fr", "Alerte sécurité",
     "Vérifiez votre identité immédiatement : {short}"),
    ("phishing", "es", "Su cuenta ha sido bloqueada",
     "Su cuenta ha sido bloqueada. Verifique su identidad en 24 horas: {lookalike}"),
    ("phishing", "es", "Aviso de seguridad",
     "Confirme su contraseña inmediatamente o su cuenta será cancelada: {ip}"),
    ("phishing", "it", "Account sospeso",
     "Il tuo account è stato sospeso. Conferma la tua password entro 24 ore: {lookalike}"),
    ("phishing", "it", "Verifica richiesta",
     "Verifica la tua identità subito: {short}"),
    ("phishing", "nl", "Uw rekening is geblokkeerd",
     "Uw rekening wordt geblokkeerd. Bevestig uw inloggegevens binnen 24 uur: {lookalike}"),
    ("phishing", "pl", "Konto zablokowane",
     "Twoje konto zostanie zablokowane. Potwierdź swoje hasło w ciągu 24 godzin: {lookalike}"),
    ("phishing", "pt", "Conta suspensa",
     "A sua conta será bloqueada. Confirme a sua senha em 24 horas: {lookalike}"),
    ("phishing", "en", "Re: your proposal",
     "Please provide your bank details and your login so we can process the transfer today."),
    # impersonation: couriers, tax offices, banks
    ("impersonation", "en", "Your parcel is on hold",
     "This is DHL. Your package could not be delivered. Pay the customs fee of $1.99: {lookalike}"),
    ("impersonation", "en", "USPS: delivery attempt failed",
     "Your parcel is waiting. To schedule redelivery pay a small fee here: {short}"),
    ("impersonation", "en", "Tax refund notice",
     "The IRS has calculated a tax refund of $842.50. Claim your refund here: {lookalike}"),
    ("impersonation", "en", "HMRC: outstanding payment",
     "HMRC: you have an outstanding tax payment. Pay now to avoid a penalty: {ip}"),
    ("impersonation", "en", "Security alert from your bank",
     "From your bank's fraud department: verify your account to keep your card active: "
     "{lookalike}"),
    ("impersonation", "de", "Ihr Paket",
     "Ihr Paket konnte nicht zugestellt werden. Bitte bezahlen Sie die Zollgebühr: {lookalike}"),
    ("impersonation", "de", "Steuererstattung",
     "Das Finanzamt hat eine Steuererstattung von 412 € festgestellt. Erstattung anfordern: "
     "{short}"),
    ("impersonation", "fr", "Votre colis",
     "La Poste : votre colis est en attente. Payez les frais de douane de 2,99 € : {lookalike}"),
    ("impersonation", "fr", "Remboursement d'impôt",
     "Vous avez droit à un remboursement d'impôt de 318 €. Cliquez ici : {short}"),
    ("impersonation", "es", "Su paquete",
     "Correos: su paquete está retenido. Pague la tasa de aduana de 1,79 €: {lookalike}"),
    ("impersonation", "es", "Devolución de impuestos",
     "Agencia Tributaria: tiene una devolución de impuestos pendiente. Reclámela: {ip}"),
    ("impersonation", "it", "Il tuo pacco",
     "Poste Italiane: il tuo pacco è in giacenza. Paga la tassa di spedizione: {lookalike}"),
    ("impersonation", "it", "Rimborso fiscale",
     "Agenzia delle Entrate: hai diritto a un rimborso fiscale. Richiedilo qui: {short}"),
    ("impersonation", "nl", "Uw pakket",
     "PostNL: uw pakket wacht op betaling van de douanekosten. Betaal hier: {lookalike}"),
    ("impersonation", "pl", "Twoja paczka",
     "InPost: Twoja paczka czeka. Zapłać opłatę celną 2,50 zł: {lookalike}"),
    ("impersonation", "pt", "A sua encomenda",
     "CTT: a sua encomenda aguarda pagamento da taxa de alfândega. Pague aqui: {lookalike}"),
    # fraud: gift cards, crypto returns, advance fee
    ("fraud", "en", "Quick favour",
     "Are you available? I need you to buy 4 Apple gift cards for a client, scratch the back "
     "and send me the codes. Urgent."),
    ("fraud", "en", "Request",
     "Please purchase Google Play gift cards worth $500 today and email me the codes."),
    ("fraud", "en", "Double your bitcoin",
     "Send 0.05 BTC to bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh and we will double your "
     "bitcoin within 24 hours. Guaranteed returns."),
    ("fraud", "en", "Investment opportunity",
     "Our trading bot pays 30% monthly returns, risk-free profit. Deposit USDT to "
     "0x52908400098527886E0F7030069857D2E4169EE7"),
    ("fraud", "en", "Inheritance",
     "I am a barrister representing the estate of a late client. You are the beneficiary of "
     "an unclaimed fund of USD 4.5 million; a small processing fee is required."),
    ("fraud", "en", "Congratulations",
     "You have won our annual lottery award of €250,000. Claim your prize by replying with your "
     "bank details."),
    ("fraud", "de", "Kleiner Gefallen",
     "Können Sie bitte 5 Amazon-Geschenkkarten kaufen und mir die Codes schicken? Dringend."),
    ("fraud", "de", "Garantierte Rendite",
     "Garantierte Rendite von 20 % pro Woche. Senden Sie BTC an "
     "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
    ("fraud", "fr", "Service rapide",
     "Pouvez-vous acheter des cartes cadeaux Google Play et m'envoyer les codes ?"),
    ("fraud", "fr", "Héritage",
     "Vous êtes l'unique bénéficiaire d'un héritage de 3,2 millions. Des frais de dossier sont "
     "à régler."),
    ("fraud", "es", "Favor urgente",
     "Necesito que compres tarjetas regalo de Amazon y me envíes los códigos hoy."),
    ("fraud", "es", "Rentabilidad garantizada",
     "Rentabilidad garantizada del 15 % mensual. Envíe ETH a "
     "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"),
    ("fraud", "it", "Favore",
     "Puoi comprare delle carte regalo Apple e inviarmi i codici? È urgente."),
    ("fraud", "it", "Hai vinto",
     "Hai vinto un premio di 50.000 €! Invia i tuoi dati bancari per riceverlo."),
    ("fraud", "nl", "Snelle vraag",
     "Kun je cadeaukaarten kopen en mij de codes sturen? Het is dringend."),
    ("fraud", "pl", "Prośba",
     "Czy możesz kupić karty podarunkowe Google Play i wysłać mi kody?"),
    ("fraud", "pt", "Favor",
     "Pode comprar cartões presente da Apple e enviar-me os códigos?"),
    ("fraud", "pt", "Retorno garantido",
     "Retorno garantido de 25% ao mês. Envie USDT para TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"),
    # malware
    ("malware", "en", "Overdue invoice",
     "Please find the overdue invoice here: {exe}"),
    ("malware", "en", "Documents for signing",
     "Open the attached Contract_2291.docm and click Enable Content to view the document."),
    ("malware", "en", "Order confirmation",
     "Your order confirmation is attached as Order_88213.pdf.exe, please open it today."),
    ("malware", "de", "Rechnung",
     "Ihre Rechnung finden Sie hier: {exe} Bitte Inhalt aktivieren, um sie anzuzeigen."),
    ("malware", "fr", "Facture impayée",
     "Veuillez télécharger la facture : {exe} puis activer les macros."),
    ("malware", "es", "Factura",
     "Descargue la factura pendiente: {exe}"),
    ("malware", "it", "Fattura",
     "Scarica la fattura e abilita contenuto per visualizzarla: {exe}"),
    ("malware", "nl", "Factuur",
     "Download de openstaande factuur: {exe}"),
    ("malware", "pl", "Faktura",
     "Pobierz fakturę: {exe} i włącz makra."),
    ("malware", "pt", "Fatura",
     "Descarregue a fatura em atraso: {exe}"),
    # extortion
    ("extortion", "en", "I know your secret",
     "I hacked your device and recorded you. Pay $1,500 in bitcoin to "
     "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq within 48 hours or the video goes to all your "
     "contacts."),
    ("extortion", "en", "Your data",
     "We have access to your customer database. Send 2 BTC before Friday or we will leak it."),
    ("extortion", "de", "Letzte Warnung",
     "Ich habe Sie gefilmt. Zahlen Sie 1.000 € in Bitcoin an "
     "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2, sonst veröffentliche ich das Video an Ihre Kontakte."),
    ("extortion", "fr", "Dernier avis",
     "J'ai piraté votre ordinateur. Payez 800 € en bitcoin ou je publierai tout à vos contacts."),
    ("extortion", "es", "Aviso",
     "He grabado un video suyo. Pague en bitcoin o publicaremos todo a sus contactos."),
    ("extortion", "it", "Ultimo avviso",
     "Ho registrato un video. Paga in bitcoin o lo invierò ai tuoi contatti."),
    ("extortion", "nl", "Laatste waarschuwing",
     "Ik heb je gefilmd. Betaal in bitcoin, anders stuur ik de video naar je contacten."),
    ("extortion", "pl", "Ostatnie ostrzeżenie",
     "Nagrałem Cię. Zapłać w bitcoinach albo opublikuję nagranie Twoim kontaktom."),
    ("extortion", "pt", "Último aviso",
     "Eu gravei um vídeo seu. Pague em bitcoin ou vou publicar para os seus contatos."),
    # illegal goods
    ("illegal_goods", "en", "Discreet shipping",
     "Top quality cocaine and MDMA, shipped discreetly worldwide. Order via Telegram."),
    ("illegal_goods", "en", "Documents",
     "We sell fake passports and driver's licenses that pass every check."),
    ("illegal_goods", "en", "Pharmacy",
     "Buy oxycodone and Xanax without prescription, overnight delivery."),
    ("illegal_goods", "en", "Fresh cards",
     "Fresh CVV dumps and fullz, 90% valid, bulk discounts."),
    ("illegal_goods", "de", "Diskret",
     "Kokain und Falschgeld, diskreter Versand. Medikamente ohne Rezept."),
    ("illegal_goods", "fr", "Livraison discrète",
     "Faux passeports et médicaments sans ordonnance, livraison rapide."),
    ("illegal_goods", "es", "Envío discreto",
     "Vendemos cocaína y pasaportes falsos. Medicamentos sin receta."),
    ("illegal_goods", "it", "Spedizione discreta",
     "Passaporti falsi e banconote false di alta qualità."),
    ("illegal_goods", "nl", "Discreet",
     "Valse paspoorten en medicijnen zonder recept."),
    ("illegal_goods", "pl", "Dyskretnie",
     "Fałszywe paszporty i leki bez recepty, szybka wysyłka."),
    ("illegal_goods", "pt", "Envio discreto",
     "Passaportes falsos e dinheiro falso de alta qualidade."),
    # adult
    ("adult", "en", "Hot singles near you", "Hot singles in your area want to meet tonight."),
    ("adult", "en", "Private show", "Free sex cams, no sign-up: {short}"),
    ("adult", "en", "Photos", "Want to see my nude photos? Click here."),
    ("adult", "de", "Heute Abend", "Sexkontakte in deiner Nähe, diskret und kostenlos."),
    ("adult", "fr", "Ce soir", "Rencontres coquines près de chez vous, inscription gratuite."),
    ("adult", "es", "Esta noche", "Citas calientes cerca de ti esta noche."),
    ("adult", "it", "Stasera", "Incontri hot nella tua città, iscrizione gratuita."),
    ("adult", "nl", "Vanavond", "Sexdate bij jou in de buurt, gratis aanmelden."),
    ("adult", "pl", "Dziś wieczorem", "Seks randki w Twojej okolicy, za darmo."),
    ("adult", "pt", "Hoje à noite", "Vídeos eróticos grátis, sem cadastro."),
]  # fmt: skip


def build(seed: int = 20) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for lang, pitches in PITCHES.items():
        for pitch in pitches:
            # each pitch in two different framings
            for _ in range(2 if lang == "en" else 3):
                body = "\n\n".join([rng.choice(OPENERS[lang]), pitch, rng.choice(CTAS[lang])])
                rows.append({"subject": rng.choice(SUBJECTS_LEGIT), "body": body,
                             "label": "legit", "category": "", "lang": lang})  # fmt: skip
    for category, lang, subject, body in ABUSIVE:
        for _ in range(2):
            filled = body.format(**{k: rng.choice(v) for k, v in LINKS.items()})
            if rng.random() < 0.5:
                filled = rng.choice(OPENERS[lang]) + "\n\n" + filled
            rows.append({"subject": subject, "body": filled, "label": "abusive",
                         "category": category, "lang": lang})  # fmt: skip
    seen, unique = set(), []
    for row in rows:
        key = (row["subject"], row["body"])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


if __name__ == "__main__":
    rows = build()
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    abusive = sum(r["label"] == "abusive" for r in rows)
    print(f"{len(rows)} messages, {abusive} abusive, written to {OUT}")
