"""Postigo settings: one module, driven by environment variables (DESIGN §7).

Development (DEBUG=true) and the test suite get embedded defaults: SQLite in WAL
mode, a SQLite-backed Celery broker, a local mail catcher, and secrets generated
once under var/. Production (DEBUG off) refuses to start without real secrets.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
from pathlib import Path

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("POSTIGO_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def envbool(name: str, default: bool) -> bool:
    value = env(name)
    if not value:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = env(name)
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)
# The suite runs with DEBUG off but may use the generated development secrets. Tests are
# recognised by their settings module (postigo/settings_test.py) being chosen, never by an
# environment variable: PYTEST_VERSION on a production host must not switch it to development.
TESTING = getattr(sys.modules["postigo"], "TEST_SETTINGS", False)
DEVELOPMENT = DEBUG or TESTING


def _development_secrets() -> dict[str, str]:
    """Load (or create once) the secrets a development checkout uses, under var/."""
    path = VAR_DIR / "dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    data = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "POSTIGO_ENCRYPTION_KEYS": "dev1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.chmod(0o600)
    tmp.replace(path)
    return data


def parse_encryption_keys(raw: str) -> dict[str, bytes]:
    """Parse `id:base64key,id:base64key` (first is current) into an ordered dict."""
    keys: dict[str, bytes] = {}
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        key_id, sep, b64 = item.partition(":")
        if not sep or not key_id.isalnum() or len(key_id) > 16:
            raise ImproperlyConfigured(
                "POSTIGO_ENCRYPTION_KEYS entries look like 'k1:<base64 of 32 bytes>'"
            )
        try:
            key = base64.b64decode(b64, validate=True)
        except ValueError as exc:
            raise ImproperlyConfigured(f"Encryption key {key_id!r} is not valid base64") from exc
        if len(key) != 32:
            raise ImproperlyConfigured(f"Encryption key {key_id!r} must be 32 bytes (AES-256)")
        if key_id in keys:
            raise ImproperlyConfigured(f"Encryption key id {key_id!r} appears twice")
        keys[key_id] = key
    return keys


_dev = _development_secrets() if DEVELOPMENT else {}
SECRET_KEY = env("SECRET_KEY") or _dev.get("SECRET_KEY", "")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEVELOPMENT else "")
POSTIGO_ENCRYPTION_KEYS = parse_encryption_keys(
    env("POSTIGO_ENCRYPTION_KEYS") or _dev.get("POSTIGO_ENCRYPTION_KEYS", "")
)

if not DEVELOPMENT:
    missing = [
        name
        for name, value in (
            ("SECRET_KEY", SECRET_KEY),
            ("ALLOWED_HOSTS", ALLOWED_HOSTS),
            ("POSTIGO_ENCRYPTION_KEYS", POSTIGO_ENCRYPTION_KEYS),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            "Production mode (DEBUG is off) needs these environment variables: "
            + ", ".join(missing)
            + ". For local development set DEBUG=true (make run does)."
        )
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters")

# Links in emails (tracking, unsubscribe, invitations). In development they follow the address
# `make run` serves (PORT=9000 gives localhost:9000); production must say where it is reached.
POSTIGO_PORT = env("POSTIGO_PORT", "8000")
PUBLIC_BASE_URL = env(
    "PUBLIC_BASE_URL", f"http://localhost:{POSTIGO_PORT}" if DEVELOPMENT else ""
).rstrip("/")
if not DEVELOPMENT and not PUBLIC_BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        "Production mode needs PUBLIC_BASE_URL, the address users and recipients reach "
        "Postigo at (e.g. https://app.example.com): links in emails are built from it."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the widget templates, for FORM_RENDERER below
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "allauth",
    "allauth.account",
    "django_htmx",
    "template_partials",
    "heroicons",
    "postigo",
    "accounts",
    "campaigns",
    "smtp_accounts",
    "ai",
    "billing",
    "privacy",
    "ninja",  # its bundled Swagger UI files for /api/docs (no CDN)
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RejectNulMiddleware",
    "core.request_guards.ExplainRefusalsMiddleware",
    "core.request_guards.BoundedIdsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.session_expiry.SessionExpiryMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "accounts.middleware.RequireSecondFactorMiddleware",
    "accounts.middleware.WorkspaceMiddleware",
    "privacy.middleware.PolicyAcceptanceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]
if DEVELOPMENT:
    # runserver and the test live server serve static files themselves.
    MIDDLEWARE.remove("whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "postigo.urls"
WSGI_APPLICATION = "postigo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.shell",
                "privacy.context_processors.policy_notice",
            ],
        },
    },
]

# Forms render with the project's templates first (templates/django/forms/: errors inside
# their own field, labels without colons).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'postigo.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server, worker and beat read while one of them writes;
        # IMMEDIATE transactions take the write lock up front instead of failing mid-way.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, sessions of allauth flows) -----------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "postigo-test" if TESTING else "postigo",
        }
    }
elif TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # Shared by every process of an embedded install, so rate limits hold across them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Opens and clicks are buffered in a Redis stream and written in batches (campaigns/tracking/
# buffer.py). That Redis must persist (appendonly yes) or a restart loses the hits
# not yet flushed. Without Redis, and while it is unreachable, hits go to a database table.
TRACKING_REDIS_URL = env("TRACKING_REDIS_URL") or REDIS_URL
TRACKING_STREAM = "postigo-test:tracking" if TESTING else "postigo:tracking"

# --- Celery -------------------------------------------------------------------------------
# /healthz turns unhealthy when beat's dispatcher has not completed a tick for this long.
DISPATCH_STALE_AFTER = int(env("DISPATCH_STALE_AFTER", "120"))
# The tick fans its mailboxes out as claim tasks: mailbox id % DISPATCH_SHARDS picks the shard,
# each shard is cut into claims of at most DISPATCH_CLAIM_BATCH mailboxes (docs/DEPLOY.md).
DISPATCH_SHARDS = envint("DISPATCH_SHARDS", 4)
DISPATCH_CLAIM_BATCH = envint("DISPATCH_CLAIM_BATCH", 500)
CELERY_BROKER_URL = (
    env("CELERY_BROKER_URL") or REDIS_URL or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)

# Redis redelivers unacknowledged tasks after this; scheduling never relies on ETA tasks
# (DESIGN §5.1), so an hour only bounds how long a crashed worker's task waits.
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {"visibility_timeout": 3600} if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else {}
)

# --- Accounts -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# bcrypt, as the privacy policy promises; the others only verify old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEVELOPMENT else "https"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}

# Failed sign-ins, (failures, seconds): per account from one address, and per address over all
# accounts (accounts/adapter.py; allauth's own "login_failed" counted per account only).
LOGIN_RATE_LIMITS = ((5, 5 * 60), (30, 15 * 60))
# The admin sign-in: (failures, seconds) per account and address, and per address overall.
ADMIN_LOGIN_RATE_LIMITS = ((5, 15 * 60), (30, 15 * 60))

OTP_TOTP_ISSUER = "Postigo"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
INVITATION_MAX_AGE_DAYS = 7

# --- Mail (the platform's own: verification, invites, notifications) ------------------------
MAIL_CATCHER_PORT = int(
    env("POSTIGO_MAIL_PORT", "1025")
)  # make run's catcher (scripts/free_port.py)
EMAIL_URL = env(
    "EMAIL_URL", f"smtp://127.0.0.1:{MAIL_CATCHER_PORT}" if DEVELOPMENT else "smtp://localhost:25"
)
vars().update(dj_email_url.parse(EMAIL_URL))
EMAIL_TIMEOUT = 15
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Postigo <no-reply@postigo.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The name platform emails (and their subjects) carry: a white-label deployment changes it here.
PRODUCT_NAME = env("POSTIGO_PRODUCT_NAME", "Postigo")
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{PRODUCT_NAME}] "
MAIL_CATCHER_DIR = VAR_DIR / "mail"
# The catcher's IMAP side, serving the demo mailbox (1143, or a free port when that is taken).
MAIL_CATCHER_IMAP_PORT = int(env("POSTIGO_IMAP_PORT", "1143"))
MAIL_CATCHER_IMAP_DIR = VAR_DIR / "imap"

# --- i18n ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# Each language named in itself (the switcher shows "Français" to someone who reads no English).
# Adding one: docs/TRANSLATIONS.md.
LANGUAGES = [("en", "English"), ("fr", "Français")]
LANGUAGE_COOKIE_NAME = "postigo_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEVELOPMENT
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# --- Security -----------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# A session lasts SESSION_LIFETIME_HOURS from the sign-in, and ends sooner after
# SESSION_IDLE_HOURS without a request (accounts/session_expiry.py); expired ones are purged
# daily by a beat job. docs/SECURITY.md.
SESSION_LIFETIME_HOURS = envint("SESSION_LIFETIME_HOURS", 14 * 24)
SESSION_IDLE_HOURS = envint("SESSION_IDLE_HOURS", 3 * 24)
SESSION_COOKIE_AGE = SESSION_LIFETIME_HOURS * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # htmx sends the token from the page (hx-headers), not the cookie
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
USE_X_FORWARDED_FOR = envbool("USE_X_FORWARDED_FOR", False)
if envbool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEVELOPMENT:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Privacy (privacy/) ---------------------------------------------------------------------
# Where people write about their data; the privacy policy shows it. Default: the sender address.
PRIVACY_CONTACT_EMAIL = env("PRIVACY_CONTACT_EMAIL")
# Flash messages ride in the session, so the session and CSRF cookies are the only ones set.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# Cookies beyond the session and CSRF ones (e.g. analytics an operator adds), as a JSON list of
# {"name", "purpose", "lifetime", "third_party"}: the privacy policy lists them. None by default.
PRIVACY_EXTRA_COOKIES = json.loads(env("PRIVACY_EXTRA_COOKIES") or "[]")
# The purge deletes this many rows per statement and transaction, pausing between batches so
# sending and tracking never wait long on it.
PRIVACY_PURGE_BATCH_SIZE = envint("PRIVACY_PURGE_BATCH_SIZE", 2000)
PRIVACY_PURGE_PAUSE_SECONDS = float(env("PRIVACY_PURGE_PAUSE_SECONDS") or "0")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # flufl.bounce logs every detector it tries, for every bounce report read.
        "flufl.bounce": {"level": "WARNING"},
        # httpx logs every webhook post at INFO; the delivery log keeps them.
        "httpx": {"level": "WARNING"},
    },
}

# --- Mailboxes ----------------------------------------------------------------------------
# Users' SMTP/IMAP hosts may not resolve to loopback, private, link-local or metadata
# addresses (SSRF), unless development allows it or the operator lists the host here.
# Only globally routable addresses (ipaddress `is_global`) are allowed; the allow-list takes
# host names or networks (e.g. "smtp.internal.example,10.20.0.0/16"). docs/SECURITY.md.
MAILBOX_ALLOW_PRIVATE_NETWORKS = envbool("MAILBOX_ALLOW_PRIVATE_NETWORKS", DEBUG)
MAILBOX_HOST_ALLOWLIST = envlist("MAILBOX_HOST_ALLOWLIST")
# Resolvers for users' mail, webhook and OAuth hosts ("ip" or "ip:port"); empty = the system's.
MAILBOX_DNS_NAMESERVERS = envlist("MAILBOX_DNS_NAMESERVERS")
# Unencrypted SMTP/IMAP is only ever allowed to loopback, and only when this is on.
MAILBOX_ALLOW_PLAINTEXT = envbool("MAILBOX_ALLOW_PLAINTEXT", DEBUG)
# Extra CA bundle for verifying mail servers' certificates (e.g. a private CA).
MAILBOX_TLS_CA_FILE = env("MAILBOX_TLS_CA_FILE")
MAILBOX_CONNECT_TIMEOUT = envint("MAILBOX_CONNECT_TIMEOUT", 15)
# Reading inboxes (docs/DEPLOY.md, "Reading 10,000 inboxes"): signed-in IMAP connections kept per
# worker process between reads (0 = none), and how long one may sit idle before it is not reused.
IMAP_POOL_SIZE = envint("IMAP_POOL_SIZE", 500)
IMAP_POOL_IDLE_SECONDS = envint("IMAP_POOL_IDLE_SECONDS", 600)
# Every mailbox is read once per cycle; beat starts a slice of them every tick, by mailbox id,
# in tasks of up to INBOX_SYNC_BATCH mailboxes.
INBOX_SYNC_CYCLE_SECONDS = envint("INBOX_SYNC_CYCLE_SECONDS", 120)
INBOX_SYNC_TICK_SECONDS = envint("INBOX_SYNC_TICK_SECONDS", 15)
INBOX_SYNC_BATCH = envint("INBOX_SYNC_BATCH", 25)
# > 1: mailboxes' reads go to queues inbox.0 … inbox.<n-1> by mailbox, one inbox worker each.
INBOX_SYNC_SHARDS = envint("INBOX_SYNC_SHARDS", 1)

# --- Mailboxes connected with OAuth (smtp_accounts/oauth, docs/OAUTH.md) ------------------------
# A provider's "Connect with …" button shows only when its client id and secret are set.
# Endpoints and mail hosts are the providers' own; tests point them at a local fake.
MICROSOFT_OAUTH_TENANT = env("MICROSOFT_OAUTH_TENANT", "common")
OAUTH_MAILBOX_PROVIDERS = {
    "google": {
        "client_id": env("GOOGLE_OAUTH_CLIENT_ID"),
        "client_secret": env("GOOGLE_OAUTH_CLIENT_SECRET"),
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_url": "https://oauth2.googleapis.com/token",
        "revoke_url": "https://oauth2.googleapis.com/revoke",
        "jwks_url": "https://www.googleapis.com/oauth2/v3/certs",
        "issuers": ["https://accounts.google.com", "accounts.google.com"],
        "smtp": ("smtp.gmail.com", 465, "ssl"),
        "imap": ("imap.gmail.com", 993, "ssl"),
    },
    "microsoft": {
        "client_id": env("MICROSOFT_OAUTH_CLIENT_ID"),
        "client_secret": env("MICROSOFT_OAUTH_CLIENT_SECRET"),
        "authorize_url": (
            f"https://login.microsoftonline.com/{MICROSOFT_OAUTH_TENANT}/oauth2/v2.0/authorize"
        ),
        "token_url": f"https://login.microsoftonline.com/{MICROSOFT_OAUTH_TENANT}/oauth2/v2.0/token",
        "revoke_url": "",  # Microsoft identity platform has no token revocation endpoint
        "jwks_url": f"https://login.microsoftonline.com/{MICROSOFT_OAUTH_TENANT}/discovery/v2.0/keys",
        # {tid}: the tenant of the account that signed in (multi-tenant apps).
        "issuers": ["https://login.microsoftonline.com/{tid}/v2.0"],
        "smtp": ("smtp.office365.com", 587, "starttls"),
        "imap": ("outlook.office365.com", 993, "ssl"),
    },
}
OAUTH_HTTP_TIMEOUT = envint("OAUTH_HTTP_TIMEOUT", 10)

# --- REST API and webhooks (api/) ---------------------------------------------------------------
# Requests per key per minute; past it the API answers 429 with Retry-After.
API_RATE_LIMIT_PER_MINUTE = envint("API_RATE_LIMIT_PER_MINUTE", 600)
# Seconds one webhook attempt may take; an endpoint failing this many days is disabled.
WEBHOOK_TIMEOUT = envint("WEBHOOK_TIMEOUT", 10)
WEBHOOK_DISABLE_AFTER_DAYS = envint("WEBHOOK_DISABLE_AFTER_DAYS", 5)
# Refuse plain-http webhook URLs (their payloads name leads).
WEBHOOK_REQUIRE_HTTPS = envbool("WEBHOOK_REQUIRE_HTTPS", False)

# --- Domain health (SPF/DKIM/DMARC/MX/blocklists) ---------------------------------------------
# Resolvers for the domain checks, "ip" or "ip:port", comma-separated; empty = the system's.
# DNS blocklists (Spamhaus in particular) refuse queries that come through big public
# resolvers, so production should point this at its own recursive resolver.
DNS_NAMESERVERS = envlist("DNS_NAMESERVERS")
DNS_TIMEOUT = envint("DNS_TIMEOUT", 4)

# --- AI (issue 20): providers, timeouts, budgets -------------------------------------------------
GEMINI_API_KEY = os.environ.get("GEMINI_API_KEY", "")
GEMINI_MODEL = os.environ.get("GEMINI_MODEL", "gemini-2.5-flash")
GEMINI_BASE_URL = os.environ.get("GEMINI_BASE_URL", "")  # tests point it at a local fake
OPENAI_BASE_URL = os.environ.get("OPENAI_BASE_URL", "")  # tests point it at a local fake
AI_TIMEOUT_SECONDS = float(os.environ.get("AI_TIMEOUT_SECONDS", "20"))
AI_MAX_ATTEMPTS = 3  # per call, before the local provider answers
AI_RETRY_BUDGET_SECONDS = float(os.environ.get("AI_RETRY_BUDGET_SECONDS", "30"))
# The send-time check of merge values (campaigns/sending/content_gate.py). Not an environment
# variable: only bench/pipeline.py turns it off, to measure what it costs.
AI_CONTENT_CHECK_AT_SEND = True

# --- Billing (prepaid balance; docs/BILLING.md) -------------------------------------------------
# Every amount is in the currency's minor unit (cents for EUR/USD), as an integer.
BILLING_CURRENCY = env("BILLING_CURRENCY", "EUR").upper()
BILLING_PRICE_EMAIL = envint("BILLING_PRICE_EMAIL", 1)  # per sent email
# Per AI call, by purpose ("purpose=price,..."); "default" prices any purpose not listed.
BILLING_PRICE_AI = {
    name.strip(): int(price)
    for name, _sep, price in (
        item.partition("=") for item in envlist("BILLING_PRICE_AI", "default=2")
    )
}
BILLING_STARTER_CREDIT = envint("BILLING_STARTER_CREDIT", 500)  # 0: no free credit
BILLING_TOPUP_MIN = envint("BILLING_TOPUP_MIN", 500)
BILLING_TOPUP_MAX = envint("BILLING_TOPUP_MAX", 1_000_000)
BILLING_TOPUP_PRESETS = [int(v) for v in envlist("BILLING_TOPUP_PRESETS", "1000,2500,5000,10000")]
BILLING_LOW_BALANCE_DEFAULT = envint("BILLING_LOW_BALANCE_DEFAULT", 200)
BILLING_RECEIPT_PREFIX = env("BILLING_RECEIPT_PREFIX", "R-")
OPERATOR_LEGAL_NAME = env("OPERATOR_LEGAL_NAME", "Postigo operator")
OPERATOR_ADDRESS = env("OPERATOR_ADDRESS").replace("\\n", "\n")
OPERATOR_VAT_ID = env("OPERATOR_VAT_ID")
# Gateways are enabled by setting their keys. The API bases exist for local fakes in tests.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env("STRIPE_API_BASE")  # empty: Stripe's own
STRIPE_WEBHOOK_TOLERANCE = envint("STRIPE_WEBHOOK_TOLERANCE", 300)  # seconds
COINGATE_API_KEY = env("COINGATE_API_KEY")
COINGATE_API_BASE = env("COINGATE_API_BASE", "https://api.coingate.com").rstrip("/")
COINGATE_RECEIVE_CURRENCY = env("COINGATE_RECEIVE_CURRENCY", "DO_NOT_CONVERT")
