"""Celery: the broker, the worker's limits, and failing fast when the broker is away."""

from .base import LOCAL_DIRS, TIME_ZONE, VAR_DIR, env

# --- Celery ---------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    LOCAL_DIRS += [_broker_dir / _sub for _sub in ("out", "processed", "control")]
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
# The worker and beat log through LOGGING (scrubbed, requests_app/logscrub.py), not handlers of their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=100)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A broker outage must never block a request: publishing gives up quickly (short
# connect and read timeouts, one immediate retry for a stale pooled connection),
# the "broker" breaker skips it for a while after a failure (helpdesk/breaker.py),
# and the outbox and the sweeps catch up later. The worker and beat reconnect
# for as long as it takes.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=0.5)
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A connection lost mid-task: cancel the acks_late tasks (all idempotent) and let them be
# redelivered, as Celery 6 will by default (and without its warning at every reconnect).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
        "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=1.0),
        "retry_on_timeout": False,
    }
# Seconds a breaker skips Redis after a failure before one call probes it again.
REDIS_BREAKER_SECONDS = env.float("REDIS_BREAKER_SECONDS", default=5.0)
