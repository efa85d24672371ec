"""Settings read from the environment.

Defaults give the embedded set-up (SQLite, no broker, development secret); production sets
DATABASE_URL, SECRET_KEY, ALLOWED_HOSTS and turns DEBUG off. See docs/deployment.md.
"""

import importlib.util
import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("LACHAN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
import sys  # noqa: E402

TESTING = env_bool("LACHAN_TESTING", False) or "pytest" in sys.modules
_TEST_SECRET = "tests-only-secret-key-never-used-outside-the-test-suite-0123456789"


def local_secret_key(path: Path) -> str:
    """The signing key of a development or demo set-up: random, made once and kept in var/ (mode 600). A
    constant one would let anyone sign a venue QR, a quarantine link or a result slip for a reachable demo."""
    import secrets

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if len(key) >= 50:
            return key
        raise ImproperlyConfigured(f"{path} holds no usable key: delete it to make a new one.") from None
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


from django.core.exceptions import ImproperlyConfigured  # noqa: E402

if os.environ.get("SECRET_KEY"):
    SECRET_KEY = os.environ["SECRET_KEY"]
elif TESTING:
    SECRET_KEY = _TEST_SECRET
elif DEBUG or env_bool("LACHAN_ALLOW_DEV_SECRET", False):
    SECRET_KEY = local_secret_key(VAR_DIR / "secret_key")
else:
    raise ImproperlyConfigured("Set SECRET_KEY in the environment (or DEBUG=1 for development).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
CSRF_FAILURE_VIEW = "lachan.web.errors.csrf_failure"

# The deployment's province and administrative tree ("2021": province/district/commune,
# "2025": province/commune). Codes are the official ones.
LACHAN_ADMIN_TREE = os.environ.get("LACHAN_ADMIN_TREE", "2021")
LACHAN_PROVINCE_CODE = os.environ.get("LACHAN_PROVINCE_CODE", "82")
# The map's base tiles, e.g. a tile server inside the government network ("https://tiles.example.gov.vn/{z}/{x}/{y}.png").
# Empty (the default): no base layer is loaded; the map shows unit boundaries or points over a plain background.
LACHAN_MAP_TILE_URL = os.environ.get("LACHAN_MAP_TILE_URL", "")
LACHAN_MAP_TILE_ATTRIBUTION = os.environ.get("LACHAN_MAP_TILE_ATTRIBUTION", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "lachan.core",
    "lachan.notifications",
    "lachan.geo",
    "lachan.accounts",
    "lachan.people",
    "lachan.enterprises",
    "lachan.venues",
    "lachan.cases",
    "lachan.tracing",
    "lachan.labs",
    "lachan.quarantine",
    "lachan.risk",
    "lachan.checkpoints",
    "lachan.workflows",  # no models: its receivers.py connects cross-domain follow-ups to the domains' signals
    "lachan.situation",  # no models: read models over every domain (the map, the operations centre)
    "lachan.web",
    "lachan.simulate",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lachan.core.middleware.ContentSecurityPolicyMiddleware",
    "lachan.core.middleware.InputCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "lachan.web.errors.DebugNotFoundMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "lachan.accounts.middleware.OTPRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lachan.core.middleware.RequestContextMiddleware",
    "lachan.accounts.middleware.DenialAuditMiddleware",  # inside the request context: it records the address
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lachan.urls"
WSGI_APPLICATION = "lachan.wsgi.application"
ASGI_APPLICATION = "lachan.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "lachan.web.context_processors.navigation",
            ],
        },
    }
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
# The address citizens reach the platform at, for links sent by SMS (e.g. a quarantined person's daily
# check-in page) from places with no request at hand (background tasks).
PUBLIC_URL = os.environ.get("LACHAN_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'lachan.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Kept open like PostgreSQL's: closing the last connection to a WAL database checkpoints it, which
    # cost more than the whole request when every request opened and closed its own.
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the worker write while pages read; IMMEDIATE avoids upgrade deadlocks.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=10000; PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Short queries that users wait on: PostgreSQL's JIT compiles a plan it costs high (e.g. an EXISTS over every
    # case) in ~350 ms, for a query that runs in 50 ms (docs/benchmarks.md, the dashboard's feed).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2id for new and changed passwords; a PBKDF2 hash (every one written before 2026-12) is still checked, and
# re-hashed with Argon2id at its owner's next log-in (docs/adr/0005-password-hashing.md).
PASSWORD_HASHERS = [
    "lachan.accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Log-in lock-out: 5 failures for one user name from one address lock it for 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_LOCKOUT_CALLABLE = "lachan.accounts.lockout.lockout_response"  # JSON on /api/, the page elsewhere
AXES_VERBOSE = False
AXES_USERNAME_FORM_FIELD = "username"
OTP_TOTP_ISSUER = "Lá Chắn"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "lachan" / "locale"]
FORMAT_MODULE_PATH = ["lachan.formats"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Leaflet and Leaflet.draw come from the django-leaflet package (PyPI); only its static folder is used (the app
# itself needs GeoDjango's GDAL, which the platform does not).
STATICFILES_DIRS = [
    Path(importlib.util.find_spec("leaflet").origin).parent / "static",
    # vis-network (Apache-2.0 / MIT), the transmission chain's graph, as shipped in the pyvis package (PyPI, BSD):
    # served as static/vendor/vis-network/ (pyvis itself is never imported).
    ("vendor/vis-network", Path(importlib.util.find_spec("pyvis").origin).parent / "lib" / "vis-9.1.2"),
]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and not TESTING
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
if WHITENOISE_USE_FINDERS:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and not TESTING and not env_bool("LACHAN_EMBEDDED", False))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"


def content_security_policy(tile_url: str) -> str:
    """Scripts, styles, fetches and fonts from this site only; images also from the map's tile server. Inline
    scripts and on*= handlers are refused (behaviour lives in static files, web/app.js); inline styles are
    allowed (the charts' SVG carry their own <style>), harmless while nothing can be loaded from elsewhere."""
    import re

    scheme, _sep, rest = tile_url.partition("://")
    # "https://{s}.tile.example.vn/{z}/{x}/{y}.png" -> "https://*.tile.example.vn"
    tile_origin = f"{scheme}://{re.sub(r'{[a-z]+}', '*', rest.split('/', 1)[0])}" if rest else ""
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob:{' ' + tile_origin if tile_origin else ''}",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ])


# LACHAN_CSP replaces the whole policy (docs/deployment.md); empty turns the header off.
LACHAN_CSP = os.environ.get("LACHAN_CSP", content_security_policy(LACHAN_MAP_TILE_URL))

# Background work: django-tasks with the database backend, so the embedded default needs no broker.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "notifications"],
    }
}

