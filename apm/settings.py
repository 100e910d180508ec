"""APM settings: one file, read from the environment (django-environ).

With no environment set, everything runs embedded on a laptop: SQLite under
``var/``, a Celery broker on the file system under ``var/broker``, email
written as files under ``var/mail`` and media under ``var/media``.
``DATABASE_URL``, ``REDIS_URL`` and ``EMAIL_URL`` switch to PostgreSQL, Redis
and SMTP. A bad value raises ``ImproperlyConfigured`` at start-up.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("APM_VAR_DIR", default=str(BASE_DIR / "var"))).resolve()
# The embedded defaults keep the database, broker, mail and media here.
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-the-embedded-defaults"  # noqa: S105


def _started_as_celery_worker(argv: list[str]) -> bool:
    """Whether this process is ``celery ... worker`` (the console script or ``python -m celery``)."""
    program = argv[0] if argv else ""
    is_celery = Path(program).name == "celery" or program.endswith(("celery/__main__.py", "celery/__main__"))
    return is_celery and "worker" in argv[1:]


# Celery workers run with DEBUG off whatever DEBUG says (in `make run` the web has it on). With DEBUG
# on, Django keeps the SQL of every query a connection runs (up to 9,000 per connection, never reset
# outside a request), and templates carry their debug information: a slow memory creep in a process
# that renders reports for days. A worker is recognised from its command line; APM_WORKER=true
# says so for one started another way (bench/_timed_worker.py), APM_WORKER=false keeps DEBUG as set.
# SECRET_KEY above follows DEBUG from the environment, so the web and the workers of one checkout
# share one key (a worker signs the links in the emails it sends).
APM_WORKER = env.bool("APM_WORKER", default=_started_as_celery_worker(sys.argv))
if APM_WORKER:
    DEBUG = False
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "apm.admin_site.ApmAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    # Before import_export: apm's `import` command (validating resources only) replaces import_export's.
    "apm",
    "import_export",
    "axes",
    "csp",
    "simple_history",
    "apm.accounts",
    "apm.outbox",
    "apm.outbound",
    "apm.health",
    # The REST API (/api/v1/): Django REST framework, drf-spectacular's OpenAPI 3 schema and its Swagger UI
    # served from our static files (the sidecar; no CDN), personal access tokens (apm.api).
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "apm.api",
    "teams",
    "projects",
    "reports",
    "projects.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files answer here, before any other middleware runs (WhiteNoise's documented place).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Records who made each change in the history of deliverables, reviews, change requests and RAID items.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "apm.urls"
WSGI_APPLICATION = "apm.wsgi.application"

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
                "csp.context_processors.nonce",
                # ``can``: what the navigation offers, from the access policy.
                "apm.access.context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'apm.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file: WAL lets readers run beside
    # the writer, IMMEDIATE transactions and a busy timeout make writers queue
    # instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # A worker survives a PostgreSQL restart: stale connections are tested
    # before use and replaced.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database host that drops packets fails a connection in seconds, not
    # after the kernel's TCP timeout (minutes): pages, tasks and /health/ answer.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes checks every login for a lockout before the model backend runs.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "apm.accounts.backends.ApmModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "projects:list"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False

# --- Static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Receipts and other private uploads: outside MEDIA_ROOT, never given a URL;
# served only through views that check apm.access.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # `manage.py collectstatic` writes every file under a name carrying its content's hash, with gzip and
    # brotli copies, and a manifest; WhiteNoise serves them compressed and cacheable for a year. Templates
    # name files through the manifest ({% static %}), so a missing file fails the page (and the tests).
    # With DEBUG on, {% static %} gives plain names and WhiteNoise serves them from the source folders.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Email ----------------------------------------------------------------
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="APM Reports <reports@apm.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Domain used on the right of every Message-ID the outbox mints.
APM_MESSAGE_ID_DOMAIN = env.str("APM_MESSAGE_ID_DOMAIN", default="apm.localhost")
# The port `make run` serves on (the Procfile's web process); links in emails follow it unless
# APM_SITE_URL says where the site is.
APM_PORT = env.int("APM_PORT", default=8000)
APM_SITE_URL = env.str("APM_SITE_URL", default=f"http://127.0.0.1:{APM_PORT}")

# --- Celery ---------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# A web request that publishes a task waits on Redis at most about this long: to connect, then for each
# answer. A Redis that accepts connections and never answers held "send now" for 10 s on the old
# 10-second timeout (five such clicks stop five gunicorn workers). Workers and beat wait longer
# (APM_REDIS_WORKER_TRANSPORT_OPTIONS below).
APM_BROKER_TIMEOUT_SECONDS = env.float("APM_BROKER_TIMEOUT_SECONDS", default=1.0)
APM_REDIS_TRANSPORT_OPTIONS = {
    # Unacknowledged tasks come back after this many seconds (a lost
    # worker must not lose a report); longer than the hard time limit.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "socket_connect_timeout": APM_BROKER_TIMEOUT_SECONDS,
    "socket_timeout": APM_BROKER_TIMEOUT_SECONDS,
    # Publishing connects once, never again in the request (kombu's default is ~4 s of retries): when the
    # broker is down or silent the row stays queued and the sweepers publish it again.
    "max_retries": 0,
    "interval_start": 0,
    # A worker takes from its queues in name order (BRPOP's keys): "celery" (emails, small reports,
    # the dispatcher) before "reports-bulk" (the parts of large reports), so a department's report
    # of thousands of projects never holds up an email.
    "queue_order_strategy": "sorted",
}
# A worker and beat are no web request: a Redis slow for a second must not restart a worker's consumer or
# lose one of beat's publishes. apm/celery.py gives them these when they start (celeryd_init, beat_init).
APM_REDIS_WORKER_TRANSPORT_OPTIONS = {
    **APM_REDIS_TRANSPORT_OPTIONS,
    "socket_connect_timeout": 5,
    "socket_timeout": 10,
    "max_retries": 1,
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = APM_REDIS_TRANSPORT_OPTIONS
else:
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    # kombu's filesystem transport, each message written whole before a worker can see it (apm/filesystem_broker.py).
    CELERY_BROKER_TRANSPORT = "apm.filesystem_broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The folder is looked at this often. Every message waits for the next look, its part's task or one
        # whose part another worker already took (a no-op): kombu's default, 1 s, adds up to a second to every
        # hand-over of a report laid out in parts, 0.05 s still a twentieth per message. A listing of a small
        # folder costs microseconds: 100 looks a second are well under 1 % of a core.
        "polling_interval": 0.01,
    }
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A new pool child warms the report renderer up before it reports ready (reports/tasks.py: print.css, fonts);
# on a cold font cache or a busy machine that can pass Celery's default 4 s, and the child would be killed.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = 30
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
# A safety net, not a limit on a report: a prefork child whose resident memory has passed this many
# MB (its peak, ru_maxrss: billiard's measure without psutil) finishes its task and is then replaced
# by a fresh one (Celery's worker_max_memory_per_child, in KiB), so memory a large render left behind
# is given back to the machine. 600 MB is well above one render of the largest real department
# (MOD, 32 pages: about 200-240 MB) and of 500 projects (about 335 MB, bench/report_scale.py);
# 0 turns it off. The solo pool ignores it.
APM_WORKER_MAX_MEMORY_MB = env.int("APM_WORKER_MAX_MEMORY_MB", default=600)
if APM_WORKER_MAX_MEMORY_MB < 0:
    raise ImproperlyConfigured("APM_WORKER_MAX_MEMORY_MB must be 0 (off) or more.")
CELERY_WORKER_MAX_MEMORY_PER_CHILD = APM_WORKER_MAX_MEMORY_MB * 1024 or None
# Tasks after which the worker process collects its garbage (apm/celery.py): a report render leaves
# its layout's many small objects behind, and collecting them between tasks rather than in the middle
# of the next one keeps the collector's pauses out of the next render. A new render task (a chunk, an
# assembly) belongs here too (tests/apm/test_celery.py fails until it is).
APM_GC_COLLECT_AFTER_TASKS = frozenset(
    {"reports.tasks.render_report", "reports.tasks.render_report_chunk", "reports.tasks.assemble_report"}
)
# A sectioned report (the portfolio report) with more projects than this is laid out in parts (chunks) that
# the workers share, each part cached, and the parts merged (reports/services/chunking.py): same pages,
# bounded memory, and a weekly report lays out again only the parts whose data changed.
APM_REPORT_CHUNK_ABOVE = env.int("APM_REPORT_CHUNK_ABOVE", default=40)
# The chunk cache (reports/chunk_cache.py, in the database) is pruned to this many MB, least recently used first.
APM_REPORT_CHUNK_CACHE_MB = env.int("APM_REPORT_CHUNK_CACHE_MB", default=512)
# A report of more pages than this is merged from its parts in a process of its own (apm/pdf_merge.py): the
# merge holds every object of the document (about 200 MB for 5,000 projects), and a process that ends gives
# it all back; a smaller one is merged in the worker (a new process costs a fifth of a second).
APM_REPORT_MERGE_APART_PAGES = env.int("APM_REPORT_MERGE_APART_PAGES", default=200)
# Queues: the default one, and a lower-priority one for the parts of large reports.
# Every worker consumes both (no -Q needed); with Redis it takes from "celery" first.
CELERY_TASK_DEFAULT_QUEUE = "celery"
APM_BULK_QUEUE = "reports-bulk"
# Each queue with its own exchange and routing key: bound alike, a message for one would reach both.
CELERY_TASK_QUEUES = (
    Queue("celery", Exchange("celery"), routing_key="celery"),
    Queue(APM_BULK_QUEUE, Exchange(APM_BULK_QUEUE), routing_key=APM_BULK_QUEUE),
)
# The assembly (one per report, short, and the report's emails wait on it) stays on the default queue.
CELERY_TASK_ROUTES = {"reports.tasks.render_report_chunk": {"queue": APM_BULK_QUEUE}}
# Tasks published per report laid out in parts (the render task lays out one more itself): as many parts at
# once, each task going on with the next queued part when done, for at most APM_REPORT_PART_SECONDS.
APM_REPORT_PARALLEL_PARTS = env.int("APM_REPORT_PARALLEL_PARTS", default=8)
APM_REPORT_PART_SECONDS = env.int("APM_REPORT_PART_SECONDS", default=15)
# A report is cut into at least this many parts, as far as its sections (each a page or more) allow: smaller
# parts for a smaller report. With few parts, the last one is laid out alone while the other workers wait
# (seven parts on two workers: four on one, three on the other); a larger report's parts stay near a fifth
# of a second of layout each (reports/sections.py CHUNK_WEIGHT), where a part's fixed costs stay small.
APM_REPORT_MIN_PARTS = env.int("APM_REPORT_MIN_PARTS", default=16)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Periodic tasks live in code (reports/tasks.py registers them on the beat
# schedule below); never clicked together in an admin.
# The intervals (seconds) are settings so that the fault tests can run them short.
APM_DISPATCH_SECONDS = env.float("APM_DISPATCH_SECONDS", default=60.0)
APM_SWEEP_SECONDS = env.float("APM_SWEEP_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-reports": {"task": "reports.tasks.dispatch_due_reports", "schedule": APM_DISPATCH_SECONDS},
    "sweep-stuck-reports": {"task": "reports.tasks.sweep_stuck_reports", "schedule": APM_SWEEP_SECONDS},
    "sweep-outbox": {"task": "apm.outbox.tasks.sweep_outbox", "schedule": APM_SWEEP_SECONDS},
}
# Outbound HTTP requests (Slack and Teams webhooks) a lost message or a dead worker left behind (apm/outbound).
CELERY_BEAT_SCHEDULE["sweep-outbound"] = {"task": "apm.outbound.tasks.sweep_outbound", "schedule": APM_SWEEP_SECONDS}
# Critical issues not acknowledged in time escalate once (projects/tasks.py).
CELERY_BEAT_SCHEDULE["escalate-critical-issues"] = {
    "task": "projects.tasks.escalate_critical_issues",
    "schedule": 300.0,
}
# Overdue replies and documents expiring within 30 days are reminded to the PM, once each
# (projects/documents/reminders.py); hourly, so a reminder goes out the morning it falls due.
CELERY_BEAT_SCHEDULE["send-document-reminders"] = {
    "task": "projects.tasks.send_document_reminders",
    "schedule": 3600.0,
}
# Timesheets not submitted and weeks waiting for approval are reminded once per person and week
# (projects/budget/services/reminders.py); hourly, so they go out the Monday morning after the week.
CELERY_BEAT_SCHEDULE["send-timesheet-reminders"] = {
    "task": "projects.tasks.send_timesheet_reminders",
    "schedule": 3600.0,
}
# Projects whose kept figures wait for a day that has come (time, an expense or a percent complete dated then), or
# that have none, get them written (projects/budget/figures.py); until then their pages add the sums up.
CELERY_BEAT_SCHEDULE["refresh-project-figures"] = {
    "task": "projects.tasks.refresh_project_figures",
    "schedule": 3600.0,
}
# Repeating tasks that fell due get their next occurrence, repeating obligations whose deadline passed their next
# deadline, each once (projects/planning/recurring.py, projects/documents/recurring.py); hourly, so what falls due at
# midnight repeats in the first hour and what failed is tried again the next.
CELERY_BEAT_SCHEDULE["repeat-due-work"] = {"task": "projects.tasks.repeat_due_work", "schedule": 3600.0}
# Daily digests of notifications, each person's once a day (a DigestRun claims it), from 07:00 local time
# (projects/notifications/digest.py); hourly, so a digest goes out in the first hour after seven and a missed
# run is made up the next hour.
CELERY_BEAT_SCHEDULE["send-notification-digests"] = {
    "task": "projects.tasks.send_notification_digests",
    "schedule": 3600.0,
}
# Tasks due tomorrow and overdue tell their assignees, each once (the key names the task, and the day for "due
# tomorrow"; projects/notifications/producers.py); hourly, so work that falls due at midnight is told that hour.
CELERY_BEAT_SCHEDULE["notify-work-due"] = {"task": "projects.tasks.notify_work_due", "schedule": 3600.0}
# Import jobs a lost message or a dead worker left behind are published again (projects/importers/jobs.py).
CELERY_BEAT_SCHEDULE["sweep-import-jobs"] = {"task": "projects.tasks.sweep_import_jobs", "schedule": APM_SWEEP_SECONDS}
# Files uploaded on the Import page: at most this many bytes.
APM_IMPORT_MAX_BYTES = env.int("APM_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# Document register and correspondence uploads: at most this many bytes (content checked by type).
APM_DOCUMENT_MAX_BYTES = env.int("APM_DOCUMENT_MAX_BYTES", default=20 * 1024 * 1024)
# The letterhead of letters written in APM (templates/letters/letter.html); the address one line per "|".
APM_COMPANY_NAME = env.str("APM_COMPANY_NAME", default="APM Account Services Ltd")
APM_COMPANY_ADDRESS = [
    line.strip()
    for line in env.str("APM_COMPANY_ADDRESS", default="1 Example Street|London EC1A 1AA|United Kingdom").split("|")
    if line.strip()
]
# The seller on invoices and credit notes (projects/billing/invoices.py), with the letterhead's address above;
# each issued invoice keeps a copy, so a change here never rewrites one. The bank details one line per "|".
APM_COMPANY_LEGAL_NAME = env.str("APM_COMPANY_LEGAL_NAME", default="") or APM_COMPANY_NAME
APM_COMPANY_TAX_ID = env.str("APM_COMPANY_TAX_ID", default="").strip()
APM_COMPANY_BANK_DETAILS = [
    line.strip() for line in env.str("APM_COMPANY_BANK_DETAILS", default="").split("|") if line.strip()
]
# The tax (VAT) rate, in %, a new invoice line starts with (each line's rate may be changed while a draft).
try:
    APM_INVOICE_TAX_RATE = Decimal(env.str("APM_INVOICE_TAX_RATE", default="20").strip())
except InvalidOperation:
    raise ImproperlyConfigured("APM_INVOICE_TAX_RATE must be a number of percent, e.g. 20 or 7.5.") from None
if not (APM_INVOICE_TAX_RATE.is_finite() and 0 <= APM_INVOICE_TAX_RATE <= 100):
    raise ImproperlyConfigured("APM_INVOICE_TAX_RATE must be a percentage from 0 to 100.")
# Project managers draft, issue and credit the invoices of their projects' clients too (apm.access
# manage_invoices); off, only administrators and department heads do.
APM_INVOICES_BY_PM = env.bool("APM_INVOICES_BY_PM", default=False)
# A deliverable's percent complete follows its tasks: done estimate / total estimate (projects.planning.services);
# off, the team sets it by hand.
APM_DELIVERABLE_PROGRESS_FROM_TASKS = env.bool("APM_DELIVERABLE_PROGRESS_FROM_TASKS", default=False)
# Hours a reporting head has to acknowledge a critical issue before it escalates
# (a project may set its own in RaidSettings).
APM_CRITICAL_ACK_HOURS = env.int("APM_CRITICAL_ACK_HOURS", default=4)
# Review evidence uploads: at most this many bytes (content checked by type).
APM_EVIDENCE_MAX_BYTES = env.int("APM_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
# Work left in "rendering" or "sending" longer than this is taken as lost.
APM_STUCK_AFTER_SECONDS = env.int("APM_STUCK_AFTER_SECONDS", default=600)
# Queued work not picked up in this time is published again by the sweeper.
APM_REQUEUE_AFTER_SECONDS = env.int("APM_REQUEUE_AFTER_SECONDS", default=120)
APM_MAX_TRIES = env.int("APM_MAX_TRIES", default=8)
# Failed sends and renders wait this long before try 2, then twice as long each time (capped at an hour).
APM_RETRY_BASE_SECONDS = env.float("APM_RETRY_BASE_SECONDS", default=30.0)
if APM_RETRY_BASE_SECONDS <= 0:
    raise ImproperlyConfigured("APM_RETRY_BASE_SECONDS must be more than 0.")
# Outbound HTTP delivery (apm/outbound: Slack and Teams webhooks). A receiver gets this long to accept the
# connection and this long for each read and for its whole body, which is read up to the cap; a request body
# over its cap is never sent. Plain http only to hosts an administrator allowed (AllowedHost, in the admin)
# unless APM_OUTBOUND_ALLOW_HTTP is on, for development only (the address rules hold either way).
APM_OUTBOUND_CONNECT_TIMEOUT_SECONDS = env.float("APM_OUTBOUND_CONNECT_TIMEOUT_SECONDS", default=5.0)
APM_OUTBOUND_READ_TIMEOUT_SECONDS = env.float("APM_OUTBOUND_READ_TIMEOUT_SECONDS", default=5.0)
APM_OUTBOUND_MAX_RESPONSE_BYTES = env.int("APM_OUTBOUND_MAX_RESPONSE_BYTES", default=64 * 1024)
APM_OUTBOUND_MAX_REQUEST_BYTES = env.int("APM_OUTBOUND_MAX_REQUEST_BYTES", default=256 * 1024)
APM_OUTBOUND_ALLOW_HTTP = env.bool("APM_OUTBOUND_ALLOW_HTTP", default=False)
if not (0 < APM_OUTBOUND_CONNECT_TIMEOUT_SECONDS <= 60 and 0 < APM_OUTBOUND_READ_TIMEOUT_SECONDS <= 60):
    raise ImproperlyConfigured("APM_OUTBOUND_CONNECT_TIMEOUT_SECONDS and _READ_TIMEOUT_SECONDS must be 0 to 60 s.")
if APM_OUTBOUND_MAX_RESPONSE_BYTES <= 0 or APM_OUTBOUND_MAX_REQUEST_BYTES <= 0:
    raise ImproperlyConfigured("APM_OUTBOUND_MAX_RESPONSE_BYTES and APM_OUTBOUND_MAX_REQUEST_BYTES must be positive.")

# --- Real data ------------------------------------------------------------
APM_REAL_DATA_DIR = Path(env.str("APM_REAL_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data" / "real")))

# --- Forms ----------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Django's login() already gives the session a new key (no session fixation);
# tests/apm/accounts/test_security.py holds it to that.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The number of reverse proxies in front of the app that append to
# X-Forwarded-For (nginx, a load balancer). 0, the default in every mode: the
# client is REMOTE_ADDR and X-Forwarded-For is ignored, so a forged header
# changes nothing (a login carrying the header then logs one warning per process:
# behind a proxy everyone would share its address). N: the client is the N-th
# address from the right, so addresses a client put in the header itself are
# never believed (apm.accounts.ip.client_ip; login throttling and the audit log).
APM_TRUSTED_PROXY_COUNT = env.int("APM_TRUSTED_PROXY_COUNT", default=0)
if APM_TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("APM_TRUSTED_PROXY_COUNT must be 0 or more.")
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe the nodes over plain HTTP: the health answers carry nothing secret.
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# Content-Security-Policy (django-csp 4): scripts only from our own static
# files or carrying the per-request nonce ({{ CSP_NONCE }}); never inline
# event handlers. Styles only from our static files too: no style attribute
# or <style> element on a page (tests/test_html.py), htmx's indicator style
# lives in apm.css (base.html turns htmx's own off). The print HTML that a
# schedule preview shows takes its styles from print.css alike.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "camera": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}

# --- The REST API ----------------------------------------------------------
from apm.api.problem import PROBLEM_SCHEMA  # noqa: E402

# One cache for the API's per-token rate limit: Redis when REDIS_URL is set (shared by every web process),
# else each process's memory (the embedded default runs one web process). A Redis that does not answer holds a
# request a second at most, and the limit then lets it through (apm.api.throttling): no request waits on it.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "apm",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
#: Requests a token (or a browser session) may make to /api/ per minute before a 429 with Retry-After.
APM_API_RATE_PER_MINUTE = env.int("APM_API_RATE_PER_MINUTE", default=600)
#: The longest life a personal access token may be given, and the life a new one is offered.
APM_API_TOKEN_MAX_DAYS = env.int("APM_API_TOKEN_MAX_DAYS", default=365)
APM_API_TOKEN_DEFAULT_DAYS = env.int("APM_API_TOKEN_DEFAULT_DAYS", default=90)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apm.api.authentication.TokenAuthentication",
        "apm.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apm.api.permissions.SignedIn"],
    "DEFAULT_THROTTLE_CLASSES": ["apm.api.throttling.PerToken"],
    "DEFAULT_PAGINATION_CLASS": "apm.api.pagination.Pages",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "apm.api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "apm.api.errors.problem_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "APM API",
    "DESCRIPTION": (
        "The account project manager's desk as JSON. Authenticate with a personal access token "
        "(`Authorization: Bearer apm_…`, made at /api/tokens/) or the browser's session. Every endpoint answers "
        "exactly what the same person sees in the browser; errors are RFC 9457 problem details."
    ),
    "VERSION": "1",
    # Tags and operation ids from the path after it: "projects", "projects_list".
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["apm.api.permissions.SignedIn"],
    "SERVE_AUTHENTICATION": [
        "apm.api.authentication.TokenAuthentication",
        "apm.api.authentication.SessionAuthentication",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every error's body (apm.api.schema).
    "APPEND_COMPONENTS": {"schemas": {"Problem": PROBLEM_SCHEMA}},
}

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins from
# one client address, or for one username, further logins are refused for
# AXES_COOLOFF_MINUTES. The address comes from apm.accounts.ip.client_ip, so a
# forged X-Forwarded-For cannot reset the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "apm.accounts.ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Invitations: how long a set-password link works.
APM_INVITATION_HOURS = env.int("APM_INVITATION_HOURS", default=72)
# Share links: the longest a PM may make one last.
APM_SHARE_LINK_MAX_DAYS = env.int("APM_SHARE_LINK_MAX_DAYS", default=90)
# Internal reports (costs, margins) go only to people who may see the money, or to addresses in these
# domains (comma-separated, e.g. "bank.example,agency.example"): the company's own, where people
# without an APM login read them. Empty: APM users only.
APM_INTERNAL_EMAIL_DOMAINS = [
    domain.strip().lower().lstrip("@")
    for domain in env.list("APM_INTERNAL_EMAIL_DOMAINS", default=[])
    if domain.strip()
]

# Logs go to stderr, one line per record. APM_LOG_FORMAT=json (production) writes JSON lines with
# python-json-logger; text (the default) is readable. Either way report_id, schedule_id,
# delivery_id and email_id are fields of the record (apm/logs.py), appended as key=value in text.
APM_LOG_FORMAT = env.str("APM_LOG_FORMAT", default="text")
if APM_LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("APM_LOG_FORMAT must be 'text' or 'json'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {
            "()": "apm.logs.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(processName)s %(name)s %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(levelname)s %(name)s %(processName)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger", "processName": "process"},
            "timestamp": "time",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": APM_LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs every layout step at INFO: one line per page per render.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # django-axes logs every login and reset at INFO; lockouts are WARNING.
        "axes": {"level": "WARNING"},
    },
}
# Celery workers and beat keep this configuration instead of replacing the root handler with
# their own format, so worker lines are JSON too in production.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
