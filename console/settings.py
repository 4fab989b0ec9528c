"""Reverie settings: one module, every value from the environment.

Defaults run with nothing installed beyond Python: SQLite under REVERIE_HOME
and an embedded (filesystem) Celery broker. DATABASE_URL and CELERY_BROKER_URL
switch to PostgreSQL and Redis/RabbitMQ.
"""

from pathlib import Path

import dj_database_url

from console.env import ConfigError, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
REVERIE_HOME = Path(env_str("REVERIE_HOME", str(BASE_DIR / "var"))).resolve()
REVERIE_HOME.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("REVERIE_DEBUG", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept under REVERIE_HOME."""
    configured = env_str("SECRET_KEY", "")
    if configured:
        return configured
    key_file = REVERIE_HOME / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "django_celery_beat",
    "memory",
    "dreams",
    "console",
]

MIDDLEWARE = [
    "console.middleware.RequestIdMiddleware",
    "console.middleware.RequestSizeLimitMiddleware",
    "console.middleware.RejectNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "console.urls"
APPEND_SLASH = False

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
            ],
        },
    },
]

WSGI_APPLICATION = "console.wsgi.application"

# --- Database -----------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    try:
        _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    except ValueError as exc:
        raise ConfigError(f"DATABASE_URL is not a database URL Reverie understands: {exc}") from None
    _db["CONN_HEALTH_CHECKS"] = True
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("REVERIE_SQLITE_PATH", str(REVERIE_HOME / "reverie.sqlite3")),
        "OPTIONS": {
            # IMMEDIATE makes every transaction take the write lock up front, so two
            # writers queue instead of one failing to upgrade a read lock ("database is locked").
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            # FULL: every commit is on disk when the API answers (with persistent
            # connections, NORMAL could lose the last commits on a power cut).
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
        },
        # Persistent connections: closing the last connection after every request
        # makes SQLite checkpoint and delete the WAL each time (an fsync per request).
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
        # A file, not memory, so that a real Celery worker process can share the test database.
        "TEST": {"NAME": str(REVERIE_HOME / "test.sqlite3")},
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery -------------------------------------------------------------------
_broker_dir = REVERIE_HOME / "broker"
# "localhost" only silences kombu's "no hostname" warning: the filesystem transport ignores it.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded broker: messages are files under REVERIE_HOME, so `make run`
    # needs no broker server. Producer and consumer share one folder.
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "sweep-orphan-blobs": {"task": "memory.sweep_orphan_blobs", "schedule": 6 * 3600},
    "reap-lost-dreams": {"task": "dreams.reap_lost_dreams", "schedule": 60},
}
CELERY_TIMEZONE = "UTC"

# --- Auth, i18n, static -------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = REVERIE_HOME / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)

# --- API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["memory.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["memory.api.parsers.LenientJSONParser"],
    "EXCEPTION_HANDLER": "memory.api.errors.handle_exception",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Reverie API",
    "DESCRIPTION": "Memory stores wire-compatible with the Anthropic SDK, plus Reverie's extensions.",
    "VERSION": "1",
}

# --- Reverie limits (defaults match the hosted API) ----------------------------
REVERIE_MAX_MEMORIES_PER_STORE = env_int("REVERIE_MAX_MEMORIES_PER_STORE", 2000, minimum=1)
REVERIE_MAX_MEMORY_BYTES = env_int("REVERIE_MAX_MEMORY_BYTES", 102_400, minimum=1)
# Session event streams (SSE): each open stream holds a server thread, so a process keeps
# at most this many (more answer 429) and ends each after this many seconds (clients reconnect).
REVERIE_MAX_EVENT_STREAMS = env_int("REVERIE_MAX_EVENT_STREAMS", 2, minimum=1)
REVERIE_EVENT_STREAM_SECONDS = env_int("REVERIE_EVENT_STREAM_SECONDS", 300, minimum=1)
# A memory of 100 kB can grow six-fold when JSON-escaped; requests beyond this answer 413.
REVERIE_MAX_REQUEST_BYTES = env_int("REVERIE_MAX_REQUEST_BYTES", 1_048_576, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REVERIE_MAX_REQUEST_BYTES
# Dreams: how often a running dream records progress, and how long a silent one
# may go before it is declared lost with its worker and failed.
REVERIE_DREAM_PROGRESS_SECONDS = env_int("REVERIE_DREAM_PROGRESS_SECONDS", 1, minimum=0)
REVERIE_DREAM_HEARTBEAT_TIMEOUT = env_int("REVERIE_DREAM_HEARTBEAT_TIMEOUT", 300, minimum=5)
# The Claude engine. Its client comes from the SDK's own settings (ANTHROPIC_API_KEY or
# ANTHROPIC_AUTH_TOKEN, ANTHROPIC_BASE_URL) or a workspace's own key (console → Model).
REVERIE_CLAUDE_MODELS = env_list("REVERIE_CLAUDE_MODELS", ["claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5"])
REVERIE_CLAUDE_MODEL_PATTERNS = env_list("REVERIE_CLAUDE_MODEL_PATTERNS", ["claude-*"])
# "offline": a Claude model id with no key runs the offline engine (the old behaviour); else a 400.
REVERIE_CLAUDE_WITHOUT_KEY = env_str("REVERIE_CLAUDE_WITHOUT_KEY", "refuse")
if REVERIE_CLAUDE_WITHOUT_KEY not in ("refuse", "offline"):
    raise ConfigError("REVERIE_CLAUDE_WITHOUT_KEY must be `refuse` or `offline`.")
REVERIE_CLAUDE_CONTEXT_TOKENS = env_int("REVERIE_CLAUDE_CONTEXT_TOKENS", 200_000, minimum=8_000)
REVERIE_CLAUDE_MAX_OUTPUT_TOKENS = env_int("REVERIE_CLAUDE_MAX_OUTPUT_TOKENS", 8_192, minimum=256)
REVERIE_CLAUDE_DIGEST_MAX_TOKENS = env_int("REVERIE_CLAUDE_DIGEST_MAX_TOKENS", 2_048, minimum=256)
REVERIE_CLAUDE_DIGEST_CHUNK_TOKENS = env_int("REVERIE_CLAUDE_DIGEST_CHUNK_TOKENS", 40_000, minimum=1_000)
REVERIE_CLAUDE_STORE_INLINE_TOKENS = env_int("REVERIE_CLAUDE_STORE_INLINE_TOKENS", 20_000, minimum=500)
REVERIE_CLAUDE_CONCURRENCY = env_int("REVERIE_CLAUDE_CONCURRENCY", 4, minimum=1)
REVERIE_CLAUDE_MAX_TURNS = env_int("REVERIE_CLAUDE_MAX_TURNS", 40, minimum=1)
REVERIE_CLAUDE_MAX_RETRIES = env_int("REVERIE_CLAUDE_MAX_RETRIES", 4, minimum=0)
REVERIE_CLAUDE_TIMEOUT_SECONDS = env_int("REVERIE_CLAUDE_TIMEOUT_SECONDS", 300, minimum=5)
# Extra engines, as "module:Class" entries (comma-separated), for plug-in engines.
REVERIE_EXTRA_ENGINES = env_list("REVERIE_EXTRA_ENGINES", [])
# The request header naming the agent session a write was made in (session_actor).
REVERIE_SESSION_HEADER = "X-Reverie-Session-Id"
# Encryption at rest of workspaces' model keys (dreams/crypto.py): any string; when empty a key
# is derived from SECRET_KEY. Old values, comma-separated, still decrypt (rotation).
REVERIE_ENCRYPTION_KEY = env_str("REVERIE_ENCRYPTION_KEY", "")
REVERIE_ENCRYPTION_OLD_KEYS = env_list("REVERIE_ENCRYPTION_OLD_KEYS", [])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

# --- Console ------------------------------------------------------------------
CSRF_FAILURE_VIEW = "console.views.csrf_failure"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "login"
