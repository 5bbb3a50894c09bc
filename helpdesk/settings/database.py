"""PostgreSQL in production (SQLite for `make run`), and the read replica."""

from .base import VAR_DIR, env

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one file: WAL lets readers go on
    # while one writes, IMMEDIATE takes the write lock up front (no upgrade
    # deadlocks), and the busy timeout makes a writer wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A PostgreSQL streaming replica for read-only, lag-tolerant reads (/stats/, the
# dashboard, exports, Open311 GET lists) inside `replica_reads()`; everything else,
# and those reads whenever the replica is unreachable, go to the primary
# (helpdesk/db_router.py). Unset: no replica alias, every query on the primary.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    # Fail fast when it is down (libpq's minimum is 2 s); the breaker then skips it.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=2)
    )
    DATABASES["replica"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # Tests see the replica as the test database itself (no second test database).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["helpdesk.db_router.ReplicaRouter"]
# Seconds the replica's breaker sends reads to the primary after a failure before one read probes it again.
DATABASE_REPLICA_RETRY_SECONDS = env.float("DATABASE_REPLICA_RETRY_SECONDS", default=5.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
