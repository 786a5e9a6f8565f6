"""Structured logs: one JSON object a line, set up in one place for the app, gunicorn and Celery.

Every line has ``time`` (UTC), ``level``, ``logger`` and ``event``, plus the event's own
fields. Logs name people only by account number and role: never a username, a password,
a scenario's title or notes, or any other free text someone typed, and no IP addresses
(an address can identify a person). ``audit`` is how code records who did what;
saved scenario versions and every other change to a scenario (renames, visibility,
publishing, deletes, co-editors) are recorded by the store's own transactions (see
``watch_scenario_saves``), so no screen can forget to log one.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from datetime import UTC, datetime
from typing import IO, Any

from gunicorn import glogging
from sqlalchemy import event
from sqlalchemy.orm import Session

from geo.workspace.accounts import User
from geo.workspace.store import EventRow, VersionRow

LOGGER_NAME = "dsp"
AUDIT_LOGGER_NAME = "dsp.audit"
# Text allowed in an audit field: short machine words ("drive", "travel_matrix"), never prose.
IDENTIFIER = re.compile(r"^[a-z0-9_.:-]{1,40}$")
_SETUP_LOCK = threading.Lock()
_PENDING_SAVES = "dsp_pending_saves"


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line: time, level, logger, event and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            "pid": record.process,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(*, level: int = logging.INFO, stream: IO[str] | None = None,
                      root: bool = False) -> logging.Logger:
    """Send the app's logs (``dsp.*``) as JSON lines to ``stream`` (standard error by default).

    Safe to call again (each app the factory builds calls it): the handler is replaced,
    never added twice. ``root`` also routes every other library's logs through it (the
    Celery worker uses this so its own lines are JSON too).
    """
    with _SETUP_LOCK:
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler.set_name("dsp-json")
        targets = [logging.getLogger(LOGGER_NAME)] + ([logging.getLogger()] if root else [])
        for target in targets:
            for old in [h for h in target.handlers if h.get_name() == "dsp-json"]:
                target.removeHandler(old)
            target.addHandler(handler)
            target.setLevel(level)
        app_logger = logging.getLogger(LOGGER_NAME)
        app_logger.propagate = not root  # with root set, the root handler writes it once
        watch_scenario_saves()
        return app_logger


def log_event(logger: logging.Logger, event_name: str, level: int = logging.INFO, /, **fields: Any) -> None:
    """Log ``event_name`` with ``fields`` as JSON keys (callers pass ids and numbers, not prose)."""
    logger.log(level, event_name, extra={"fields": fields})


def audit(event_name: str, user: User | None, **fields: int | float | bool | str | None) -> None:
    """Record that ``user`` did ``event_name``: their account number and role, never their name.

    ``fields`` are numbers, flags or short machine words (a travel mode, a job name);
    text with spaces or capitals is refused, because free text may hold personal data.
    """
    for name, value in fields.items():
        if isinstance(value, str) and not IDENTIFIER.match(value):
            raise ValueError(f"audit field {name}: expected a number or a short lower-case word, found "
                             f"text of {len(value)} characters (free text may hold personal data)")
    who = {"user_id": user.user_id if user else None, "role": user.role.label if user else "anonymous"}
    log_event(logging.getLogger(AUDIT_LOGGER_NAME), event_name, **who, **fields)


# ---------------------------------------------------------------------------------------
# Saves, logged when their transaction commits
# ---------------------------------------------------------------------------------------
def watch_scenario_saves() -> None:
    """Log every scenario version the store commits: who (account number), which scenario, which version.

    Listens to SQLAlchemy sessions rather than to screens, so a save from any page, a
    command-line tool or a background job is logged the same way; a save that rolls back
    (a conflict, a crash) is not logged.
    """
    if not event.contains(Session, "after_flush", _note_new_versions):
        event.listen(Session, "after_flush", _note_new_versions)
        event.listen(Session, "after_commit", _log_committed_versions)
        event.listen(Session, "after_soft_rollback", _forget_versions)


def _note_new_versions(session: Session, _flush_context: Any) -> None:
    pending = session.info.setdefault(_PENDING_SAVES, [])
    for row in session.new:
        if isinstance(row, VersionRow):
            pending.append(("scenario_version_saved",
                            {"user_id": row.author_id, "scenario_id": row.scenario_id, "version": row.version}))
        elif isinstance(row, EventRow):  # its detail (a title, a name) stays in the store, out of the log
            pending.append((f"scenario_{row.kind}", {"user_id": row.user_id, "scenario_id": row.scenario_id}))


def _log_committed_versions(session: Session) -> None:
    logger = logging.getLogger(AUDIT_LOGGER_NAME)
    for event_name, fields in session.info.pop(_PENDING_SAVES, []):
        log_event(logger, event_name, **fields)


def _forget_versions(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(_PENDING_SAVES, None)


# ---------------------------------------------------------------------------------------
# Gunicorn
# ---------------------------------------------------------------------------------------
class GunicornLogger(glogging.Logger):
    """Gunicorn's error and access logs as JSON lines (``logger_class`` in gunicorn.conf.py).

    The access line has the method, the path without its query string, the status, the
    bytes sent and the time taken (and, like every line, the worker's process id); not
    the client's address, user agent or referrer.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        status = str(getattr(resp, "status", "")).split(" ", 1)[0]
        self.access_log.info("request", extra={"fields": {
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": _int_or_none(status),
            "bytes": _int_or_none(getattr(resp, "sent", None)),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
        }})


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
