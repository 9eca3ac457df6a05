"""The log file: <data dir>/futu-tui.log, rotated, private to the user, never holding secrets.

What is logged: connection changes, refused requests, internal errors. What never is:
the trade password (only its MD5 ever leaves the unlock screen, and that is not logged).
The data dir is 0700 and the log 0600: it names accounts and orders.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from protocol.sanitize import escape_controls
from workstation.config import data_dir, private_dir

FILE_NAME = "futu-tui.log"


def open_private(path: Path, mode: str = "a", encoding: str | None = "utf-8"):
    """Open a file that only the user can read, whatever the umask; an existing file is tightened."""
    flags = os.O_CREAT | (os.O_APPEND | os.O_WRONLY if "a" in mode else os.O_WRONLY | os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)
    return open(fd, mode, encoding=encoding)


class EscapingFormatter(logging.Formatter):
    """A message's control characters (wire text, newlines that could forge a line) are shown
    as escapes; a traceback still follows on its own lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message, 2000)
        return super().formatMessage(record)


class PrivateRotatingFile(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file, the rotated ones included, is 0600."""

    def _open(self):
        return open_private(Path(self.baseFilename), self.mode, self.encoding)


def setup_logging(level: int = logging.INFO, directory: Path | None = None) -> Path:
    """Send the root logger to the rotating log file; returns its path."""
    path = private_dir(directory or data_dir()) / FILE_NAME
    handler = PrivateRotatingFile(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(EscapingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.futu_tui = True  # so tests can take it off again
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    return path
