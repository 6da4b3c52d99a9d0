"""Settings for the ITSM portal: one module, driven by environment variables (see README and .env.example).

Production mode (ITSM_PRODUCTION=1) fails fast on missing secrets and turns on every `check --deploy` hardening.
There is no SQLite path: without DATABASE_URL the portal refuses to start; `make run` / `make test` start an
embedded PostgreSQL and Valkey and set the variables for you.
"""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PRODUCTION = env.bool("ITSM_PRODUCTION", default=False)
DEBUG = env.bool("DEBUG", default=False)

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789abcdef")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if not env.str("DATABASE_URL", default=""):
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL is not set: point it at the PostgreSQL server.")
    # Development: `manage.py` beside a running `make run` uses its embedded servers (recorded in .data/devstack.json);
    # otherwise a local PostgreSQL. There is no SQLite path.
    import json

    _devstack = BASE_DIR / ".data" / "devstack.json"
    _state = json.loads(_devstack.read_text()) if _devstack.exists() else {}
    env.ENVIRON["DATABASE_URL"] = _state.get("database_url", "postgres://postgres@127.0.0.1:5432/itsm")
    if _state.get("redis_url") and not env.str("REDIS_URL", default=""):
        env.ENVIRON["REDIS_URL"] = _state["redis_url"]
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"].setdefault("OPTIONS", {})
# pgtrigger's "should this trigger be ignored" check reads this setting inside an EXCEPTION block when it is unset,
# which opens a subtransaction per written row (~0.3 ms); defining it empty makes audited writes ~6x cheaper.
DATABASES["default"]["OPTIONS"].setdefault("options", "-c pgtrigger.ignore={}")
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_itsm")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
# A PostgreSQL that is down or frozen costs a request seconds, not minutes (core/db/base.py, core/outage.py). The
# server enforces statement, lock and idle-transaction limits; the client bounds connecting, and in web requests a
# watchdog bounds each database call (a frozen server enforces nothing and the kernel keeps its socket open).
DATABASES["default"]["ENGINE"] = "core.db"  # Django's PostgreSQL backend with that watchdog
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # a persistent connection that died is replaced, not reused
DB_WEB_QUERY_TIMEOUT = env.float("DB_WEB_QUERY_TIMEOUT", default=3.0)
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=2))
DATABASES["default"]["OPTIONS"]["options"] += "".join(
    f" -c {name}={env.int(variable, default=default)}ms" for name, variable, default in (
        ("statement_timeout", "DB_STATEMENT_TIMEOUT_MS", 60000),
        ("lock_timeout", "DB_LOCK_TIMEOUT_MS", 3000),
        ("idle_in_transaction_session_timeout", "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", 60000),
    )
)
# TCP keepalives find a peer that vanished (host down, network cut) on idle connections; libpq ignores them on Unix
# sockets.
DATABASES["default"]["OPTIONS"].update(keepalives=1, keepalives_idle=30, keepalives_interval=5, keepalives_count=3)

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",  # allauth's security-key list uses it
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "pgtrigger",
    "pghistory",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "core",
    "records",
    "identity",
    "servicedesk",
    "incidents",
    "problems",
    "sla",
    "cmdb",
    "apitokens",
    "administration",
    "known_errors",
    "knowledge",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "core.middleware.RefuseControlCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.UserLanguageMiddleware",
    "core.request_body.RequestBodyLimitMiddleware",  # translated refusals; runs before any process_view (CSRF) reads
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "identity.middleware.MfaRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "itsm.urls"
WSGI_APPLICATION = "itsm.wsgi.application"
AUTH_USER_MODEL = "core.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.roles",
                "records.context_processors.menu",
            ],
        },
    },
    {
        # Plain-text mail (subjects and bodies): not HTML, so nothing is HTML-escaped ("Tom's printer", not
        # "Tom&#x27;s printer"). Pages that show a stored notification escape it when they render it.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Repeated failed logins: locked per username+IP for a cool-off period (django-axes).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Login, MFA and single sign-on (django-allauth). Username and password as before; TOTP, security keys (WebAuthn) and
# recovery codes as a second factor, required per role (identity.MfaRequiredRole); OpenID Connect and SAML 2.0 apps
# are SocialApp rows an administrator adds, their IdP groups mapped to roles by identity.IdpGroupRole.
ACCOUNT_ADAPTER = "identity.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "identity.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = True  # as before allauth: the session cookie outlives the browser
ACCOUNT_LOGOUT_REDIRECT_URL = LOGOUT_REDIRECT_URL
ACCOUNT_FORMS = {"login": "identity.forms.LoginForm"}
# Failed passwords and codes are counted by django-axes alone (one lock-out per username and address); allauth's own
# per-address login limits would lock out a whole office behind one NAT address before axes' rule applies.
ACCOUNT_RATE_LIMITS = {"login": None, "login_failed": None}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_FORMS = {
    "authenticate": "identity.forms.MfaAuthenticateForm",
    "reauthenticate": "identity.forms.MfaReauthenticateForm",
    "add_webauthn": "identity.forms.AddWebAuthnForm",
}
# allauth refuses factors to people with an unverified e-mail (against sign-up squatting); here nobody signs up, and
# addresses come from administrators or the IdP, which often does not send `email_verified`.
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="ITSM portal")
MFA_TOTP_TOLERANCE = 1  # a code from the previous or next 30 s: phone clocks drift
# WebAuthn needs HTTPS, except on localhost; set this only for a development server reached by another name.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=False)
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # an IdP's e-mail claim never takes over an existing local account
SOCIALACCOUNT_LOGIN_ON_GET = False  # the login page posts to the provider (CSRF-protected)
SOCIALACCOUNT_STORE_TOKENS = False
# Users an IdP creates belong to the organisation its claim names (by code or name), else to this one (a code).
SSO_ORGANISATION_CLAIM = env.str("SSO_ORGANISATION_CLAIM", default="organisation")
SSO_GROUPS_CLAIM = env.str("SSO_GROUPS_CLAIM", default="groups")
SSO_DEFAULT_ORGANISATION = env.str("SSO_DEFAULT_ORGANISATION", default="")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".data" / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / ".data" / "media")))
MEDIA_URL = "/media/"  # never served directly: attachments go through a permission-checked view

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache fails open (core.cache): with Redis/Valkey away or hung, throttles and rate limits let requests through
# and nothing waits more than a socket timeout (then a few seconds of not asking at all).
CACHES = {
    "default": {
        "BACKEND": "core.cache.FailOpenRedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=0.25),
                    "socket_connect_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=0.25)},
    }
}

