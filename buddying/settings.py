"""Settings for the Buddying service: one module, configured only from the environment.

The README lists every variable. With nothing set (as `make run` does, plus DEBUG=1) the
service runs on an embedded SQLite file and runs Celery tasks in-process, so no other service
is needed. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and ALLOWED_HOSTS.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see README: production).")
    # Only ever used with DEBUG on, on a developer's own machine.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # WhiteNoise serves static files in development too, the same way as in production.
    "whitenoise.runserver_nostatic",
    # django.contrib.staticfiles, leaving the front-end packages' sources out of collectstatic.
    "buddying.static_files.BuddyingStaticFilesConfig",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_forms_gds",
    "django_filters",
    "simple_history",
    # Sign-in lockouts after repeated failures, audited in the admin (see "Sign-in" below).
    "axes",
    # The Content-Security-Policy header (see "Content Security Policy" below).
    "csp",
    # Dependencies point one way: reports -> arrangements -> matching -> buddying.
    "buddying",
    "matching",
    "arrangements",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "buddying.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Pages for a signed-in person are never kept by the browser or a proxy (needs request.user).
    "buddying.middleware.NoStoreWhenSignedInMiddleware",
    "buddying.middleware.IdleTimeoutMiddleware",
    # Every page needs a signed-in user unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the sign-in page with its message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "buddying.urls"
WSGI_APPLICATION = "buddying.wsgi.application"

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
                "buddying.context_processors.navigation",
                "arrangements.context_processors.notifications",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(Path(env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")))),
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "buddying.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes checks for a lockout before the password is tried (it needs the request: the sign-in
# view passes it; tests sign in with force_login or through the sign-in page).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("govuk", NODE_MODULES / "govuk-frontend" / "dist" / "govuk"),
    # The images both design systems' stylesheets point at (static/scss/app.scss: $moj-images-path).
    ("frontend/images", NODE_MODULES / "@ministryofjustice" / "frontend" / "moj" / "assets" / "images"),
    ("frontend/images", NODE_MODULES / "govuk-frontend" / "dist" / "govuk" / "assets" / "images"),
    ("moj", NODE_MODULES / "@ministryofjustice" / "frontend" / "moj"),
    ("leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("chartjs", NODE_MODULES / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Without a manifest (development, tests) WhiteNoise serves straight from the finders.
WHITENOISE_USE_FINDERS = (
    STORAGES["staticfiles"]["BACKEND"].endswith("StaticFilesStorage")
    and "Manifest" not in STORAGES["staticfiles"]["BACKEND"]
)
WHITENOISE_AUTOREFRESH = DEBUG
# Source maps are read only by a developer's browser tools: compressing them doubled collectstatic's time.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

# Uploaded and generated files. Large report exports are written under EXPORTS_DIR by a worker and
# served only through a permission-checked view (reports.views), never at a public URL.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
EXPORTS_DIR = Path(env_str("EXPORTS_DIR", str(MEDIA_ROOT / "exports")))

# The expertise strength (1 to 5) at which a trust counts as covering an expertise area: the trust
# directory's expertise filter (buddying.filters) and matching's coverage both read this, so that
# "covers a need" means the same on every page.
BUDDY_COVERS_AT_STRENGTH = env_int("BUDDY_COVERS_AT_STRENGTH", 3)
if not 1 <= BUDDY_COVERS_AT_STRENGTH <= 5:
    raise ImproperlyConfigured(
        f"BUDDY_COVERS_AT_STRENGTH must be a strength from 1 to 5, not {BUDDY_COVERS_AT_STRENGTH}"
    )

# What a known relationship (confirmed by both trusts, or recorded by regulator staff) adds to a candidate's
# matching score, in points out of 100: modest by default, a seventh of cultural fit's 35. 0 turns it off; at most 50.
MATCH_RELATIONSHIP_WEIGHT = env_int("MATCH_RELATIONSHIP_WEIGHT", 5)
if not 0 <= MATCH_RELATIONSHIP_WEIGHT <= 50:
    raise ImproperlyConfigured(f"MATCH_RELATIONSHIP_WEIGHT must be 0 to 50 points, not {MATCH_RELATIONSHIP_WEIGHT}")

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# Security. Defaults are the production ones; `make run` and the tests relax them explicitly.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: every form posts the token from its hidden input.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Idle timeout: a session ends after this many minutes with no request (the database refuses an
# expired session, and the cookie expires too). Requests start the clock again, at most once a
# minute (buddying.middleware.IdleTimeoutMiddleware). Signing in again returns to the page asked for.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
if not 2 <= SESSION_IDLE_MINUTES <= 24 * 60:
    raise ImproperlyConfigured(f"SESSION_IDLE_MINUTES must be from 2 to 1440 minutes, not {SESSION_IDLE_MINUTES}")
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_ENGINE = "buddying.sessions"

# Sign-in: after SIGN_IN_FAILURE_LIMIT failures for one username, or from one client address, further
# attempts are refused for SIGN_IN_LOCKOUT_MINUTES (each refused attempt starts that time again).
# A success does not clear earlier failures: otherwise signing in to one's own account would clear
# the failures counted against another. Admins see attempts, failures and lockouts in the admin.
SIGN_IN_FAILURE_LIMIT = env_int("SIGN_IN_FAILURE_LIMIT", 5)
SIGN_IN_LOCKOUT_MINUTES = env_int("SIGN_IN_LOCKOUT_MINUTES", 15)
if SIGN_IN_FAILURE_LIMIT < 1 or SIGN_IN_LOCKOUT_MINUTES < 1:
    raise ImproperlyConfigured("SIGN_IN_FAILURE_LIMIT and SIGN_IN_LOCKOUT_MINUTES must be 1 or more")
AXES_FAILURE_LIMIT = SIGN_IN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=SIGN_IN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_CLIENT_IP_CALLABLE = "buddying.security.client_ip_address"
AXES_LOCKOUT_CALLABLE = "buddying.security.sign_in_locked_out"
AXES_VERBOSE = False

# Content Security Policy: scripts, styles, images, fonts and requests only from this service's own
# origin, and no inline script or style, so text from the database can never run as code. The
# templates have no inline <script> or style="" and the JavaScript sets user text as text.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# Browser features no page uses (buddying.middleware.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), fullscreen=(), "
    "geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), "
    "picture-in-picture=(), publickey-credentials-get=(), screen-wake-lock=(), serial=(), usb=(), "
    "xr-spatial-tracking=()"
)

# Email: the console in development; SMTP in production when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "buddying@localhost")
# The address people use to reach the service, for links in emails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# How long an emailed sign-up link works (buddying.services.signup_invitation_create).
SIGNUP_INVITATION_DAYS = env_int("SIGNUP_INVITATION_DAYS", 7)
if not 1 <= SIGNUP_INVITATION_DAYS <= 90:
    raise ImproperlyConfigured(f"SIGNUP_INVITATION_DAYS must be from 1 to 90 days, not {SIGNUP_INVITATION_DAYS}")

# Celery. With no REDIS_URL there is no broker: tasks run in-process (make run needs nothing else).
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
# A save must never wait on a Redis outage. Tasks are enqueued through the outbox (buddying.outbox), which
# publishes once with these timeouts and no retries, and keeps the task in the database if that fails: a refused
# connection fails in milliseconds, an unreachable host in a second. Workers and beat reconnect on their own
# (CELERY_BROKER_CONNECTION_MAX_RETRIES, the default 100, with back-off).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 3, "max_retries": 0}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# The result backend retries 20 times a second apart by default: a `.delay()` outside the outbox would hang a
# request for 20 s. The outbox sends with ignore_result, so only code that awaits a result uses the backend.
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
}
# How often beat sends what a Redis outage left in the outbox (buddying.tasks.send_outbox).
OUTBOX_SEND_SECONDS = env_int("OUTBOX_SEND_SECONDS", 60)
if not 1 <= OUTBOX_SEND_SECONDS <= 3600:
    raise ImproperlyConfigured(f"OUTBOX_SEND_SECONDS must be from 1 to 3600 seconds, not {OUTBOX_SEND_SECONDS}")
# Beat keeps its last-run times in this file; one beat process per deployment.
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILE", str(BASE_DIR / "celerybeat-schedule"))
# One beat process runs this, in UTC. The sweep works on Europe/London dates and windows of days,
# so the hour it runs at, and clock changes, do not change what it sends.
CELERY_BEAT_SCHEDULE = {
    "daily-reminder-sweep": {"task": "arrangements.tasks.sweep_reminders", "schedule": crontab(hour=6, minute=30)},
    "send-outbox": {"task": "buddying.tasks.send_outbox", "schedule": float(OUTBOX_SEND_SECONDS)},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
