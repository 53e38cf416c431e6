"""Herald's settings: one module, configured from the environment (see README, "Configuration")."""

import base64
import hashlib
import os
import re
import tempfile
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# The fallback is for local development only; `check --deploy` flags it (security.W009).
SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-only-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "corsheaders",
    "axes",
    # Serves its API docs' assets from the package's own static files, never a CDN.
    "ninja",
    "django_ratelimit",
    "accounts",
    "environments",
    "workflows",
    "branding",
    "changes",
    "subscribers",
    "integrations",
    "activity",
    "api",
    "onboarding",
    "demo",
    # The database backend of django.tasks, and its worker (`manage.py db_worker`).
    "django_tasks_db",
]

MIDDLEWARE = [
    # First, so that its headers reach every answer of the client-side routes, refusals included.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "environments.middleware.HtmxMessagesMiddleware",
    "environments.middleware.EnvironmentScopeMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "environments.context_processors.environment_shell",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database serves a threaded server: WAL lets readers run beside a writer,
    # IMMEDIATE takes the write lock up front instead of failing half-way, timeout waits for it.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file too: the browser tests' live server answers from several threads at
    # once, and threads cannot share one in-memory SQLite connection. One file per test run,
    # so two runs side by side do not trample each other.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"herald-test-{os.getpid()}.sqlite3")
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The statements every trigger runs bind on the server (config.db.hot_statement_cursor)
    # and are prepared once they ran this often on a connection; every other query binds on the
    # client and is never prepared. Behind a pooler in transaction mode that does not keep
    # prepared statements (pgbouncer before 1.21, or without max_prepared_statements), set it
    # to "none".
    _prepare_threshold = env.str("DATABASE_PREPARE_THRESHOLD", default="5")
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        None if _prepare_threshold.lower() in ("", "none") else int(_prepare_threshold)
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache shared by every web process, so that throttles count across all
# of them. By default a table in the database, which needs no other service; `migrate` creates it.
CACHES = {
    "default": env.cache_url("CACHE_URL", default="dbcache://herald_cache"),
    # Preview payloads wait here for the email frame that loads them a moment later, maybe from
    # another web process: so the database, which every process shares. Entries live ten
    # minutes, each person keeps one per step, and the table is culled past MAX_ENTRIES.
    "previews": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "herald_preview_cache",
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
    CACHES["default"]["BACKEND"] = "config.caches.DatabaseCache"
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 50_000)

# Background work (the trigger pipeline) goes through django.tasks into the database; workers
# (`manage.py db_worker`, as many as needed) take it from there. See README, "Workers".
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Activity (triggers, notifications, messages, execution logs) older than this is deleted by
# `manage.py activity_prune`.
ACTIVITY_RETENTION_DAYS = env.int("ACTIVITY_RETENTION_DAYS", default=30)
# Strict variables: a step whose templates read a variable the trigger did not send fails, with
# an execution log naming it, instead of rendering it as empty text.
ACTIVITY_STRICT_VARIABLES = env.bool("ACTIVITY_STRICT_VARIABLES", default=False)
# Each worker looks for pipeline tasks that died (and puts them back in the queue) at most this
# often, after finishing a task; 0 leaves it to `manage.py activity_recover`.
ACTIVITY_RECOVERY_SECONDS = env.int("ACTIVITY_RECOVERY_SECONDS", default=60)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes goes first so that a locked-out login is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password-reset links, like sign-up links, work for a day (and only once).
PASSWORD_RESET_TIMEOUT = 24 * 60 * 60
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failed logins: five tries per email and address, then a 15-minute cool-off.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The login form posts the email in the field Django names "username".
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "config.proxy.client_address"


def _rate(name: str, default: str) -> str:
    """A django-ratelimit rate from the environment, checked now rather than on a request."""
    rate = env(name, default=default)
    if not re.fullmatch(r"[1-9]\d*/\d*[smhd]", rate):
        raise ImproperlyConfigured(
            f"{name} must look like 5/h: a count, then per s, m, h or d, e.g. 20/d or 3/10m."
        )
    return rate


# Sign-up emails per client address (and per recipient), new organizations per signed-in user.
SIGNUP_RATE_LIMIT = _rate("SIGNUP_RATE_LIMIT", "5/h")
ORGANIZATION_RATE_LIMIT = _rate("ORGANIZATION_RATE_LIMIT", "5/h")
# Password-reset requests per client address.
PASSWORD_RESET_RATE_LIMIT = _rate("PASSWORD_RESET_RATE_LIMIT", "5/h")
RATELIMIT_USE_CACHE = "default"
RATELIMIT_IP_META_KEY = "config.proxy.client_address"
# django-ratelimit vouches only for memcached and redis. The database cache above increments
# atomically (config/caches.py), which is what the warning is about.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

# Email: sign-up links and password resets. Without EMAIL_URL, `make run` (DEBUG) prints each
# email in the terminal; production needs an SMTP server, e.g. smtp+tls://user:password@host:587.
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
_email_options = {
    "django.core.mail.backends.smtp.EmailBackend": {
        "host": _email.get("EMAIL_HOST") or "localhost",
        "port": _email.get("EMAIL_PORT") or 25,
        "username": _email.get("EMAIL_HOST_USER") or "",
        "password": _email.get("EMAIL_HOST_PASSWORD") or "",
        "use_tls": _email.get("EMAIL_USE_TLS", False),
        "use_ssl": _email.get("EMAIL_USE_SSL", False),
        # A slow mail server must not hold a web worker for long.
        "timeout": 10,
    },
    "django.core.mail.backends.filebased.EmailBackend": {"file_path": _email["EMAIL_FILE_PATH"]},
}
if _email["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    _email["EMAIL_BACKEND"] = "config.mail.ReadableConsoleBackend"
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": _email_options.get(_email["EMAIL_BACKEND"], {}),
    }
}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Herald <herald@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # htmx comes from the npm registry, pinned in package-lock.json; base.html loads it with
    # the CSP nonce. (django-htmx's `{% htmx_script %}` would load the copy bundled in its wheel.)
    ("htmx.org", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool(
    "SECURE_SSL_REDIRECT", default=not DEBUG and env.bool("HTTPS", default=False)
)
SESSION_COOKIE_SECURE = env.bool("HTTPS", default=False)
CSRF_COOKIE_SECURE = env.bool("HTTPS", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Behind a TLS-terminating proxy: trust its X-Forwarded-Proto, and take the client's address
# from the last X-Forwarded-For entry, the one it appended (config/proxy.py).
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None

# The public API (/v1): bodies over this size get 413; each key's token bucket refills at
# API_RATE_LIMIT_PER_MINUTE and holds API_RATE_LIMIT_BURST requests.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=256 * 1024)
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)
API_RATE_LIMIT_BURST = env.int("API_RATE_LIMIT_BURST", default=100)

# Secrets Herald reads back (integration credentials, client HMAC secrets) are encrypted at
# rest with these Fernet keys, newest first
# (MultiFernet: the first encrypts, every one decrypts, so a new key goes in front and the old
# one stays until `manage.py secrets_reencrypt` has run). Generate a key with
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
# Keys live in the environment, never in the database. Only with DEBUG, and only when none is
# set, a key is derived from SECRET_KEY so `make run` works; `check --deploy` refuses that.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
FIELD_ENCRYPTION_KEYS_DERIVED = DEBUG and not FIELD_ENCRYPTION_KEYS
if FIELD_ENCRYPTION_KEYS_DERIVED:
    FIELD_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(
            hashlib.sha256(f"herald.integrations.credentials:{SECRET_KEY}".encode()).digest()
        ).decode()
    ]