# Mail. EMAIL_URL like smtp://user:pass@host:25 (smtp+tls:// for STARTTLS); by default mail is written to files.
EMAIL_URL = env.str("EMAIL_URL", default="filemail://.data/mail")
EMAIL_CONFIG = env.email_url_config(EMAIL_URL)
vars().update(EMAIL_CONFIG)
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend":
    # django-environ drops the leading "/" of filemail:///abs/path; the folder is whatever follows "filemail://",
    # a relative one under the checkout.
    EMAIL_FILE_PATH = str(BASE_DIR / EMAIL_URL.split("://", 1)[1])
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="servicedesk@itsm.example.com")
EMAIL_TIMEOUT = 10
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
# From this many notices to one person at once (an SLA burst), they are mailed as one digest (core.notify).
NOTIFICATION_DIGEST_FROM = env.int("NOTIFICATION_DIGEST_FROM", default=5)

# Attachments
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_REFUSED_EXTENSIONS = env.list(
    "ATTACHMENT_REFUSED_EXTENSIONS",
    default=[".exe", ".bat", ".cmd", ".com", ".msi", ".scr", ".js", ".vbs", ".ps1", ".sh", ".html", ".htm", ".svg",
             ".jar", ".dll", ".php"],
)
# Request bodies are refused from their Content-Length before they are read (core.request_body): JSON and form
# bodies over REQUEST_BODY_MAX_BYTES, multipart bodies over UPLOAD_REQUEST_MAX_BYTES (each file: ATTACHMENT_MAX_BYTES).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("REQUEST_BODY_MAX_BYTES", default=5 * 1024 * 1024)
UPLOAD_REQUEST_MAX_BYTES = env.int("UPLOAD_REQUEST_MAX_BYTES", default=50 * 1024 * 1024)
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=20)
# Uploads over 2.5 MB wait in a temporary file without a name, which vanishes even if the worker is killed.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler",
                        "core.uploads.UnlinkedTemporaryFileUploadHandler"]
