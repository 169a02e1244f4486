"""Pivra settings: everything that varies between machines comes from the environment.

Read once, here, with django-environ. A `.env` file beside manage.py is loaded when present;
`.env.example` documents every variable.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.retry import Retry

from widget import script as widget_script

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

# A development key is allowed only in debug; production must say its own.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

# Keys are hashed with HMAC under this pepper, so a database dump alone cannot test candidate
# keys. It defaults to SECRET_KEY; set it separately to rotate SECRET_KEY without losing keys.
API_KEY_PEPPER = env.str("API_KEY_PEPPER", default=SECRET_KEY)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "jobs",
    "outbound",
    "accounts",
    "apikeys",
    "webhooks",
    "chatbots",
    "sources",
    "leads",
    "api",
    "usage",
    "answers",
    "widget",
    "demo",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    # First: every response, even one a later middleware refuses, carries X-Request-ID, every log
    # line of the request names it, and its access line measures all the rest.
    "observability.requests.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "pivra.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below whitenoise: static files (widget.js runs on customers' pages) carry no page policy.
    "csp.middleware.CSPMiddleware",
    "pivra.middleware.ApiNoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Members of an account that requires two-factor authentication set it up before anything else.
    "accounts.two_factor.RequireTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "usage.ratelimit.FailedKeyLimitMiddleware",
    # Turns a login that django-axes refused into its 429 page (accounts.throttling).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pivra.urls"
WSGI_APPLICATION = "pivra.wsgi.application"

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
                "accounts.context_processors.current_account",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections with a health check: a request does not pay for a new connection.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind PgBouncer in transaction mode, server-side cursors (QuerySet.iterator(), the leads CSV
# export) break: set DATABASE_NO_SERVER_SIDE_CURSORS=true there.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DATABASE_NO_SERVER_SIDE_CURSORS", default=False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that is gone or partitioned must cost a request seconds, not minutes: a JSON 503
    # (pivra.middleware) beats a worker hung until TCP gives up. tcp_user_timeout drops a
    # connection whose packets go unanswered; keepalives notice one that went silent mid-query.
    _timeout = env.float("DATABASE_TIMEOUT_SECONDS", default=2)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        connect_timeout=max(2, round(_timeout)),  # libpq's minimum
        tcp_user_timeout=int(_timeout * 1000),
        keepalives=1,
        keepalives_idle=max(1, round(_timeout)),
        keepalives_interval=1,
        keepalives_count=2,
        options=f"-c statement_timeout={env.int('DATABASE_STATEMENT_TIMEOUT_MS', default=5000)}",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background jobs (jobs/queue.py). procrastinate keeps its queue in PostgreSQL, and its migrations
# are PostgreSQL's: on SQLite it is not installed, and jobs run inline after their transaction
# commits. Installed before the apps whose tasks.py it discovers.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    INSTALLED_APPS.insert(INSTALLED_APPS.index("jobs"), "procrastinate.contrib.django")
# A worker sends a heartbeat every third of JOBS_STALLED_AFTER_SECONDS; one silent that long is
# taken for dead, and the jobs it was running are queued again by a check that runs on
# JOBS_STALLED_CHECK_CRON (jobs/tasks.py; a sixth field is seconds). Tests shorten both.
JOBS_STALLED_AFTER_SECONDS = env.float("JOBS_STALLED_AFTER_SECONDS", default=30)
JOBS_STALLED_CHECK_CRON = env.str("JOBS_STALLED_CHECK_CRON", default="* * * * *")
# Jobs a worker runs at once, each in a thread with its own database connection: one slow
# webhook receiver (up to 15 s an attempt) must not hold up every other job.
JOBS_WORKER_CONCURRENCY = env.int("JOBS_WORKER_CONCURRENCY", default=10)
PROCRASTINATE_WORKER_DEFAULTS = {
    "update_heartbeat_interval": JOBS_STALLED_AFTER_SECONDS / 3,
    "stalled_worker_timeout": JOBS_STALLED_AFTER_SECONDS,
    "concurrency": JOBS_WORKER_CONCURRENCY,
}

# Redis is optional: it shares rate-limit counts between workers and hosts. Without it, each
# process counts on its own, which is right for one process (the embedded default).
CACHE_URL = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=0.5)
# Redis down or paused costs a request at most one timeout, never an error: counts fail open
# (usage.ratelimit) and cache reads answer "missing". No retries either: each would wait again,
# and a retried INCR could count twice.
REDIS_CACHE_OPTIONS = {
    "SOCKET_CONNECT_TIMEOUT": REDIS_TIMEOUT_SECONDS,
    "SOCKET_TIMEOUT": REDIS_TIMEOUT_SECONDS,
    "IGNORE_EXCEPTIONS": True,
    "CONNECTION_POOL_KWARGS": {"retry": Retry(NoBackoff(), 0)},
}
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": CACHE_URL, "OPTIONS": REDIS_CACHE_OPTIONS}
    }
elif CACHE_URL:
    CACHES = {"default": env.cache_url_config(CACHE_URL)}
    if "redis" in CACHES["default"]["BACKEND"]:  # it would lack the timeouts above
        raise ImproperlyConfigured("For Redis, set CACHE_URL or REDIS_URL to a redis://, rediss:// or unix:// URL.")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out email and address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A password reset link works for one hour (and once: it signs the password hash and last login).
PASSWORD_RESET_TIMEOUT = 60 * 60
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "security"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# /widget.js, the URL of the widget's snippet, is a static file served at the site's root: see
# widget/script.py for its caching.
WHITENOISE_ROOT = BASE_DIR / "widget" / "public"
WHITENOISE_ADD_HEADERS_FUNCTION = widget_script.add_headers
STATICFILES_DIRS = [BASE_DIR / "static", WHITENOISE_ROOT]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Security headers and cookies. TLS ends at the proxy, so redirects and HSTS are opt-in.
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4) on every page, the admin and the API reference included:
# scripts and styles only from our own files (no inline ones, so an injected tag does nothing),
# images also as data: URIs (Swagger UI's icons), no plugins, no framing, no <base> rewriting.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# A browser accepts a __Host- cookie only if it is Secure, for "/" and without a Domain, so neither
# a subdomain nor plain HTTP can plant or overwrite it. Without Secure (development) the plain names.
SESSION_COOKIE_NAME = "__Host-sessionid" if SESSION_COOKIE_SECURE else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if CSRF_COOKIE_SECURE else "csrftoken"
# A login lasts at most 12 hours, however active (Django's default is two weeks).
SESSION_COOKIE_AGE = 12 * 60 * 60
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies in front of the app append the address they saw to X-Forwarded-For (0: none,
# the client is REMOTE_ADDR). accounts.context.client_ip reads it; a spoofed header never passes.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if env.str("USE_X_FORWARDED_FOR", default=""):
    # Ignoring it would make every client look like the proxy: one rate limit for all visitors.
    raise ImproperlyConfigured("USE_X_FORWARDED_FOR is replaced by TRUSTED_PROXY_COUNT (1 behind one proxy).")

# Login throttling (accounts/throttling.py): 5 failures for one email from one address lock that
# pair out for 15 minutes, counted in the database; a success resets the count. Axes takes the
# client address from accounts.context.client_ip (AXES_CLIENT_IP_CALLABLE, which it prefers to
# ipware), so TRUSTED_PROXY_COUNT governs it as it governs every other limit: one reading of
# X-Forwarded-For, not a second one to keep in step.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A lockout lasts 15 minutes from the failure that caused it, not from the latest refused try.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_FORM_FIELD = "username"  # the login form's and the admin's field, holding the email
AXES_USERNAME_CALLABLE = "accounts.throttling.username"
AXES_CLIENT_IP_CALLABLE = "accounts.context.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.throttling.locked_out"
# Failures are kept (cleansed of passwords) to count them; a row for every successful login is not needed.
AXES_DISABLE_ACCESS_LOG = True
AXES_SENSITIVE_PARAMETERS = ["password", "confirm_password", "old_password", "new_password1", "new_password2", "code"]

# Two-factor authentication (accounts/two_factor.py): the name authenticator apps show.
OTP_TOTP_ISSUER = "Pivra"
# Staff may delete a lost device in the admin, but never see its secret or recovery codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Request bodies: up to 5 MB; larger ones get a JSON 413 from pivra.middleware.RequestBodyLimitMiddleware.
API_MAX_BODY_BYTES = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

REST_FRAMEWORK = {
    # The key authentication class must come first: DRF picks 401 vs 403 from it.
    "DEFAULT_AUTHENTICATION_CLASSES": ["apikeys.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["apikeys.authentication.HasApiAccess"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.NewestFirstCursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "api.exceptions.json_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["usage.ratelimit.ApiRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
}

# The OpenAPI schema (/api/schema/, committed as docs/openapi.yaml) and its reference page
# (/api/docs/). Swagger UI's files come from drf-spectacular-sidecar: the app runs offline.
SPECTACULAR_SETTINGS = {
    "TITLE": "Pivra API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "Read the leads and conversations your chatbots collect, and manage chatbots and their "
        "knowledge sources, from your own code.\n\n"
        "New here? Read [Getting started](/docs/getting-started/): creating a key, pagination, "
        "errors, rate limits and key rotation.\n\n"
        "Authenticate every request with a secret key from *Settings → Security*: "
        "`Authorization: Bearer pivra_sk_…`."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": r"/api",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "ENUM_NAME_OVERRIDES": {
        "SourceTypeEnum": ["text", "qa", "url"],
        "WebhookEndpointStatusEnum": "webhooks.models.WebhookEndpoint.Status",
    },
    "TAGS": [
        {"name": "leads", "description": "Contact details your chatbots captured. Read and delete."},
        {"name": "conversations", "description": "Chats between visitors and your chatbots, with their messages."},
        {"name": "chatbots", "description": "Your chatbots and their settings, with each one's public embed key."},
        {"name": "sources", "description": "The knowledge your chatbots answer from: text, Q&A pairs and web pages."},
        {"name": "usage", "description": "What the account has used of its plan's limits."},
        {"name": "webhook-endpoints", "description": (
            "URLs Pivra POSTs signed events to (`lead.created`, `conversation.started`, `source.ready`, …): "
            "subscribe from your integration instead of polling."
        )},
    ],
    "PREPROCESSING_HOOKS": ["api.schema.document_api_paths_only"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.add_error_components"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": False},
}

# Errors to Sentry, scrubbed of keys, secrets, the Authorization header and cookies.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from observability import sentry

    sentry.init(SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production"))

# /metrics answers only a scraper sending this as a Bearer token; unset, /metrics is not found.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Failed API key authentications a minute from one address before its further ones get 429.
API_FAILED_KEYS_PER_MINUTE = env.int("API_FAILED_KEYS_PER_MINUTE", default=100)

# Where GitHub publishes the keys that sign its secret-scanning reports (tests point it elsewhere).
GITHUB_SECRET_SCANNING_KEYS_URL = env.str(
    "GITHUB_SECRET_SCANNING_KEYS_URL", default="https://api.github.com/meta/public_keys/secret_scanning"
)

# The chat widget: widget requests a minute per visitor's address and per chatbot (counted like
# the API's, in Redis when configured), how many of the best passages an answer is built from,
# and the dotted path of the `answers.engine.Answerer` that quotes them when no model is configured.
WIDGET_RATE_LIMIT_PER_IP = env.int("WIDGET_RATE_LIMIT_PER_IP", default=30)
WIDGET_RATE_LIMIT_PER_CHATBOT = env.int("WIDGET_RATE_LIMIT_PER_CHATBOT", default=600)
WIDGET_PASSAGES_PER_ANSWER = env.int("WIDGET_PASSAGES_PER_ANSWER", default=2)
WIDGET_ANSWERER = env.str("WIDGET_ANSWERER", default="answers.engine.ExtractiveAnswerer")

# Generated answers (widget and chat API): any OpenAI-compatible chat-completions server. Without
# LLM_BASE_URL the extractive answerer answers. LLM_API_KEY is a secret: never logged.
LLM_BASE_URL = env.str("LLM_BASE_URL", default="")
LLM_API_KEY = env.str("LLM_API_KEY", default="")
LLM_MODEL = env.str("LLM_MODEL", default="")
# Well under GUNICORN_TIMEOUT (30 s): a slow model must end in the passages' answer, not a killed worker.
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=12)
if LLM_BASE_URL and not LLM_MODEL:
    raise ImproperlyConfigured("LLM_BASE_URL is set: set LLM_MODEL too (the model's name on that server).")

# Private or loopback servers (`host:port`, as written in their URLs) that URL sources and
# webhooks may reach anyway: test servers, a private deployment's own services. Everything else
# private stays refused (outbound/guard.py).
OUTBOUND_PRIVATE_ALLOWLIST = env.list("OUTBOUND_PRIVATE_ALLOWLIST", default=[])
for _entry in OUTBOUND_PRIVATE_ALLOWLIST:
    if not re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]/@\s]+):[0-9]{1,5}", _entry.strip()):
        raise ImproperlyConfigured(
            f"OUTBOUND_PRIVATE_ALLOWLIST: {_entry!r} is not host:port (an IPv6 address in brackets: [::1]:8080)."
        )
if env.str("SOURCE_FETCH_ALLOW_PRIVATE_HOSTS", default=""):
    raise ImproperlyConfigured("SOURCE_FETCH_ALLOW_PRIVATE_HOSTS is replaced by OUTBOUND_PRIVATE_ALLOWLIST (host:port).")
SOURCE_FETCH_TIMEOUT_SECONDS = env.int("SOURCE_FETCH_TIMEOUT_SECONDS", default=15)
SOURCE_FETCH_MAX_BYTES = env.int("SOURCE_FETCH_MAX_BYTES", default=5 * 1024 * 1024)

# Email (password reset links, key expiry reminders, leaked-key notices, a webhook endpoint Pivra disabled): EMAIL_URL
# in django-environ's form (smtp+tls://user:password@host:587); unset, the console backend.
_email = env.email_url_config(env.str("EMAIL_URL", default="") or "consolemail://")
vars().update({name: value for name, value in _email.items() if value is not None})
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Pivra <no-reply@pivra.example>")
# Who changes an account's plan (Settings → Plans says to email them: Pivra takes no payments itself).
PIVRA_SALES_EMAIL = env.str("PIVRA_SALES_EMAIL", default="sales@pivra.example")

# Logs go to stderr: one JSON object per line in production (observability.logging.JsonFormatter),
# plain text with DEBUG; LOG_FORMAT (json or plain) overrides. Every line written while a request
# is served names its id; each request adds one access line (logger pivra.access, INFO).
LOG_FORMAT = env.str("LOG_FORMAT", default="") or ("plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "observability.logging.RequestContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "observability.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Not every process start's task registrations, nor each tick of the periodic jobs; of axes, its warnings of failed logins only.
    "loggers": {name: {"level": "WARNING"} for name in ("procrastinate.blueprints", "procrastinate.periodic", "axes")},
}