# Every call to a provider (SMTP, an email API, a webhook, an SMS API) gives up after this many
# seconds; a timeout is a retryable failure.
INTEGRATION_TIMEOUT_SECONDS = env.float("INTEGRATION_TIMEOUT_SECONDS", default=10.0)
# Webhook and SMS gateway addresses on private, loopback or link-local networks are refused
# unless this is set: a URL that an operator or a subscriber gives must not reach the
# machines around Herald. SMTP hosts are the operator's own choice and are not checked.
INTEGRATION_ALLOW_PRIVATE_NETWORKS = env.bool("INTEGRATION_ALLOW_PRIVATE_NETWORKS", default=DEBUG)
# Retries of retryable failures (timeouts, 5xx, 429): at most this many attempts in all, the
# n-th retry after about BASE * 2**(n-1) seconds (with jitter), never more than MAX.
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=5)
DELIVERY_RETRY_BASE_SECONDS = env.float("DELIVERY_RETRY_BASE_SECONDS", default=30.0)
DELIVERY_RETRY_MAX_SECONDS = env.float("DELIVERY_RETRY_MAX_SECONDS", default=3600.0)
# Client-side apps (/v1/widgets/, the in-app feed): a session token lasts this long.
CLIENT_SESSION_SECONDS = env.int("CLIENT_SESSION_SECONDS", default=60 * 60)
# CORS only for the client-side routes, and only for the origins an environment lists on its
# API Keys page: `activity.cors` decides per request (a preflight names no environment, so it
# passes for an origin that any environment lists; the request itself is checked against the
# environment its token or Application Identifier names). No cookies cross: the token rides in
# the Authorization header.
CORS_URLS_REGEX = r"^/v1/widgets/"
CORS_ALLOWED_ORIGINS: list[str] = []
CORS_ALLOW_CREDENTIALS = False
CORS_PREFLIGHT_MAX_AGE = 600

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
