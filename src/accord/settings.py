"""Django settings for Accord, read from ``ACCORD_*`` environment variables.

Nothing is required: with no variable set Accord runs on SQLite under ``./var``. See the
configuration table in the README for every variable.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from accord.core.choices import Role
from accord.environment import env_list as _list
from accord.environment import flag as _flag
from accord.environment import rate as _rate
from accord.environment import secret_key as _secret_key
from accord.schedule import AFTER_INGEST, DAILY_JOBS, ROUND_JOBS

__all__: list[str] = []


ACCORD_HOME = Path(os.environ.get("ACCORD_HOME", "var")).resolve()
DEBUG = _flag("ACCORD_DEBUG")
SECRET_KEY = _secret_key(ACCORD_HOME)
# Keys the ids Accord mints for imported objects (CSV rows, text, MISP objects without a uuid):
# the same value from the same organisation gets the same id within an installation, and no one
# without this key can compute it. Derived from the secret key unless set, so hosts that share
# one share the other; set it to keep the ids when the secret key changes.
ACCORD_ID_KEY = (
    os.environ.get("ACCORD_ID_KEY") or hmac.new(SECRET_KEY.encode(), b"accord minted ids", hashlib.sha256).hexdigest()
)
ALLOWED_HOSTS = _list("ACCORD_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = _list("ACCORD_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "accord.core",
    "accord.notifications",
    "accord.partners",
    "accord.sharing",
    "accord.feeds",
    "accord.formats",
    "accord.policy",
    "accord.taxii",
    "accord.exports",
    "accord.analysis",
    "accord.enrichment",
    "accord.programme",
    "accord.governance",
    "accord.operations",
    "accord.interception",
    "accord.web",
]

MIDDLEWARE = [
    # First: the request's id is on every log record of it, and every answer is counted.
    "accord.core.middleware.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before sessions and the database: a client past its rate costs no query.
    "accord.core.ratelimit.RequestRateMiddleware",
    "accord.core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "accord.core.middleware.SessionMiddleware",  # and the others there: passed by where TAXII brings a token
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",  # by its name: `check --deploy` looks for it
    "accord.core.middleware.AuthenticationMiddleware",
    # user.is_verified(): whether this session gave a second-factor code (django-otp); then the
    # pages, the admin and session API calls of someone who still owes one answer only its pages.
    "accord.core.middleware.OTPMiddleware",
    "accord.web.middleware.SecondFactorMiddleware",
    # With read replicas: a reading request's state (views then ask for replica reads), and who
    # just wrote (read your writes). Without them it does nothing.
    "accord.core.replicas.ReplicaMiddleware",
    "accord.core.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accord.core.middleware.HtmxMiddleware",
    "accord.core.middleware.OutOfRangeMiddleware",
]

ROOT_URLCONF = "accord.urls"
WSGI_APPLICATION = "accord.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accord.web.context_processors.navigation",
                "accord.notifications.context_processors.inbox",
            ],
            # ``|public_id`` everywhere: ids of shared data are never shown as row numbers
            "builtins": ["accord.core.templatetags.ids"],
        },
    },
]

# --- Database ----------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("ACCORD_DATABASE_URL") or f"sqlite:///{ACCORD_HOME / 'accord.sqlite3'}",
        conn_max_age=int(os.environ.get("ACCORD_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock when a
    # transaction starts, so concurrent writers wait (busy timeout) instead of failing on
    # lock upgrade. Connections persist like PostgreSQL's (ACCORD_DB_CONN_MAX_AGE): opening one
    # and running these pragmas is about a millisecond of every request otherwise. A page cache
    # of 64 MB (not the default 2 MB) keeps the indexes a large ingest writes to in memory.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so that tests can watch the database from another process.
    DATABASES["default"]["TEST"] = {"NAME": str(ACCORD_HOME / "test.sqlite3")}
# PostgreSQL streaming replicas of the primary (comma-separated URLs), as the aliases `replica`,
# `replica_2`, …: the heavy analysts' reads may go to one (accord.core.replicas; what is and is
# not read from them is in docs/deployment.md). None set: every read is the primary's.
ACCORD_REPLICA_ALIASES: list[str] = []
for _number, _url in enumerate(_list("ACCORD_REPLICA_DATABASE_URL", ""), start=1):
    _alias = "replica" if _number == 1 else f"replica_{_number}"
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "ACCORD_REPLICA_DATABASE_URL: read replicas are PostgreSQL streaming replicas; "
            "ACCORD_DATABASE_URL must name a PostgreSQL primary."
        )
    try:
        _replica = dj_database_url.parse(
            _url, conn_max_age=int(os.environ.get("ACCORD_DB_CONN_MAX_AGE", "60")), conn_health_checks=True
        )
    except ValueError as _error:
        raise ImproperlyConfigured(f"ACCORD_REPLICA_DATABASE_URL: replica {_number} is not a URL ({_error}).") from None
    if _replica["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(f"ACCORD_REPLICA_DATABASE_URL: replica {_number} is not a PostgreSQL URL.")
    # A replica that does not answer within 2 s is passed over for the primary (unless the URL
    # says otherwise); under a test runner the alias reads the test database.
    _replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[_alias] = _replica
    ACCORD_REPLICA_ALIASES.append(_alias)
# A replica further behind the primary than this (seconds of replay) is passed over for the
# primary; it is also how long a person's reads stay on the primary after they changed
# something (+1 s), so they read their own writes.
ACCORD_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("ACCORD_REPLICA_MAX_LAG_SECONDS", "5"))
if ACCORD_REPLICA_MAX_LAG_SECONDS < 0:
    raise ImproperlyConfigured("ACCORD_REPLICA_MAX_LAG_SECONDS: a number of seconds, 0 or more.")
DATABASE_ROUTERS = ["accord.core.replicas.ReplicaRouter"] if ACCORD_REPLICA_ALIASES else []
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication ------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Security --------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_SAMESITE = "Lax"
_https = _flag("ACCORD_HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_HSTS_SECONDS = 31_536_000 if _https else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
SECURE_HSTS_PRELOAD = _flag("ACCORD_HSTS_PRELOAD")
# How many reverse proxies in front of Accord append to X-Forwarded-For (0: trust none). Behind
# one (or with ACCORD_BEHIND_PROXY=1) its X-Forwarded-Proto: https says the request came over TLS.
# ACCORD_BEHIND_PROXY=1 alone means one: else every client would have the proxy's address (one
# sign-in lock for all, and /metrics open to anyone the proxy lets through from loopback).
ACCORD_TRUSTED_PROXIES = int(os.environ.get("ACCORD_TRUSTED_PROXIES", "1" if _flag("ACCORD_BEHIND_PROXY") else "0"))
_behind_proxy = ACCORD_TRUSTED_PROXIES > 0 or _flag("ACCORD_BEHIND_PROXY")
if _behind_proxy:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Plain HTTP is redirected to HTTPS when HTTPS is on behind a trusted proxy (without the proxy's
# header every request would look plain and redirect for ever). Probes and scrapers speak plain
# HTTP to the process: /healthz, /readyz and /metrics are never redirected.
SECURE_SSL_REDIRECT = _flag("ACCORD_SSL_REDIRECT", default=_https and _behind_proxy)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# HSTS preloading puts the domain, subdomains included, in browsers' built-in lists: the
# operator's decision (ACCORD_HSTS_PRELOAD=1), so `check --deploy` does not ask for it.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# The Content-Security-Policy of every HTML page (accord.core.csp): nothing inline, nothing
# from elsewhere. The API's documentation pages have their own (accord.core.csp.API_DOCS_POLICY).
ACCORD_CSP = os.environ.get(
    "ACCORD_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
)

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = ACCORD_HOME / "static"
MEDIA_ROOT = ACCORD_HOME / "media"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The raw store: submissions' original bytes, content-addressed (`submissions/ab/<sha256>`),
# immutable, read by the ingest and copied by `accord backup` (accord.core.files). "file": under
# MEDIA_ROOT, each file renamed into place once whole. "s3": an S3-compatible bucket through
# django-storages (boto3), for hosts that share no file system: ACCORD_RAW_S3_BUCKET (required),
# ACCORD_RAW_S3_ENDPOINT_URL (another provider than AWS: MinIO, Ceph …), ACCORD_RAW_S3_REGION,
# ACCORD_RAW_S3_PREFIX (a folder in the bucket); credentials where boto3 looks for them
# (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance role).
ACCORD_RAW_STORAGE = os.environ.get("ACCORD_RAW_STORAGE", "file")
if ACCORD_RAW_STORAGE == "file":
    STORAGES["raw"] = {"BACKEND": "accord.core.files.AtomicFileSystemStorage"}
elif ACCORD_RAW_STORAGE == "s3":
    if not os.environ.get("ACCORD_RAW_S3_BUCKET"):
        raise ImproperlyConfigured("ACCORD_RAW_STORAGE=s3 needs ACCORD_RAW_S3_BUCKET, the name of the bucket.")
    STORAGES["raw"] = {
        "BACKEND": "accord.core.objectstore.ObjectStorage",
        "OPTIONS": {
            "bucket_name": os.environ["ACCORD_RAW_S3_BUCKET"],
            "endpoint_url": os.environ.get("ACCORD_RAW_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("ACCORD_RAW_S3_REGION") or None,
            "location": os.environ.get("ACCORD_RAW_S3_PREFIX", "").strip("/"),
        },
    }
else:
    raise ImproperlyConfigured(f"ACCORD_RAW_STORAGE: {ACCORD_RAW_STORAGE!r} is neither 'file' nor 's3'.")
# Serve straight from the app folders when `accord init` has not collected them yet.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- E-mail ----------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("ACCORD_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("ACCORD_FROM_EMAIL", "accord@localhost")
EMAIL_FILE_PATH = str(ACCORD_HOME / "mail")  # for the file-based backend (the demo uses it)

# Absolute links in e-mails (invitations) point here.
ACCORD_BASE_URL = os.environ.get("ACCORD_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Signed agreement documents: PDF only, at most this size.
ACCORD_MAX_DOCUMENT_BYTES = int(os.environ.get("ACCORD_MAX_DOCUMENT_MB", "20")) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Shared-data submissions: at most this size (a larger one is a 413).
ACCORD_MAX_SUBMISSION_BYTES = int(os.environ.get("ACCORD_MAX_SUBMISSION_MB", "512")) * 1024 * 1024
# The largest shared object taken (its JSON): one of many megabytes (a 20 MB description) would
# make every TAXII page, export and report bundle holding it as large. Larger ones are refused alone.
ACCORD_MAX_OBJECT_BYTES = int(os.environ.get("ACCORD_MAX_OBJECT_KB", "1024")) * 1024
# The longest text taken in one field of a shared object (UTF-8 bytes), and the fields with caps
# of their own (JSON object of field name -> KB; a sample's base64, STIX `payload_bin` or a MISP
# attachment's `data`, is bounded by the object's cap only). An object with a longer text is
# refused alone, naming the field.
ACCORD_MAX_FIELD_BYTES = int(os.environ.get("ACCORD_MAX_FIELD_KB", "256")) * 1024
ACCORD_FIELD_CAPS = {
    name: int(kb) * 1024
    for name, kb in (
        dict.fromkeys(("payload_bin", "data"), ACCORD_MAX_OBJECT_BYTES // 1024)
        | json.loads(os.environ.get("ACCORD_FIELD_CAPS_KB", "{}"))
    ).items()
}
# The longest a secondment may last, in months.
ACCORD_SECONDMENT_MAX_MONTHS = int(os.environ.get("ACCORD_SECONDMENT_MAX_MONTHS", "24"))
# How many days ahead the daily task warns of a secondment's end or an expert's clearance expiry.
ACCORD_SECONDMENT_WARN_DAYS = int(os.environ.get("ACCORD_SECONDMENT_WARN_DAYS", "30"))
# Objects an ingest writes at a time, within its one transaction.
ACCORD_INGEST_BATCH = int(os.environ.get("ACCORD_INGEST_BATCH", "5000"))
# An ingest still "processing" this long after it started is taken for dead even if its
# heartbeat goes on (stuck): it no longer holds back what TAXII collections show (see
# accord.taxii.selectors). A killed one is known by its heartbeat's silence much sooner.
ACCORD_INGEST_PRESUMED_DEAD_SECONDS = int(os.environ.get("ACCORD_INGEST_PRESUMED_DEAD_SECONDS", "3600"))
# An ingest's heartbeat (accord.sharing.progress) lives this long unless renewed: a killed one
# holds TAXII readers back no longer than this.
ACCORD_INGEST_HEARTBEAT_SECONDS = int(os.environ.get("ACCORD_INGEST_HEARTBEAT_SECONDS", "60"))
# A change of who may receive what (an agreement activated or amended, an object restored) dates
# its late arrivals and withdrawals after it commits; TAXII reads hold back what is dated after
# a publication in progress. One still in progress after this many seconds is taken for dead
# (its process was killed): reads stop waiting for it and the worker publishes it again.
ACCORD_VISIBILITY_PRESUMED_DEAD_SECONDS = int(os.environ.get("ACCORD_VISIBILITY_PRESUMED_DEAD_SECONDS", "600"))
# Submissions at least this large are read in a second process while the first writes.
ACCORD_PARALLEL_INGEST_BYTES = int(float(os.environ.get("ACCORD_PARALLEL_INGEST_MB", "1")) * 1024 * 1024)
# Submissions larger than this run as a background task (`accord worker`); smaller ones within
# the request. Free text is read hundreds of times slower per byte, and has its own bound.
ACCORD_INLINE_SUBMISSION_BYTES = int(os.environ.get("ACCORD_INLINE_SUBMISSION_MB", "8")) * 1024 * 1024
ACCORD_INLINE_TEXT_BYTES = int(os.environ.get("ACCORD_INLINE_TEXT_KB", "64")) * 1024
# An ingest whose process died is read again by `accord worker`, until it has been begun this
# many times; then it fails, saying so.
ACCORD_INGEST_ATTEMPTS = int(os.environ.get("ACCORD_INGEST_ATTEMPTS", "3"))
# TAXII 2.1: the largest POST body (the API root's max_content_length) and the most objects a page holds.
ACCORD_TAXII_MAX_CONTENT_LENGTH = int(os.environ.get("ACCORD_TAXII_MAX_CONTENT_MB", "100")) * 1024 * 1024
ACCORD_TAXII_PAGE_SIZE = int(os.environ.get("ACCORD_TAXII_PAGE_SIZE", "1000"))
# TAXII reads run SQL compiled once per reader and shape (accord.taxii.compiled); with this set,
# every read also builds its SQL afresh and refuses to run a compiled one that differs (the test
# suite's choice; a safeguard that costs what the compilation saves).
ACCORD_TAXII_SQL_CHECK = _flag("ACCORD_TAXII_SQL_CHECK")
# The hosting organisation's own open and internal data sets (``accord import --org <host>``, the
# API, feeds): their handling rules, over the defaults of
# accord.partners.services.HOST_DATA_TERMS (JSON object, e.g. {"default_tlp": "green",
# "retention_days": 1825}). They apply when the host's internal-data terms are first recorded
# (accord init, or the host's first import); later changes are amendments of that record.
ACCORD_HOST_DATA_TERMS = json.loads(os.environ.get("ACCORD_HOST_DATA_TERMS", "{}"))
# Anonymous partnership applications per client address and hour.
ACCORD_APPLICATION_RATE = _rate("ACCORD_APPLICATION_RATE", "10/hour")
# Public certificate checks (/certificates/verify/) per client address: a holder's name cannot
# be found by trying names against a known code.
ACCORD_CERTIFICATE_CHECK_RATE = _rate("ACCORD_CERTIFICATE_CHECK_RATE", "60/hour")
# Failed sign-ins after which sign-in is refused until the window ends, per account name and
# per address (accord.core.ratelimit.login_locked); the lock is audited.
ACCORD_LOGIN_FAILURES_PER_ACCOUNT = _rate("ACCORD_LOGIN_FAILURES_PER_ACCOUNT", "10/hour")
ACCORD_LOGIN_FAILURES_PER_ADDRESS = _rate("ACCORD_LOGIN_FAILURES_PER_ADDRESS", "50/hour")
# Requests to the API and TAXII per credential (a Bearer token, else a session) and per client
# address (accord.core.ratelimit.RequestRateMiddleware): past either, a 429 with Retry-After until
# the window ends. Counted in files of the live folder (ACCORD_LIVE_DIR, which hosts share),
# never in the database: a request must not wait on an ingest's write lock to be counted.
# Empty: no limit of that kind.
ACCORD_API_RATE_PER_TOKEN = _rate("ACCORD_API_RATE_PER_TOKEN", "1200/minute", may_be_empty=True)
ACCORD_API_RATE_PER_ADDRESS = _rate("ACCORD_API_RATE_PER_ADDRESS", "3000/minute", may_be_empty=True)
AUTHENTICATION_BACKENDS = ["accord.core.authentication.ThrottledModelBackend"]
# Roles (accord.core.choices.Role values, comma-separated) that must sign in with a second factor,
# an authenticator app's codes (TOTP): after the password, a person in one without a confirmed
# authenticator is sent to enrol one and reaches nothing else until done. Empty: nobody must
# (anyone may still turn one on). Bearer API tokens are not affected (accord.core.second_factor).
ACCORD_TOTP_REQUIRED_ROLES = _list("ACCORD_TOTP_REQUIRED_ROLES", "admin")
_known_roles = set(Role.values)
if unknown_roles := sorted(set(ACCORD_TOTP_REQUIRED_ROLES) - _known_roles):
    raise ImproperlyConfigured(
        f"ACCORD_TOTP_REQUIRED_ROLES: unknown role(s) {', '.join(unknown_roles)}; "
        f"known: {', '.join(sorted(_known_roles))}."
    )
# The name authenticator apps show beside the account (django-otp's otpauth:// issuer).
OTP_TOTP_ISSUER = os.environ.get("ACCORD_TOTP_ISSUER", "Accord")
# First Suricata/Snort sid of exported rules: sid = base + 4 x observable id + slot (32-bit).
ACCORD_EXPORT_SID_BASE = int(os.environ.get("ACCORD_EXPORT_SID_BASE", "3000000000"))

# Analysis. Known-benign values: the MISP warning lists bundled with pymispwarninglists (all, or
# the comma-separated names in ACCORD_WARNINGLISTS), indexed once into ACCORD_WARNINGLISTS_DIR.
ACCORD_WARNINGLISTS = (
    [name.strip() for name in os.environ["ACCORD_WARNINGLISTS"].split(",") if name.strip()]
    if os.environ.get("ACCORD_WARNINGLISTS")
    else None
)
ACCORD_WARNINGLISTS_DIR = Path(os.environ.get("ACCORD_WARNINGLISTS_DIR", str(ACCORD_HOME))).resolve()
# A value mentioned by more objects than this is over-correlating: flagged, never a campaign link.
ACCORD_CORRELATION_CAP = int(os.environ.get("ACCORD_CORRELATION_CAP", "100"))
# Days after which an observable's confidence score halves, per type (JSON object; defaults in
# accord.analysis.scoring).
ACCORD_SCORE_HALF_LIFE_DAYS = json.loads(os.environ.get("ACCORD_SCORE_HALF_LIFE_DAYS", "{}"))
# Kept up to date inside every change to the store (see accord.sharing.listeners): correlation and
# campaigns, and the trend counts (accord.analysis.aggregates); "none" turns them off (then
# `accord analysis rebuild` and `accord aggregates rebuild` bring them up to date).
ACCORD_STORE_LISTENERS = [
    path.strip()
    for path in os.environ.get(
        "ACCORD_STORE_LISTENERS",
        "accord.analysis.correlation.CorrelationListener,accord.analysis.aggregates.TrendListener",
    ).split(",")
    if path.strip() and path.strip() != "none"
]

# Lists over the shared store (objects, observables, correlations, campaigns: pages and API)
# count their rows no further than this and say "more than" past it (accord.core.ui).
ACCORD_LIST_COUNT_CAP = int(os.environ.get("ACCORD_LIST_COUNT_CAP", "10000"))

# Rate limits and other short-lived shared state live in the database, so every worker and
# host sees the same counters.
ACCORD_LIVE_DIR = Path(os.environ.get("ACCORD_LIVE_DIR") or ACCORD_HOME / "cache" / "live")
CACHES = {
    # Its incr is atomic across processes (accord.core.cache): no concurrent hit is lost.
    "default": {
        "BACKEND": "accord.core.cache.DatabaseCache",
        "LOCATION": "accord_cache",
    },
    # Figures other processes read while a long transaction is still open (ingest progress and
    # heartbeats): files, so that they never wait on the database. Hosts that share one database
    # share this folder too (ACCORD_LIVE_DIR on a shared file system; docs/deployment.md).
    "live": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(ACCORD_LIVE_DIR),
        "TIMEOUT": 24 * 3600,
    },
}
# The API's and TAXII's request counters (accord.core.ratelimit.count_request): a file each, in
# the live folder, so hosts sharing it count together.
ACCORD_RATE_COUNTERS_DIR = ACCORD_LIVE_DIR / "rates"

# Signed checkpoints of the audit chain's head, kept outside the database (accord.core.checkpoints):
# the Ed25519 private key that signs them (made by `accord init`, mode 0600; keep it off the database
# host's backups of the database), the file each checkpoint is appended to (put it on other storage
# or ship it off the host), and addresses (comma-separated) each one is e-mailed to.
ACCORD_AUDIT_KEY_FILE = Path(os.environ.get("ACCORD_AUDIT_KEY_FILE", str(ACCORD_HOME / "audit_signing_key.pem")))
ACCORD_AUDIT_CHECKPOINT_FILE = Path(
    os.environ.get("ACCORD_AUDIT_CHECKPOINT_FILE", str(ACCORD_HOME / "audit_checkpoints.jsonl"))
)
ACCORD_AUDIT_CHECKPOINT_EMAIL = _list("ACCORD_AUDIT_CHECKPOINT_EMAIL", "")
# Where `accord backup` / `accord restore` find pg_dump and pg_restore on PostgreSQL (a bin
# directory); unset: the newest /usr/lib/postgresql/*/bin, then PATH. Their version must be at
# least the server's.
ACCORD_PG_BIN_DIR = os.environ.get("ACCORD_PG_BIN_DIR", "")

ACCORD_DAILY_JOBS, ACCORD_ROUND_JOBS, ACCORD_AFTER_INGEST = DAILY_JOBS, ROUND_JOBS, AFTER_INGEST  # accord.schedule
# Payment interception (docs/interceptions.md): the hours an addressee has to acknowledge a
# request and to report a first outcome, when its agreement names none.
ACCORD_INTERCEPTION_ACK_HOURS = int(os.environ.get("ACCORD_INTERCEPTION_ACK_HOURS", "1"))
ACCORD_INTERCEPTION_OUTCOME_HOURS = int(os.environ.get("ACCORD_INTERCEPTION_OUTCOME_HOURS", "24"))
# At most this many observables of one submission go to each network enricher on ingest.
ACCORD_ENRICH_INGEST_NETWORK_LIMIT = int(os.environ.get("ACCORD_ENRICH_INGEST_NETWORK_LIMIT", "100"))

# Webhooks (accord.notifications): each attempt waits at most ACCORD_WEBHOOK_TIMEOUT_SECONDS for
# an answer; a failed one is tried again after ACCORD_WEBHOOK_RETRY_SECONDS, doubled after each
# failure (at most a day); a webhook failing ACCORD_WEBHOOK_MAX_FAILURES attempts in a row is
# turned off and its organisation told. ACCORD_WEBHOOK_BATCH objects at most per object.visible
# delivery. ACCORD_WEBHOOK_ALLOW_LOOPBACK=1 lets webhooks reach this machine (127.0.0.1, ::1;
# tests and a receiver on the same host); private and link-local addresses are always refused.
ACCORD_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("ACCORD_WEBHOOK_TIMEOUT_SECONDS", "10"))
ACCORD_WEBHOOK_RETRY_SECONDS = int(os.environ.get("ACCORD_WEBHOOK_RETRY_SECONDS", "60"))
ACCORD_WEBHOOK_MAX_FAILURES = int(os.environ.get("ACCORD_WEBHOOK_MAX_FAILURES", "8"))
ACCORD_WEBHOOK_BATCH = int(os.environ.get("ACCORD_WEBHOOK_BATCH", "500"))
ACCORD_WEBHOOK_ALLOW_LOOPBACK = _flag("ACCORD_WEBHOOK_ALLOW_LOOPBACK")

# --- Background tasks ------------------------------------------------------------------------
_TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
# Queued in the database by default, for `accord worker` (which `accord serve` starts beside the
# web workers unless told not to), so that no long work runs within a request; "immediate" runs
# each task at once where it is queued (the test suite's choice: tests/settings.py).
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[os.environ.get("ACCORD_TASK_BACKEND", "database")]}}

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accord.core.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accord.core.permissions.RolePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "accord.core.pagination.StableOrdering",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "accord.core.pagination.Pagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # Every operation documents the errors it can answer, in the one error shape.
    "DEFAULT_SCHEMA_CLASS": "accord.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "accord.core.errors.api_exception_handler",
    # `?format=` names a submission's format, not a renderer.
    "URL_FORMAT_OVERRIDE": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Accord API",
    "DESCRIPTION": "Partnerships, information sharing and intelligence for a cybercrime programme.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PATH_CONVERTER_OVERRIDES": {"public_id": int},
    "ENUM_NAME_OVERRIDES": {
        "OrganisationKindEnum": "accord.core.choices.OrganisationKind",
        "OrganisationStatusEnum": "accord.core.choices.OrganisationStatus",
        "RegionEnum": "accord.core.choices.Region",
        "SectorEnum": "accord.core.choices.Sector",
        "TlpEnum": "accord.core.choices.Tlp",
        "ObservableTypeEnum": "accord.formats.choices.ObservableType",
        "DataCategoryEnum": "accord.core.choices.DataCategory",
        "PurposeEnum": "accord.core.choices.Purpose",
        "ContributionAreaEnum": "accord.core.choices.ContributionArea",
        "AgreementKindEnum": "accord.partners.choices.AgreementKind",
        "AgreementStatusEnum": "accord.partners.choices.AgreementStatus",
        "ApplicationStatusEnum": "accord.partners.choices.ApplicationStatus",
        "MustMayEnum": "accord.partners.choices.EncryptInTransit",
        "MayMustNotEnum": "accord.partners.choices.UnmodifiedResale",
        "MayMustMustNotEnum": "accord.partners.choices.ProviderAttribution",
        "ClearanceLevelEnum": "accord.programme.choices.ClearanceLevel",
        "ProficiencyEnum": "accord.programme.choices.Proficiency",
        "SecondmentPurposeEnum": "accord.programme.choices.SecondmentPurpose",
        "SecondmentRequestStatusEnum": "accord.programme.choices.RequestStatus",
        "SecondmentStatusEnum": "accord.programme.choices.SecondmentStatus",
        "CourseLevelEnum": "accord.programme.choices.CourseLevel",
        "DeliveryModeEnum": "accord.programme.choices.DeliveryMode",
        "SponsorshipKindEnum": "accord.programme.choices.SponsorshipKind",
        "InKindItemEnum": "accord.programme.choices.InKindItem",
        "EnrolmentStatusEnum": "accord.programme.choices.EnrolmentStatus",
        "RoleEnum": "accord.core.choices.Role",
        "GroupKindEnum": "accord.governance.choices.GroupKind",
        "MembershipRoleEnum": "accord.governance.choices.MembershipRole",
        "AttendanceStatusEnum": "accord.governance.choices.AttendanceStatus",
        "MeetingStatusEnum": "accord.governance.choices.MeetingStatus",
        "RecommendationAreaEnum": "accord.governance.choices.RecommendationArea",
        "RecommendationStatusEnum": "accord.governance.choices.RecommendationStatus",
        "PracticeTopicEnum": "accord.governance.choices.PracticeTopic",
        "CrimeTypeEnum": "accord.operations.choices.CrimeType",
        "OperationStatusEnum": "accord.operations.choices.OperationStatus",
        "InterceptionStatusEnum": "accord.interception.choices.RequestStatus",
        "InterceptionOutcomeKindEnum": "accord.interception.choices.OutcomeKind",
        "InstitutionKindEnum": "accord.interception.choices.InstitutionKind",
        "AccountKindEnum": "accord.interception.choices.AccountKind",
        "RoutedAsEnum": "accord.interception.choices.RoutedAs",
        "PaperStatusEnum": "accord.governance.choices.PaperStatus",
        "SpeakerSectorEnum": "accord.governance.choices.SpeakerSector",
        "SessionKindEnum": "accord.governance.choices.SessionKind",
        "RegistrationStatusEnum": "accord.governance.choices.RegistrationStatus",
    },
}

# --- Operation: health, metrics, logs (docs/operating.md) -----------------------------------
# /readyz answers 503 when no worker beat within ACCORD_WORKER_STALE_SECONDS: by default only
# when tasks are queued for a worker (ACCORD_TASK_BACKEND=database), since nothing runs otherwise.
ACCORD_READY_REQUIRES_WORKER = _flag(
    "ACCORD_READY_REQUIRES_WORKER", default=TASKS["default"]["BACKEND"] == _TASK_BACKENDS["database"]
)
ACCORD_WORKER_STALE_SECONDS = int(os.environ.get("ACCORD_WORKER_STALE_SECONDS", "60"))
# How often `accord worker` reports alive (from a thread of its own, so a long task does not
# silence it).
ACCORD_WORKER_HEARTBEAT_SECONDS = float(os.environ.get("ACCORD_WORKER_HEARTBEAT_SECONDS", "10"))
# Between rounds, ``accord worker`` looks for queued tasks this often (one indexed query), so a
# queued submission is taken within this time rather than at the next round.
ACCORD_WORKER_POLL_SECONDS = float(os.environ.get("ACCORD_WORKER_POLL_SECONDS", "0.25"))
# /metrics answers a Bearer token equal to ACCORD_METRICS_TOKEN, or a client whose address is in
# ACCORD_METRICS_ALLOW (networks; by default this machine only); anyone else gets a 404.
ACCORD_METRICS_TOKEN = os.environ.get("ACCORD_METRICS_TOKEN", "")
ACCORD_METRICS_ALLOW = _list("ACCORD_METRICS_ALLOW", "127.0.0.1/32,::1/128")
for _network in ACCORD_METRICS_ALLOW:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(f"ACCORD_METRICS_ALLOW: {_network!r} is not a network ({_error}).") from None
# One line per request on the `accord.access` logger (method, route name, status, duration, user
# and organisation ids); `accord serve` then leaves gunicorn's own access log (raw paths) off.
ACCORD_ACCESS_LOG = _flag("ACCORD_ACCESS_LOG", default=True)
# "json": one JSON object per log line (python-json-logger), with request_id and submission_id
# (never a request's path and query, which Django's own records attach);
# "text": a readable line with the request id.
ACCORD_LOG_FORMAT = os.environ.get("ACCORD_LOG_FORMAT", "text")
if ACCORD_LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"ACCORD_LOG_FORMAT: {ACCORD_LOG_FORMAT!r} is neither 'text' nor 'json'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {
            "()": "logging.Formatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            "defaults": {"request_id": None},  # a record made before the core app was ready
        },
        "json": {
            "()": "accord.core.telemetry.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(submission_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": ACCORD_LOG_FORMAT}},
    "loggers": {"accord.access": {"level": "INFO" if ACCORD_ACCESS_LOG else "WARNING"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ACCORD_LOG_LEVEL", "WARNING")},
}