# Notifications: channels are plugins; "log" only writes to the log (development).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "la-chan@localhost")
LACHAN_NOTIFICATION_CHANNELS = {
    "email": os.environ.get("LACHAN_EMAIL_CHANNEL", "lachan.notifications.channels.log.LogChannel"),
    "sms": os.environ.get("LACHAN_SMS_CHANNEL", "lachan.notifications.channels.log.LogChannel"),
}
LACHAN_SMS_GATEWAY_URL = os.environ.get("LACHAN_SMS_GATEWAY_URL", "")
LACHAN_SMS_GATEWAY_TOKEN = os.environ.get("LACHAN_SMS_GATEWAY_TOKEN", "")
LACHAN_SMS_SENDER = os.environ.get("LACHAN_SMS_SENDER", "LACHAN")
# The number an exposure notice tells people to call (the province's hotline; 115 is the national emergency line).
LACHAN_HEALTH_HOTLINE = os.environ.get("LACHAN_HEALTH_HOTLINE", "115")

# Limits of costly input (docs/deployment.md, "Limits of uploaded files"): checked before the costly part.
LACHAN_IMPORT_MAX_CELLS = int(os.environ.get("LACHAN_IMPORT_MAX_CELLS", "2000000"))
LACHAN_IMPORT_MAX_CELL_CHARS = int(os.environ.get("LACHAN_IMPORT_MAX_CELL_CHARS", "32767"))
LACHAN_IMPORT_MAX_UNPACKED_MB = int(os.environ.get("LACHAN_IMPORT_MAX_UNPACKED_MB", "300"))
LACHAN_GEOJSON_MAX_DEPTH = int(os.environ.get("LACHAN_GEOJSON_MAX_DEPTH", "20"))
LACHAN_GEOMETRY_MAX_VERTICES = int(os.environ.get("LACHAN_GEOMETRY_MAX_VERTICES", "20000"))
LACHAN_BOUNDARY_MAX_VERTICES = int(os.environ.get("LACHAN_BOUNDARY_MAX_VERTICES", "200000"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = 50

# Django's cache holds the rate limits of what anyone can do without logging in (core.ratelimit: the check-in form,
# registration, the result look-up, log-in) and a few figures kept for minutes. The counters must be shared by
# every web process: the default is the database cache (table lachan_cache, made by `migrate`; atomic increments,
# core.cache). CACHE=locmem keeps each process's own (one process only: tests of a single process, a laptop);
# CACHE=redis://host:6379/0 uses Redis (the `redis` package must be installed). docs/deployment.md.
CACHE = os.environ.get("CACHE", "db").strip()
if CACHE == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif CACHE.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE}}
else:
    CACHES = {"default": {"BACKEND": "lachan.core.cache.AtomicDatabaseCache", "LOCATION": "lachan_cache",
                          # expired rows are deleted by the job core.cache_prune, not culled on writes
                          "OPTIONS": {"MAX_ENTRIES": 10_000_000}}}

# The reverse proxies in front of the platform (addresses or networks, comma-separated), whose X-Forwarded-For
# header is believed for the client's address (core.middleware.client_ip). Empty: the header is ignored.
LACHAN_TRUSTED_PROXIES = env_list("LACHAN_TRUSTED_PROXIES", "")
try:
    import ipaddress as _ipaddress

    [_ipaddress.ip_network(_proxy, strict=False) for _proxy in LACHAN_TRUSTED_PROXIES]
except ValueError as _exc:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"LACHAN_TRUSTED_PROXIES: {_exc}") from None
AXES_CLIENT_IP_CALLABLE = "lachan.core.middleware.client_ip"