# Creations (incidents: API, portal, desk) per user and per API token, "count/second|minute|hour|day"; "" turns it off.
CREATE_RATE_LIMIT = env.str("CREATE_RATE_LIMIT", default="30/minute")

# Incidents
INCIDENT_AUTO_CLOSE_DAYS = env.float("INCIDENT_AUTO_CLOSE_DAYS", default=7)
INCIDENT_REOPEN_WINDOW_DAYS = env.float("INCIDENT_REOPEN_WINDOW_DAYS", default=14)

# CMDB
CMDB_END_USERS_SEE_ORGANISATION_CIS = env.bool("CMDB_END_USERS_SEE_ORGANISATION_CIS", default=True)
CMDB_STALE_AFTER_DAYS = env.int("CMDB_STALE_AFTER_DAYS", default=30)
CMDB_IMPACT_MAX_DEPTH = env.int("CMDB_IMPACT_MAX_DEPTH", default=10)
CMDB_IMPORT_MAX_BYTES = env.int("CMDB_IMPORT_MAX_BYTES", default=100 * 1024 * 1024)
CMDB_IMPORT_SYNC_MAX_BYTES = env.int("CMDB_IMPORT_SYNC_MAX_BYTES", default=256 * 1024)  # larger files run in Celery

# Celery: at-least-once delivery; every task is idempotent. Deadlines live in PostgreSQL, never as long ETAs.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="itsm")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers and beat outlive a broker outage of any length: they keep reconnecting (core.broker patches the kombu bug
# that made a worker exit when Valkey went away while it held an unacked task).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "max_retries": 2,
}
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# Practice apps add their periodic tasks from their ready() (records.registry.register_beat).
AUTO_CLOSE_INTERVAL_SECONDS = env.float("AUTO_CLOSE_INTERVAL_SECONDS", default=300.0)
CELERY_BEAT_SCHEDULE = {
    # SLA warnings, breaches and escalations (sla.escalation). A tick not started within one interval is dropped:
    # the next one does the same work, so a stopped worker does not come back to a pile of scans.
    "sla-scan": {
        "task": "sla.tasks.scan_clocks",
        "schedule": env.float("SLA_SCAN_INTERVAL_SECONDS", default=15.0),
        "options": {"expires": env.float("SLA_SCAN_INTERVAL_SECONDS", default=15.0)},
    },
    # The SLA dashboard's daily roll-up folds in the clocks' latest outcomes (sla.outcomes).
    "sla-fold-outcomes": {
        "task": "sla.tasks.fold_outcome_changes",
        "schedule": env.float("SLA_FOLD_INTERVAL_SECONDS", default=60.0),
        "options": {"expires": env.float("SLA_FOLD_INTERVAL_SECONDS", default=60.0)},
    },
    # Idempotency keys of creates (core.idempotency) are forgotten after IDEMPOTENCY_KEY_HOURS.
    "forget-expired-idempotency-keys": {
        "task": "core.tasks.forget_expired_idempotency_keys",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}
# How long a create's Idempotency-Key (API) or form token (pages) is remembered: a retry within it makes no new record.
IDEMPOTENCY_KEY_HOURS = env.float("IDEMPOTENCY_KEY_HOURS", default=24.0)

# The outbox (core.outbox): side effects of committed changes. Beat sweeps what the after-commit nudge could not
# hand to a worker (broker away); an effect whose handler failed is tried again after a growing pause.
OUTBOX_SWEEP_SECONDS = env.float("OUTBOX_SWEEP_SECONDS", default=10.0)
CELERY_BEAT_SCHEDULE["outbox-relay"] = {
    "task": "core.tasks.relay_outbox",
    "schedule": OUTBOX_SWEEP_SECONDS,
    "options": {"expires": OUTBOX_SWEEP_SECONDS},
}
OUTBOX_KEEP_DAYS = env.float("OUTBOX_KEEP_DAYS", default=7.0)  # carried-out messages are forgotten after this
CELERY_BEAT_SCHEDULE["outbox-prune"] = {"task": "core.tasks.prune_outbox", "schedule": 3600.0,
                                        "options": {"expires": 3600.0}}

# SLA notifications still unsent this long after they were queued (a lost task, SMTP down) are queued again.
SLA_NOTICE_RESEND_SECONDS = env.float("SLA_NOTICE_RESEND_SECONDS", default=120.0)
# The averages the SLA dashboard holds the period's figures against (001 §6.2: response under 4 h, resolution under
# 24 h), in business hours.
SLA_AVERAGE_RESPONSE_GOAL_HOURS = env.float("SLA_AVERAGE_RESPONSE_GOAL_HOURS", default=4.0)
SLA_AVERAGE_RESOLUTION_GOAL_HOURS = env.float("SLA_AVERAGE_RESOLUTION_GOAL_HOURS", default=24.0)

# Personal API tokens (apitokens): lifetime in days when none is chosen, and the longest allowed.
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apitokens.authentication.ApiTokenAuthentication",  # personal scoped tokens (itsm_…)
        "rest_framework.authentication.TokenAuthentication",  # legacy DRF tokens: full scope
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "apitokens.authentication.TokenScopePermission",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env.str("API_RATE", default="100000/hour")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ITSM portal API",
    "DESCRIPTION": (
        "Incidents, service desk and the other ITIL practices. Authenticate with a personal token "
        "(`Authorization: Bearer itsm_…`, made on the preferences page or at /api/v1/tokens/); older "
        "`Authorization: Token <key>` tokens act with every scope."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "GET_LIB_DOC_EXCLUDES": "core.api.schema.doc_excludes",
    # Every operation's error answers and Django's time format, documented (core/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums", "core.api.schema.document_error_responses",
    ],  # tags and operation ids by resource ("incidents"), not "v1"
    # One schema component per choice set, named after it (otherwise names collide: "channel" has two sets).
    "ENUM_NAME_OVERRIDES": {
        "IncidentStateEnum": "incidents.choices.State",
        "IncidentActionEnum": "incidents.choices.Action",
        "IncidentChannelEnum": "incidents.choices.Channel",
        "IncidentApiChannelEnum": "incidents.api.serializers.API_CHANNELS",
        "ImpactEnum": "incidents.choices.Impact",
        "UrgencyEnum": "incidents.choices.Urgency",
        "PriorityEnum": "incidents.choices.Priority",
        "ResolutionCodeEnum": "incidents.choices.ResolutionCode",
        "AgreementKindEnum": "sla.choices.AgreementKind",
        "CalendarExceptionKindEnum": "sla.choices.ExceptionKind",
        "ClockStateEnum": "sla.choices.ClockState",
        "ClockStatusEnum": "sla.choices.ClockStatus",
        "EscalationActionEnum": "sla.choices.EscalationAction",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Content-Security-Policy on every page (django-csp). Scripts only from the portal's own files (or an inline one
# carrying the request's nonce: `nonce="{{ request.csp_nonce }}"`); no inline event handlers, no eval. <style>
# elements likewise; style *attributes* stay allowed because templates set computed colours and heights with them,
# and an attribute cannot read the page the way an injected stylesheet can. The API docs relax styles only
# (itsm/urls.py API_DOCS_POLICY); attachment downloads send their own `sandbox` policy (incidents/views.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "style-src-elem": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],  # Bootstrap draws its icons as data: SVGs in CSS
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# Browser features no page of the portal uses, refused for it and for anything it could be made to embed.
PERMISSIONS_POLICY = env.str(
    "PERMISSIONS_POLICY",
    default="accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), "
    "usb=()",
)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production mode.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production mode.")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"  # single sign-on callback URLs given to identity providers
