"""Logging setup: JSON lines off a terminal, readable lines on one, secrets always redacted."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from pydantic import BaseModel, SecretStr

from core.settings import LoggingSettings, Settings

REDACTED = "********"
# Attributes every LogRecord has; anything else was passed in `extra=` and is context.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_HANDLER_NAME = "spt"


class _Redactor:
    """Replaces every known secret value in formatted output."""

    def __init__(self) -> None:
        self.secrets: tuple[str, ...] = ()

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


_redactor = _Redactor()


def _context(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, then context from `extra=`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(_context(record))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return _redactor(json.dumps(entry, default=str, ensure_ascii=False))


class TextFormatter(logging.Formatter):
    """`HH:MM:SS level logger: msg key=value ...` for people at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        extra = " ".join(f"{k}={v}" for k, v in _context(record).items())
        line = f"{when} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if extra:
            line += f"  {extra}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return _redactor(line)


def secret_values(settings: Settings) -> list[str]:
    """Every secret the settings hold, longest first so overlapping ones redact fully."""
    found: list[str] = []

    def walk(node: BaseModel) -> None:
        for name in type(node).model_fields:
            value = getattr(node, name)
            # A list of secrets (alerts.apprise_urls) holds one per item.
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, SecretStr) and item.get_secret_value():
                    found.append(item.get_secret_value())
            if isinstance(value, BaseModel):
                walk(value)

    walk(settings)
    return sorted(set(found), key=len, reverse=True)


def set_secrets(secrets: Iterable[str]) -> None:
    """Redact these values from every log line from now on."""
    _redactor.secrets = tuple(s for s in secrets if s)


def setup_logging(config: LoggingSettings, stream: TextIO | None = None) -> logging.Handler:
    """Install spt's single root handler (replacing an earlier one) at the configured level."""
    target = stream if stream is not None else sys.stderr
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(target)
    handler.set_name(_HANDLER_NAME)
    use_json = config.format == "json" or (config.format == "auto" and not _isatty(target))
    handler.setFormatter(JsonFormatter() if use_json else TextFormatter())
    root.addHandler(handler)
    apply_level(config)
    # Libraries that chat at INFO about their own plumbing.
    for noisy in ("pgserver", "asyncio", "watchfiles"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler


def apply_level(config: LoggingSettings) -> None:
    """Set the root level; used at start-up and on hot reload."""
    logging.getLogger().setLevel(config.level)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
