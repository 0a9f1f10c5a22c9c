"""How the server's log lines look: text for a person at a terminal, or one JSON object per line
for a log collector (``ONEWINDOW_LOG_FORMAT=json``, python-json-logger).

Personal data never reach a log by rule (docs/security.md): no route, service or feed logs an ID
number, a phone or a name. As a last guard, whatever a library or a future change lets through is
masked on its way out: an 18-character ID number keeps its last four, a mobile number its last
four (the same masking the staff pages use)."""

from __future__ import annotations

import logging
import re
from typing import Any

from pythonjsonlogger.json import JsonFormatter

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# a GB 11643 number (17 digits and a digit or X) or a mainland mobile number, not inside a longer run of digits
ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def mask(text: str) -> str:
    text = ID_NUMBER.sub(lambda found: "*" * 14 + found.group()[-4:], text)
    return MOBILE.sub(lambda found: found.group()[:3] + "****" + found.group()[-4:], text)


class MaskPersonalData(logging.Filter):
    """Rewrites a record's message (its arguments already merged) with ID numbers and phones masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)  # uvicorn's copy with terminal colours: noise in a collector
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        # time, level, logger and message under stable names; anything passed as extra= follows
        return JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                             rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                             json_ensure_ascii=False)
    return logging.Formatter(TEXT_FORMAT)


def configure(level: str, kind: str = "text") -> None:
    """The root logger's one handler, for the server and every library logging through it (uvicorn
    too: ``onewindow serve`` hands it no logging config of its own)."""
    if kind not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {kind!r}")
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(kind))
    handler.addFilter(MaskPersonalData())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


def uvicorn_config(level: str) -> dict[str, Any]:
    """uvicorn's loggers pass their lines on to the root handler above instead of printing their own."""
    return {"version": 1, "disable_existing_loggers": False,
            "loggers": {name: {"handlers": [], "propagate": True, "level": level.upper()}
                        for name in ("uvicorn", "uvicorn.error", "uvicorn.access")}}
