"""Structured JSON log lines, one per record, from every process."""
import json
import logging
import os
import threading
from datetime import datetime, timezone

# The request a worker serves (X-Request-ID), per green thread once eventlet patches
# threading; set by minyi_common.nameko.RequestContext, read by every log line.
current = threading.local()


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or getattr(current, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        line.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class ExpectedErrorsQuietly(logging.Filter):
    """nameko logs a worker's expected exception (our 404s and 409s: answers, not
    faults) as a warning with its traceback, so real trouble was buried among them. In a
    service it is one info line without the traceback (what was refused, with the
    request id); in the gateway, whose access line already says the request ended 4xx,
    a debug line."""

    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("(expected)"):
            if not logging.getLogger().isEnabledFor(self.level):
                return False
            record.levelno, record.levelname = self.level, logging.getLevelName(self.level)
            record.exc_info, record.exc_text = None, None
        return True


def configure(service: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("MINYI_LOG_LEVEL", "INFO").upper())
    for noisy in ("amqp", "kombu", "nameko", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("nameko.containers").addFilter(ExpectedErrorsQuietly(
        logging.DEBUG if service == "gateway" else logging.INFO))
