"""papertide settings: every value comes from the environment, read through typed helpers.

With no environment variables at all the service boots on SQLite under ``var/`` (or ``$PAPERTIDE_HOME``).
``DATABASE_URL`` switches to PostgreSQL. Every variable read here is documented in docs/settings.md,
and a test fails when one is not.
"""

import os
import secrets
from datetime import time
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

# Names of every environment variable this file reads, so the docs test can check them all.
ENV_VARS: list[str] = []


def env_str(name: str, default: str) -> str:
    ENV_VARS.append(name)
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name, "true" if default else "false").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def _env_number(name: str, default, minimum, cast, what: str):
    raw = env_str(name, str(default)).strip()
    try:
        value = cast(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {what}, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_int(name: str, default: int, minimum: int = 0) -> int:
    return _env_number(name, default, minimum, int, "an integer")


def env_float(name: str, default: float, minimum: float = 0.0) -> float:
    return _env_number(name, default, minimum, float, "a number")


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env_str(name, default).strip().lower()
    if raw not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return raw


def env_time(name: str, default: str) -> time:
    """A time of day, HH:MM (24-hour clock)."""
    raw = env_str(name, default).strip()
    try:
        hour, minute = (int(part) for part in raw.split(":"))  # anything but two numbers: ValueError
        return time(hour, minute)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a time of day as HH:MM, not {raw!r}") from None


def env_list(name: str, default: str) -> list[str]:
    """A list separated by spaces or commas."""
    return [item for item in env_str(name, default).replace(",", " ").split() if item]


BASE_DIR = Path(__file__).resolve().parent
HOME = Path(env_str("PAPERTIDE_HOME", "var")).resolve()

DEBUG = env_bool("PAPERTIDE_DEBUG", False)
DATABASE_URL = env_str("DATABASE_URL", "")

SECRET_KEY = env_str("PAPERTIDE_SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "papertide-debug-only-key"
    elif DATABASE_URL:
        # Several web processes on several machines must share one key; a generated one would differ.
        raise ImproperlyConfigured(
            "PAPERTIDE_SECRET_KEY must be set when DATABASE_URL is set and DEBUG is off"
        )
    else:
        # Single-machine SQLite mode: keep a generated key beside the database, readable by its owner only.
        HOME.mkdir(parents=True, exist_ok=True)
        key_file = HOME / "secret.key"
        if not key_file.exists():
            key_file.touch(mode=0o600)
            key_file.write_text(secrets.token_urlsafe(50))
        SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("PAPERTIDE_ALLOWED_HOSTS", "127.0.0.1 localhost")
CSRF_TRUSTED_ORIGINS = env_list("PAPERTIDE_CSRF_TRUSTED_ORIGINS", "")
SITE_NAME = env_str("PAPERTIDE_SITE_NAME", "papertide")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # its Swagger UI files for /api/docs, served from here rather than a CDN (the CSP allows 'self')
    "papertide.catalog",
    "papertide.community",
    "papertide.search",
    "papertide.accounts",
    "papertide.library",
    "papertide.digests",
    "papertide.pages",
    "papertide.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "papertide.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "papertide.urls"
WSGI_APPLICATION = "papertide.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "papertide.catalog.context_processors.site",
                "papertide.library.context_processors.library",
            ],
        },
    },
]

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    HOME.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(HOME / "papertide.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait (busy timeout)
                # instead of failing with "database is locked" when they upgrade a read lock.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2 first: new and changed passwords are hashed with it; older hashes still verify and are upgraded.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "papers"
LOGOUT_REDIRECT_URL = "papers"
PASSWORD_RESET_TIMEOUT = env_int("PAPERTIDE_LINK_DAYS", 3, minimum=1) * 86400

# Mail: SMTP when PAPERTIDE_EMAIL_HOST is set, else printed on the console (development).
EMAIL_HOST = env_str("PAPERTIDE_EMAIL_HOST", "")
EMAIL_PORT = env_int("PAPERTIDE_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("PAPERTIDE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("PAPERTIDE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("PAPERTIDE_EMAIL_TLS", False)
EMAIL_TIMEOUT = 30
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("PAPERTIDE_EMAIL_FROM", "papertide <papertide@localhost>")

# Account forms (sign-up, log-in, password reset): attempts per client address per hour, per form.
PAPERTIDE_ACCOUNT_RATE = env_int("PAPERTIDE_ACCOUNT_RATE", 10, minimum=1)
# Writes (submissions, upvotes) one API token may make per hour.
PAPERTIDE_TOKEN_RATE = env_int("PAPERTIDE_TOKEN_RATE", 120, minimum=1)
# The site's writes, each per account per hour (accounts.throttle): an address may make
# PAPERTIDE_ADDRESS_RATE_FACTOR times as many (several people share one: a lab, a campus), and an account
# younger than PAPERTIDE_NEW_ACCOUNT_DAYS gets PAPERTIDE_NEW_ACCOUNT_RATE_SHARE of its allowance.
PAPERTIDE_SUBMIT_RATE = env_int("PAPERTIDE_SUBMIT_RATE", 20, minimum=1)
PAPERTIDE_COMMENT_RATE = env_int("PAPERTIDE_COMMENT_RATE", 30, minimum=1)
PAPERTIDE_REPORT_RATE = env_int("PAPERTIDE_REPORT_RATE", 20, minimum=1)
PAPERTIDE_VOTE_RATE = env_int("PAPERTIDE_VOTE_RATE", 300, minimum=1)
PAPERTIDE_SAVE_RATE = env_int("PAPERTIDE_SAVE_RATE", 300, minimum=1)
PAPERTIDE_NEW_TOKEN_RATE = env_int("PAPERTIDE_NEW_TOKEN_RATE", 10, minimum=1)
PAPERTIDE_ADDRESS_RATE_FACTOR = env_int("PAPERTIDE_ADDRESS_RATE_FACTOR", 5, minimum=1)
PAPERTIDE_NEW_ACCOUNT_DAYS = env_float("PAPERTIDE_NEW_ACCOUNT_DAYS", 3.0)
PAPERTIDE_NEW_ACCOUNT_RATE_SHARE = env_float("PAPERTIDE_NEW_ACCOUNT_RATE_SHARE", 0.2)
if PAPERTIDE_NEW_ACCOUNT_RATE_SHARE > 1:
    raise ImproperlyConfigured(
        f"PAPERTIDE_NEW_ACCOUNT_RATE_SHARE must be at most 1, not {PAPERTIDE_NEW_ACCOUNT_RATE_SHARE}"
    )
# Trust X-Forwarded-For for the client address (only behind a proxy that sets it).
PAPERTIDE_TRUST_PROXY = env_bool("PAPERTIDE_TRUST_PROXY", False)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files straight from the app folders, so `papertide serve` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Links out (arXiv, GitHub, code) carry no Referer: which paper someone read is theirs to tell. Django's
# default, stated here; Content-Security-Policy and Permissions-Policy come from papertide/headers.py.
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("PAPERTIDE_HTTPS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Joining the browsers' preload list is a lasting commitment for the whole domain: the operator's call.
    SECURE_HSTS_PRELOAD = env_bool("PAPERTIDE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# One configuration for the web processes and the worker: everything to standard error, one line a record
# plus the traceback of an error. django.request logs every 500 with its traceback (Django's default sends
# it only to ADMINS by mail, so an operator without mail set up saw nothing); 4xx answers stay quiet.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "null": {"class": "logging.NullHandler"},
    },
    # The root logger gets a handler that drops everything: a library that calls logging.basicConfig() (one
    # does while the model loads) then adds none of its own, and no line is printed twice.
    "root": {"handlers": ["null"], "level": "WARNING"},
    "loggers": {
        "papertide": {"handlers": ["console"], "level": env_str("PAPERTIDE_LOG_LEVEL", "INFO")},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# --- papertide's own settings -----------------------------------------------------------------------

# What `make run` imports at start: files, space-separated (snapshot, listing, Hugging Face JSON or
# captures), or else recent arXiv and Hugging Face.
PAPERTIDE_IMPORT = env_str("PAPERTIDE_IMPORT", "")
PAPERTIDE_CATEGORIES = env_list("PAPERTIDE_CATEGORIES", "cs.CV cs.CL cs.LG cs.AI")
PAPERTIDE_IMPORT_DAYS = env_int("PAPERTIDE_IMPORT_DAYS", 7, minimum=1)

# arXiv endpoints and politeness. arXiv asks for at most one request every 3 seconds.
PAPERTIDE_ARXIV_API_URL = env_str("PAPERTIDE_ARXIV_API_URL", "https://export.arxiv.org/api/query")
PAPERTIDE_OAI_URL = env_str("PAPERTIDE_OAI_URL", "https://oaipmh.arxiv.org/oai")
PAPERTIDE_ARXIV_DELAY = env_float("PAPERTIDE_ARXIV_DELAY", 3.0)
PAPERTIDE_HTTP_TIMEOUT = env_float("PAPERTIDE_HTTP_TIMEOUT", 30.0, minimum=0.1)
PAPERTIDE_HTTP_RETRIES = env_int("PAPERTIDE_HTTP_RETRIES", 4)
PAPERTIDE_HTTP_BACKOFF = env_float("PAPERTIDE_HTTP_BACKOFF", 5.0)
PAPERTIDE_RETRY_AFTER_MAX = env_float("PAPERTIDE_RETRY_AFTER_MAX", 600.0)
PAPERTIDE_ARXIV_PAGE_SIZE = env_int("PAPERTIDE_ARXIV_PAGE_SIZE", 200, minimum=1)

# Hugging Face daily papers: the site, the pause between two requests (it asks for no 3 s like arXiv),
# how often the worker re-reads today's and yesterday's lists (upvotes keep climbing), and how many days
# `ingest startup` brings when online.
PAPERTIDE_HF_URL = env_str("PAPERTIDE_HF_URL", "https://huggingface.co")
PAPERTIDE_HF_DELAY = env_float("PAPERTIDE_HF_DELAY", 0.5)
PAPERTIDE_HF_SYNC_MINUTES = env_int("PAPERTIDE_HF_SYNC_MINUTES", 30, minimum=1)
PAPERTIDE_HF_IMPORT_DAYS = env_int("PAPERTIDE_HF_IMPORT_DAYS", 4, minimum=1)

# The daily arXiv harvest (catalog/harvest.py): arXiv announces Sunday to Thursday at this time, US Eastern
# (America/New_York, summer time included); the harvest runs this many minutes later, when the listing is
# out. Once a week (day and UTC time) it re-reads the last N days for late and replaced papers; a paper
# counts as new (digests) when first seen at most that many days after its announcement.
PAPERTIDE_ARXIV_ANNOUNCE_TIME = env_time("PAPERTIDE_ARXIV_ANNOUNCE_TIME", "20:00")
PAPERTIDE_ARXIV_HARVEST_DELAY_MINUTES = env_int("PAPERTIDE_ARXIV_HARVEST_DELAY_MINUTES", 30)
PAPERTIDE_ARXIV_RECONCILE_DAYS = env_int("PAPERTIDE_ARXIV_RECONCILE_DAYS", 14, minimum=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PAPERTIDE_ARXIV_RECONCILE_DAY = env_choice("PAPERTIDE_ARXIV_RECONCILE_DAY", "sat", WEEKDAYS)
PAPERTIDE_ARXIV_RECONCILE_TIME = env_time("PAPERTIDE_ARXIV_RECONCILE_TIME", "06:00")

# Ingestion: how many records share one transaction.
PAPERTIDE_INGEST_BATCH = env_int("PAPERTIDE_INGEST_BATCH", 1000, minimum=1)

# The daily list: how old a submitted paper may be, how many papers one person may submit a day.
PAPERTIDE_SUBMIT_MAX_AGE_DAYS = env_int("PAPERTIDE_SUBMIT_MAX_AGE_DAYS", 7)
PAPERTIDE_SUBMIT_DAILY_CAP = env_int("PAPERTIDE_SUBMIT_DAILY_CAP", 5, minimum=1)
# Reports by this many people hide a comment until a moderator restores or removes it.
PAPERTIDE_REPORTS_TO_HIDE = env_int("PAPERTIDE_REPORTS_TO_HIDE", 3, minimum=1)

# Trending: score = (votes + code bonus) / (1 + age in days) ** gravity, over the last N days.
PAPERTIDE_TRENDING_GRAVITY = env_float("PAPERTIDE_TRENDING_GRAVITY", 1.5)
PAPERTIDE_TRENDING_CODE_BONUS = env_float("PAPERTIDE_TRENDING_CODE_BONUS", 3.0)
PAPERTIDE_TRENDING_DAYS = env_int("PAPERTIDE_TRENDING_DAYS", 30, minimum=1)
# Momentum: the Hugging Face upvotes a paper gained in the last N days count again, and its repository's
# stars gained (PAPERTIDE_STAR_VELOCITY_DAYS) add this weight times log(1 + stars gained).
PAPERTIDE_TRENDING_UPVOTE_DAYS = env_float("PAPERTIDE_TRENDING_UPVOTE_DAYS", 1.0, minimum=0.0)
PAPERTIDE_TRENDING_STAR_WEIGHT = env_float("PAPERTIDE_TRENDING_STAR_WEIGHT", 2.0, minimum=0.0)

# Search and embeddings.
PAPERTIDE_EMBEDDING_MODEL = env_str("PAPERTIDE_EMBEDDING_MODEL", "")
PAPERTIDE_EMBEDDING_COMPILE = env_bool("PAPERTIDE_EMBEDDING_COMPILE", False)
# Which way of running the model embeds papers (the worker, `papertide embed`) and encodes queries (web
# processes): "auto" takes what the calibration measured fastest on this CPU (search/calibration.py).
ENCODER_CHOICES = ("auto", "fp32", "bf16", "int8", "onnx", "onnx-int8")
PAPERTIDE_DOCUMENT_ENCODER = env_choice("PAPERTIDE_DOCUMENT_ENCODER", "auto", ENCODER_CHOICES)
PAPERTIDE_QUERY_ENCODER = env_choice("PAPERTIDE_QUERY_ENCODER", "auto", ENCODER_CHOICES)
# Threads the worker and `papertide embed` encode papers with (web processes keep one each).
PAPERTIDE_EMBEDDING_THREADS = env_int("PAPERTIDE_EMBEDDING_THREADS", 1, minimum=1)
# PostgreSQL: candidates pgvector's HNSW index examines per search (more: better recall, slower).
PAPERTIDE_HNSW_EF_SEARCH = env_int("PAPERTIDE_HNSW_EF_SEARCH", 100, minimum=1)
# PostgreSQL: a query whose 10th nearest paper is less similar than this lies far from the catalog, where
# the graph misses more of the true nearest; it is searched again with ef_search 1000. 0 turns that off.
PAPERTIDE_HNSW_FAR_SIMILARITY = env_float("PAPERTIDE_HNSW_FAR_SIMILARITY", 0.5)

# The address of the site, for links in mail sent without a request (digests).
PAPERTIDE_SITE_URL = env_str("PAPERTIDE_SITE_URL", "http://localhost:8000")

# Digests: what goes in, and how delivery retries (docs/digests.md).
PAPERTIDE_DIGEST_MATCHES = env_int("PAPERTIDE_DIGEST_MATCHES", 5, minimum=1)
PAPERTIDE_DIGEST_MAX_SEARCHES = env_int("PAPERTIDE_DIGEST_MAX_SEARCHES", 10, minimum=1)
PAPERTIDE_DIGEST_SKIP_EMPTY = env_bool("PAPERTIDE_DIGEST_SKIP_EMPTY", True)
PAPERTIDE_DIGEST_LINK_DAYS = env_int("PAPERTIDE_DIGEST_LINK_DAYS", 90, minimum=1)
PAPERTIDE_DIGEST_BATCH = env_int("PAPERTIDE_DIGEST_BATCH", 100, minimum=1)
PAPERTIDE_DIGEST_RETRY_SECONDS = env_float("PAPERTIDE_DIGEST_RETRY_SECONDS", 60.0)
PAPERTIDE_DIGEST_MAX_ATTEMPTS = env_int("PAPERTIDE_DIGEST_MAX_ATTEMPTS", 8, minimum=1)
PAPERTIDE_DIGEST_MAX_BOUNCES = env_int("PAPERTIDE_DIGEST_MAX_BOUNCES", 3, minimum=1)
PAPERTIDE_DIGEST_LEASE_SECONDS = env_float("PAPERTIDE_DIGEST_LEASE_SECONDS", 600.0, minimum=1.0)

# GitHub signals: the worker reads the stars of repositories that papers link to (docs/operations.md).
PAPERTIDE_GITHUB_API_URL = env_str("PAPERTIDE_GITHUB_API_URL", "https://api.github.com")
PAPERTIDE_GITHUB_TOKEN = env_str("PAPERTIDE_GITHUB_TOKEN", "")
PAPERTIDE_GITHUB_INTERVAL = env_int("PAPERTIDE_GITHUB_INTERVAL", 3600, minimum=60)
PAPERTIDE_GITHUB_BATCH = env_int("PAPERTIDE_GITHUB_BATCH", 1000, minimum=1)
PAPERTIDE_GITHUB_RECENT_DAYS = env_int("PAPERTIDE_GITHUB_RECENT_DAYS", 7, minimum=1)
PAPERTIDE_GITHUB_GONE_DAYS = env_int("PAPERTIDE_GITHUB_GONE_DAYS", 7, minimum=1)
PAPERTIDE_STAR_VELOCITY_DAYS = env_int("PAPERTIDE_STAR_VELOCITY_DAYS", 7, minimum=1)

# The worker and its jobs (docs/operations.md, "Jobs"). How often each job runs, in seconds after its last
# run ends; the worker sleeps at most PAPERTIDE_WORKER_POLL_SECONDS between two looks at the schedule.
PAPERTIDE_WORKER_POLL_SECONDS = env_float("PAPERTIDE_WORKER_POLL_SECONDS", 5.0, minimum=0.1)
# The worker lowers its CPU priority by this much (Unix nice) at start, so that on a machine it shares with
# the web processes searches come first; it still has every idle cycle (docs/benchmarks.md, "Sharing").
PAPERTIDE_WORKER_NICE = env_int("PAPERTIDE_WORKER_NICE", 0, minimum=0)
# A running job's lease: renewed while it runs; a job whose worker died runs again once it has run out.
PAPERTIDE_JOB_LEASE_SECONDS = env_float("PAPERTIDE_JOB_LEASE_SECONDS", 600.0, minimum=10.0)
# A failed run is tried again after at most this long, even when the job's schedule says later.
PAPERTIDE_JOB_RETRY_SECONDS = env_float("PAPERTIDE_JOB_RETRY_SECONDS", 1800.0, minimum=1.0)
PAPERTIDE_JOB_EMBEDDING_SECONDS = env_float("PAPERTIDE_JOB_EMBEDDING_SECONDS", 10.0, minimum=1.0)
PAPERTIDE_JOB_DISPLAY_TEXT_SECONDS = env_float("PAPERTIDE_JOB_DISPLAY_TEXT_SECONDS", 60.0, minimum=1.0)
PAPERTIDE_JOB_KEYWORD_STATS_SECONDS = env_float("PAPERTIDE_JOB_KEYWORD_STATS_SECONDS", 21600.0, minimum=1.0)
PAPERTIDE_JOB_DIGESTS_SECONDS = env_float("PAPERTIDE_JOB_DIGESTS_SECONDS", 60.0, minimum=1.0)
PAPERTIDE_JOB_INTERESTS_SECONDS = env_float("PAPERTIDE_JOB_INTERESTS_SECONDS", 60.0, minimum=1.0)
PAPERTIDE_JOB_HOUSEKEEPING_SECONDS = env_float("PAPERTIDE_JOB_HOUSEKEEPING_SECONDS", 86400.0, minimum=1.0)
PAPERTIDE_JOB_MAP_SECONDS = env_float("PAPERTIDE_JOB_MAP_SECONDS", 3600.0, minimum=1.0)
# The map (search.atlas, docs/map.md): a full UMAP layout once the embedded papers have grown by this
# fraction since the last one (new papers are placed near their neighbours meanwhile); UMAP lays out at most
# PAPERTIDE_MAP_FIT_SAMPLE papers (a random sample of a larger catalog, the others placed near their
# PAPERTIDE_MAP_NEIGHBOURS nearest); k-means cuts the map into PAPERTIDE_MAP_REGIONS named regions.
PAPERTIDE_MAP_REFIT_GROWTH = env_float("PAPERTIDE_MAP_REFIT_GROWTH", 0.2, minimum=0.0)
PAPERTIDE_MAP_FIT_SAMPLE = env_int("PAPERTIDE_MAP_FIT_SAMPLE", 100000, minimum=100)
PAPERTIDE_MAP_NEIGHBOURS = env_int("PAPERTIDE_MAP_NEIGHBOURS", 10, minimum=1)
PAPERTIDE_MAP_REGIONS = env_int("PAPERTIDE_MAP_REGIONS", 30, minimum=1)
# Papers the embedding job encodes per batch (a stop request waits at most one batch), and how long its
# claim on a batch lasts (a batch of a worker that died is embedded by another once the claim runs out).
PAPERTIDE_EMBEDDING_BATCH = env_int("PAPERTIDE_EMBEDDING_BATCH", 64, minimum=1)
PAPERTIDE_EMBEDDING_LEASE_SECONDS = env_float("PAPERTIDE_EMBEDDING_LEASE_SECONDS", 600.0, minimum=10.0)
# How long one run of the embedding job goes on before the worker gives its other due jobs a turn.
PAPERTIDE_EMBEDDING_RUN_SECONDS = env_float("PAPERTIDE_EMBEDDING_RUN_SECONDS", 120.0, minimum=1.0)

# The health check (/healthz, `papertide status`): a worker must have reported within this many seconds (it
# reports at every pass, and about every minute during a long job), and every arXiv announcement older than
# this many hours must have been harvested (36 hours after the last harvest on weekdays).
PAPERTIDE_HEALTH_HEARTBEAT_SECONDS = env_float("PAPERTIDE_HEALTH_HEARTBEAT_SECONDS", 900.0, minimum=10.0)
PAPERTIDE_HEALTH_HARVEST_GRACE_HOURS = env_float("PAPERTIDE_HEALTH_HARVEST_GRACE_HOURS", 12.0, minimum=0.0)

# Pages.
PAPERTIDE_PAGE_SIZE = env_int("PAPERTIDE_PAGE_SIZE", 25, minimum=1)

# `papertide serve`.
PAPERTIDE_BIND = env_str("PAPERTIDE_BIND", "127.0.0.1:8000")
PAPERTIDE_WEB_WORKERS = env_int("PAPERTIDE_WEB_WORKERS", 2, minimum=1)

# Library: the largest BibTeX file one import reads (docs/library.md, "Export and import").
PAPERTIDE_BIBTEX_MAX_BYTES = env_int("PAPERTIDE_BIBTEX_MAX_BYTES", 1_048_576, minimum=1024)
