"""The log file: <data dir>/futu-tui.log, rotated, never holding secrets.

What is logged: connection changes, refused requests, internal errors. What never is:
the trade password (only its MD5 ever leaves the unlock screen, and that is not logged).
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from workstation.config import data_dir

FILE_NAME = "futu-tui.log"


def setup_logging(level: int = logging.INFO, directory: Path | None = None) -> Path:
    """Send the root logger to the rotating log file; returns its path."""
    path = (directory or data_dir()) / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.futu_tui = True  # so tests can take it off again
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    return path
