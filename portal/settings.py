"""Settings of the portal, read from the environment.

Every value has an embedded default that needs no server (SQLite, kombu's filesystem broker, a file mail
backend), so a fresh clone runs with no configuration; production is one set of environment variables away
(see README.md, "Configuration"). With DEBUG off the portal refuses to start on the development secret.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean: use true or false.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# --- Core ---------------------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", True)

# Only good for development: a portal with DEBUG off refuses to start with it.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip() or DEVELOPMENT_SECRET_KEY
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. With DEBUG off the portal will not start on the development secret: "
        "set SECRET_KEY to a long random value, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])

# The public address of the portal, used for links in emails (no trailing slash).
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://localhost:8000").rstrip("/")
PORTAL_NAME = os.environ.get("PORTAL_NAME", "Resus Training")

# Demo accounts have published passwords: load_demo refuses to run where this is off.
DEMO_CONTENT_ALLOWED = env_bool("DEMO_CONTENT_ALLOWED", DEBUG)

INSTALLED_APPS = [
    "home",
    "learning",
    "reminders",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "axes",
    "anymail",
    "csp",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "learning.common.middleware.PortalSettingsMiddleware",
    # Before anything reads the address or the cookies: see its docstring.
    "learning.common.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "learning.materials.middleware.PersonalResponseMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: it turns a lockout raised by authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "wagtail.contrib.settings.context_processors.settings",
                "home.context_processors.portal",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------------

DATABASE_URL = os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"
# Persistent connections (seconds a connection is kept; 0 closes it after each request), checked before reuse so
# that a restarted database costs one failed check, not a failed request. On by default in production.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0 if DEBUG else 60), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Web, worker and beat share the file: wait for a lock rather than fail with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_PREPARED_STATEMENTS", True):
    # A statement the portal runs on every request with the database binding its parameters (the access check of
    # material pages, learning.materials.facts) is prepared once per connection, from its fifth run; Django's own
    # queries merge their parameters into the SQL and are never prepared. Off behind a proxy that pools
    # transactions and does not carry prepared statements (PgBouncer before 1.21).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits) --------------------------------------------------------------------------------

# Per process by default; with several web processes set CACHE_URL=redis://… so that limits are shared.
CACHE_URL = os.environ.get("CACHE_URL", "").strip()
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- Accounts -----------------------------------------------------------------------------------------

AUTH_USER_MODEL = "learning.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first, so that a locked-out client is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "/"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3

# Lockout of repeated failed sign-ins (django-axes), on the site's and the admin's sign-in forms alike.
# A lockout counts the pair (client address, account): an attacker guessing one account from one address
# is stopped without locking that account for everyone else, or everyone behind the same proxy.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
# Both sign-in forms post the email address in a field named "username" (Django's AuthenticationForm).
AXES_USERNAME_FORM_FIELD = "username"
# Failures count the address however it is typed (case, Unicode form, spaces): every spelling is one account.
AXES_USERNAME_CALLABLE = "learning.accounts.views.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Behind reverse proxies, how many of them stand in front of the portal. The client address is then read
# from X-Forwarded-For at that many hops from the right (the first proxy appends what it saw), so entries a
# client forges at the left of the header are never taken for its address. ipware counts the proxies
# *inside* the header, which is one fewer than the proxies in front (the last one is REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1 if TRUSTED_PROXY_COUNT else None
# Not strict: entries a client forges at the left of X-Forwarded-For are ignored rather than making the whole
# header untrusted (which would count the proxy's own address for that client).
IPWARE_STRICT = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if TRUSTED_PROXY_COUNT else ("REMOTE_ADDR",)
# Password-reset requests per hour: per address, so nobody floods a mailbox with resets, and per client address,
# so one client cannot try addresses in bulk. Over either, the page answers as usual and sends nothing.
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = env_int("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", 3)
PASSWORD_RESET_PER_CLIENT_PER_HOUR = env_int("PASSWORD_RESET_PER_CLIENT_PER_HOUR", 10)
# How long the link that finishes a newcomer's registration works (learning.accounts.registration).
REGISTRATION_LINK_DAYS = env_int("REGISTRATION_LINK_DAYS", 3)

# --- Internationalisation -----------------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
# The provider's local time zone: expiry dates and reminders are reckoned in it.
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- What administrators tune -------------------------------------------------------------------------
# The values below are a fresh install's first values: they are copied into Settings > Portal settings in the admin
# the first time the portal needs them, and from then on the admin's values apply.

# The training office, as pages, refusals and emails name it.
TRAINING_OFFICE_NAME = os.environ.get("TRAINING_OFFICE_NAME", "The training office")
TRAINING_OFFICE_EMAIL = os.environ.get("TRAINING_OFFICE_EMAIL", "training@example.org")
TRAINING_OFFICE_PHONE = os.environ.get("TRAINING_OFFICE_PHONE", "")
TRAINING_OFFICE_ADDRESS = os.environ.get("TRAINING_OFFICE_ADDRESS", "")
TRAINING_OFFICE_HOURS = os.environ.get("TRAINING_OFFICE_HOURS", "Monday to Friday, 9am to 5pm")


# A certification shows as "expiring" from this many days before it expires (the first reminder's distance).
CERTIFICATION_EXPIRING_DAYS = env_int("CERTIFICATION_EXPIRING_DAYS", 90)
# Participants may still read a course's materials this many days after their certification expired.
MATERIALS_GRACE_DAYS = env_int("MATERIALS_GRACE_DAYS", 90)
# A manual's rendered text (its documents and chapters) is kept in the cache for this many seconds, under a key that
# changes whenever the page is published or moved or a document changes; links it makes to other pages may be this
# old. 0 turns it off.
MATERIAL_TEXT_CACHE_SECONDS = env_int("MATERIAL_TEXT_CACHE_SECONDS", 300)
# Participants may cancel a booking online until this many days before the course starts.
BOOKING_CANCELLATION_CUTOFF_DAYS = env_int("BOOKING_CANCELLATION_CUTOFF_DAYS", 7)
# Public verification (/verify/): look-ups allowed per client address per minute.
VERIFY_RATE_PER_MINUTE = env_int("VERIFY_RATE_PER_MINUTE", 20)
# The most credits one continuing-education activity may claim.
CE_MAX_CREDITS_PER_ACTIVITY = env_int("CE_MAX_CREDITS_PER_ACTIVITY", 50)
# Managers get their digest of who needs action once every this many days (7: weekly, on Mondays).
MANAGER_DIGEST_DAYS = env_int("MANAGER_DIGEST_DAYS", 7)

# --- Course import (import_hugo) ----------------------------------------------------------------------

# The largest Hugo course page import_hugo reads, in bytes; larger files are refused before they are read.
HUGO_IMPORT_MAX_BYTES = env_int("HUGO_IMPORT_MAX_BYTES", 1024 * 1024)

# --- Static and media files ---------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
if DEBUG:
    # whitenoise warns at every start when its folder is missing; in production collectstatic makes it.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Email --------------------------------------------------------------------------------------------

# The public address's host names the sender, the unsubscribe mailbox and the Message-IDs unless set apart.
PORTAL_HOST = urlsplit(PORTAL_BASE_URL).hostname or "localhost"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"{PORTAL_NAME} <no-reply@{PORTAL_HOST}>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# EMAIL_ESP names an anymail ESP (postmark, mailgun, amazon_ses, sendgrid, brevo, ...). Its keys come from
# ANYMAIL_* variables, e.g. ANYMAIL_POSTMARK_SERVER_TOKEN; anymail refuses to send when one is missing.
EMAIL_ESP = os.environ.get("EMAIL_ESP", "").strip().lower()
if EMAIL_ESP:
    EMAIL_BACKEND = f"anymail.backends.{EMAIL_ESP}.EmailBackend"
else:
    EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "portal.mail.EmlFileBackend")
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", VAR_DIR / "mail"))


def anymail_value(name: str, value: str):
    """ANYMAIL_* variables arrive as text; anymail wants numbers for timeouts and booleans for its switches.
    A value of the wrong kind stops the start, naming the variable."""
    key = name.removeprefix("ANYMAIL_")
    if key.endswith("_TIMEOUT"):
        # A number of seconds, or "connect,read" as requests accepts.
        try:
            parts = tuple(float(part) for part in value.split(","))
        except ValueError:
            raise ImproperlyConfigured(f"{name}={value!r} is not a number of seconds (e.g. 30, or 3.05,27).") from None
        if len(parts) > 2 or any(part <= 0 for part in parts):
            raise ImproperlyConfigured(f"{name}={value!r}: give one or two positive numbers of seconds.")
        return parts[0] if len(parts) == 1 else parts
    if key in ANYMAIL_SWITCHES:
        return env_bool(name, False)
    return value


ANYMAIL_SWITCHES = {
    "IGNORE_RECIPIENT_STATUS",
    "IGNORE_UNSUPPORTED_FEATURES",
    "DEBUG_API_REQUESTS",
    "SENDGRID_GENERATE_MESSAGE_ID",
    "MAILGUN_SENDER_DOMAIN_VALIDATION",
}
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): anymail_value(name, value)
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_")
}
# The ESP's tracking webhook (/anymail/<esp>/tracking/) must carry this basic-auth "user:password"; without it
# every post is refused (reminders/urls.py), and a production portal that sends through an ESP will not start,
# since bounces and complaints would then never suppress an address.
_webhook_secret = ANYMAIL.get("WEBHOOK_SECRET", "").strip()
if _webhook_secret and ":" not in _webhook_secret:
    raise ImproperlyConfigured("ANYMAIL_WEBHOOK_SECRET must be user:password (the webhook's basic auth).")
if not DEBUG and EMAIL_ESP and not _webhook_secret:
    raise ImproperlyConfigured(
        f"ANYMAIL_WEBHOOK_SECRET is not set. With DEBUG off and EMAIL_ESP={EMAIL_ESP} the portal will not start "
        "without it: set ANYMAIL_WEBHOOK_SECRET to user:password, both long random values, and give the same "
        "user and password to the ESP's tracking webhook (README.md, 'Delivery tracking')."
    )

# --- Celery -------------------------------------------------------------------------------------------

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "").strip() or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    _default_result_backend = f"file://{VAR_DIR / 'results'}"
    (VAR_DIR / "results").mkdir(parents=True, exist_ok=True)
else:
    _default_result_backend = CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
    # Longer than a task may run and than the longest retry countdown (an hour): Redis hands a message that is
    # not yet acknowledged (a task waiting for its retry's countdown included) to another worker after this long.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "").strip() or _default_result_backend or None
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT_SECONDS", 10 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - max(1, CELERY_TASK_TIME_LIMIT // 10)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Reliability. The outbox rows, not the broker's messages, decide what is sent (reminders/delivery.py), so these
# settings only bound how much a failure costs:
# - acks late: a task is acknowledged when it finishes, so a worker that dies mid-task leaves its message to be
#   delivered again rather than lost; every task here is safe to run twice (a send claims rows atomically).
# - prefetch 1: a worker holds one message beyond the one it runs, so a killed worker strands at most that one.
# - visibility timeout (Redis): how long an unacknowledged message waits before Redis hands it to another
#   worker; longer than any task may run and than any retry's countdown, or a task would run twice. What a
#   stranded message was going to do, the drain (every REMINDER_DRAIN_MINUTES) has done long before.
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# --- Reminders ----------------------------------------------------------------------------------------

# The local time (TIME_ZONE) at which beat runs the daily scan and sending, HH:MM.
REMINDER_SEND_TIME = os.environ.get("REMINDER_SEND_TIME", "07:00")
try:
    _send_hour, _send_minute = (int(part) for part in REMINDER_SEND_TIME.split(":"))
except ValueError:
    raise ImproperlyConfigured(f"REMINDER_SEND_TIME={REMINDER_SEND_TIME!r} is not a time like 07:00.") from None
# How many attempts an email gets before its reminders are marked failed (transient ESP errors only).
REMINDER_MAX_ATTEMPTS = env_int("REMINDER_MAX_ATTEMPTS", 6)
# The last stage (after expiry) is not sent for certifications that reached it longer ago than this.
REMINDER_CATCH_UP_DAYS = env_int("REMINDER_CATCH_UP_DAYS", 14)
# How often beat runs the drain: stale claims settled, lost tasks queued again (minutes).
REMINDER_DRAIN_MINUTES = env_int("REMINDER_DRAIN_MINUTES", 5)
# Participants handed to one send task: the batch is claimed in one statement, reads what its emails share once and
# sends over one connection to the ESP.
REMINDER_BATCH_SIZE = max(1, env_int("REMINDER_BATCH_SIZE", 50))
# A send claimed longer ago than this belongs to a worker that died; keep it above CELERY_TASK_TIME_LIMIT (seconds).
REMINDER_SENDING_TIMEOUT_SECONDS = env_int("REMINDER_SENDING_TIMEOUT_SECONDS", 15 * 60)
if REMINDER_SENDING_TIMEOUT_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"REMINDER_SENDING_TIMEOUT_SECONDS={REMINDER_SENDING_TIMEOUT_SECONDS} must be longer than the tasks' time "
        f"limit (CELERY_TASK_TIME_LIMIT_SECONDS={CELERY_TASK_TIME_LIMIT}), or a live send would be taken for dead."
    )
# An uncertain send (the ESP did not answer, or the worker died) with no tracking event after this long gets one
# more attempt (minutes).
REMINDER_UNCERTAIN_WAIT_MINUTES = env_int("REMINDER_UNCERTAIN_WAIT_MINUTES", 120)
# The mailto: half of List-Unsubscribe; your ESP's inbound route should forward it to the training office.
REMINDER_UNSUBSCRIBE_MAILTO = os.environ.get("REMINDER_UNSUBSCRIBE_MAILTO", f"unsubscribe@{PORTAL_HOST}")
REMINDER_MESSAGE_ID_DOMAIN = PORTAL_HOST

CELERY_BEAT_SCHEDULE = {
    # Shows beat -> broker -> worker working: every worker log gets a line a minute.
    "heartbeat": {"task": "home.tasks.heartbeat", "schedule": timedelta(minutes=1)},
    # Editors' go-live and expiry dates take effect within five minutes.
    "publish-scheduled": {"task": "home.tasks.publish_scheduled", "schedule": timedelta(minutes=5)},
    "daily-reminders": {
        "task": "reminders.tasks.daily_reminders",
        "schedule": crontab(hour=_send_hour, minute=_send_minute),
    },
    # Each manager's digest, once a period (Settings > Portal settings): every day's run sends the period's
    # digests that are not sent yet, so a missed day is caught up the next.
    "manager-digests": {
        "task": "reminders.tasks.manager_digests",
        "schedule": crontab(hour=_send_hour, minute=_send_minute),
    },
    "drain-reminders": {
        "task": "reminders.tasks.drain_outbox",
        "schedule": timedelta(minutes=REMINDER_DRAIN_MINUTES),
    },
}

# --- Wagtail ------------------------------------------------------------------------------------------

WAGTAIL_SITE_NAME = PORTAL_NAME
WAGTAILADMIN_BASE_URL = PORTAL_BASE_URL
# No avatars fetched from Gravatar: the admin would tell a third party who works in it, and load images from outside.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# Access to participants' pages is decided by who they are, never by a shared password.
WAGTAIL_PRIVATE_PAGE_OPTIONS = {"SHARED_PASSWORD": False}
WAGTAIL_FRONTEND_LOGIN_URL = "/accounts/login/"
WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS = {"SHARED_PASSWORD": False}
# Documents are always served through Django, so that access checks apply to them.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# Editors see on each document who may download it (learning.materials.documents.document_rule).
WAGTAILDOCS_DOCUMENT_FORM_BASE = "learning.materials.admin.DocumentForm"
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAIL_USER_CUSTOM_FIELDS = []
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Security (all on when DEBUG is off; `manage.py check --deploy` reports no issue) -------------------

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Wagtail's live preview shows the page in a frame of the admin, from the same origin; every other
# origin stays refused, so the warning that asks for DENY is answered here.
X_FRAME_OPTIONS = "SAMEORIGIN"
SILENCED_SYSTEM_CHECKS = ["security.W019"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# The public site and the participant area run no inline script or style and load nothing from elsewhere,
# so a link or markup that slipped into content can run nothing. The Wagtail admin needs inline script and
# styles of its own: it keeps no policy (Wagtail's served documents carry their own `default-src 'none'`).
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        # The admin's live preview shows pages in a frame of the same origin (as X_FRAME_OPTIONS above).
        "frame-ancestors": [SELF],
    },
}
# Browser features the portal never uses are switched off for it and for anything framed in it.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
if TRUSTED_PROXY_COUNT:
    # The proxy terminates TLS and says so in this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging ------------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "django_tasks": {"level": "WARNING"}, "wagtail": {"level": "WARNING"}},
}
