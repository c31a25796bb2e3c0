"""Structured logging for the whole engine (structlog over the standard library)."""

from __future__ import annotations

import logging
import sys

import structlog

from rapport.core.pii import redact_log_event

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is when a line is logged: a redirected or replaced
    stream (a test runner's, a daemon's) is honoured, a closed earlier one never used."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "info") -> None:
    """Logs go to stderr so `--json` output on stdout stays machine-readable. Tracebacks
    are plain text: rich ones print local variables (request data, keys) and take seconds."""
    if sys.stderr.isatty():
        renderer: list[structlog.typing.Processor] = [
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            )
        ]
    else:  # the traceback becomes a field of the JSON line
        renderer = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            redact_log_event,  # no emails, phones, cards, IBANs or addresses in logs
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
