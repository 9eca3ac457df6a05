"""Keeping the trade password's traces short-lived: no core dump may hold process memory
while REAL trading is unlocked. (The password itself never leaves the unlock screen: only
its MD5 is kept, and the field is emptied at once; Python may still hold the freed string
until its memory is reused, which is why a core dump must not be written meanwhile.)"""

from __future__ import annotations

import logging

try:
    import resource
except ImportError:  # not on Windows: nothing to switch
    resource = None  # type: ignore[assignment]

log = logging.getLogger(__name__)
_saved: tuple[int, int] | None = None


def core_dumps_off() -> None:
    """No core file from now on (until `core_dumps_restored`)."""
    global _saved
    if resource is None or _saved is not None:
        return
    try:
        _saved = resource.getrlimit(resource.RLIMIT_CORE)
        resource.setrlimit(resource.RLIMIT_CORE, (0, _saved[1]))
    except (OSError, ValueError) as exc:
        log.warning("could not switch core dumps off: %s", exc)


def core_dumps_restored() -> None:
    global _saved
    if resource is None or _saved is None:
        return
    try:
        resource.setrlimit(resource.RLIMIT_CORE, _saved)
    except (OSError, ValueError) as exc:
        log.warning("could not restore the core dump limit: %s", exc)
    _saved = None


def core_limit() -> int | None:
    """The soft core-file limit now (None where there is none to read)."""
    return None if resource is None else resource.getrlimit(resource.RLIMIT_CORE)[0]
