"""Settings: flags beat environment variables beat the config file beat defaults."""

from __future__ import annotations

import json
import math
import os
import sys
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from protocol.sanitize import valid_code

APP = "futu-tui"
DEFAULT_WATCHLIST = (
    "HK.00700", "HK.09988", "HK.03690", "HK.00005", "HK.01810",
    "US.AAPL", "US.TSLA", "US.NVDA", "US.MSFT", "SH.600519", "SZ.000001", "SZ.300750",
)
ENV = {  # field -> environment variable
    "host": "FUTU_TUI_HOST", "port": "FUTU_TUI_PORT", "rsa_key": "FUTU_TUI_RSA_KEY", "seed": "FUTU_TUI_SEED",
    "theme": "FUTU_TUI_THEME", "colors": "FUTU_TUI_COLORS", "sim": "FUTU_TUI_SIM",
}


def config_dir() -> Path:
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP
    if os.name == "nt":
        return Path(os.environ.get("APPDATA", Path.home())) / APP
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / APP


def data_dir() -> Path:
    if sys.platform == "darwin" or os.name == "nt":
        return config_dir()
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / APP


# Bounds of the numeric settings, both inclusive: a value outside is refused, never clamped.
RANGES: dict[str, tuple[float, float]] = {
    "port": (1, 65535),
    "seed": (0, 2**63 - 1),
    "flush_hz": (1, 120),
    "relock_minutes": (0.5, 24 * 60),
    "price_band_pct": (0.1, 100),
    "max_notional": (1, 1e12),
}


CLOCK_ZONES = ("local", "market", "both")
TABLES = ("keys", "explicit")  # not plain settings: checked on their own


class SettingError(ValueError):
    """A setting that cannot be used, naming the setting and where its value came from."""

    def __init__(self, name: str, source: str, problem: str) -> None:
        super().__init__(f"{name} {problem} (from {source})")


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the user alone; tighten it if it exists."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 11111
    rsa_key: str | None = None
    sim: bool = False
    seed: int = 1
    theme: str = "dark"  # dark | light | contrast
    colors: str = "red-up"  # red-up (HK / mainland) | green-up (US)
    flush_hz: float = 20.0  # panels repaint at most this often; a push waits at most 1/flush_hz for the screen
    relock_minutes: float = 15.0  # REAL trading locks again after this long without trading
    price_band_pct: float = 10.0  # a limit price at most this far from the last price
    max_notional: float = 1_000_000.0  # per order, in the security's currency
    allow_short: bool = False
    clock_zones: str = "both"  # the status-bar clock: local time, the focused market's time, or both
    extended_bars: bool = False  # US charts: pre-market and after-hours bars too (key: e)
    exports_dir: str = ""  # where X writes its CSV files; empty: "exports" in the data dir
    config_file: str = ""
    keys: dict[str, str] = field(default_factory=dict)  # [keys]: binding id -> keys (workstation/keymap.py)
    # The settings given by a flag, an environment variable or the file, not by the defaults:
    # those win over what the trader last chose on screen (prefs.json); the others do not.
    explicit: tuple[str, ...] = ()

    def validate(self, sources: dict[str, str] | None = None) -> Config:
        """Every setting of the right type and in range; `sources` names where each came from."""
        for f in fields(self):
            if f.name in TABLES:
                continue
            where = (sources or {}).get(f.name, "the defaults")
            _check(f.name, getattr(self, f.name), where)
        return self


def _kind(name: str) -> str:
    return {f.name: str(f.type) for f in fields(Config)}[name]


def _check(name: str, value, source: str) -> None:
    from themes import CONVENTIONS, PALETTES

    kind = _kind(name)
    if kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, str) or (value is None and "None" in kind)
    if not ok:
        wanted = {"bool": "true or false", "int": "a whole number", "float": "a number"}.get(kind, "text")
        raise SettingError(name, source, f"must be {wanted}, not {value!r:.60}")
    if kind == "float" and not math.isfinite(value):
        raise SettingError(name, source, f"must be a finite number, not {value!r}")
    if name in RANGES:
        lo, hi = RANGES[name]
        if not lo <= value <= hi:
            raise SettingError(name, source, f"must be {lo:g} to {hi:g}, not {value!r:.60}")
    choices = {"theme": PALETTES, "colors": CONVENTIONS, "clock_zones": CLOCK_ZONES}.get(name)
    if choices is not None and value not in choices:
        raise SettingError(name, source, f"must be one of {', '.join(choices)}, not {value!r:.60}")
    if isinstance(value, str) and any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise SettingError(name, source, "must not hold control characters")


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _from_text(name: str, text: str, source: str):
    """An environment variable's text as the setting's type."""
    kind = _kind(name)
    word = text.strip()
    if kind == "bool":
        if word.lower() in _TRUE:
            return True
        if word.lower() in _FALSE:
            return False
        raise SettingError(name, source, f"must be true or false, not {text!r:.60}")
    try:
        if kind == "int":
            return int(word)
        if kind == "float":
            return float(word)
    except ValueError:
        wanted = "a whole number" if kind == "int" else "a number"
        raise SettingError(name, source, f"must be {wanted}, not {text!r:.60}") from None
    return text


def load(flags: dict, env: dict | None = None, path: Path | None = None) -> Config:
    """Merge the four layers. `flags` holds only what the user typed (None = not given).
    Raises SettingError (a ValueError) naming the setting and its source."""
    env = os.environ if env is None else env
    path = Path(flags.get("config") or env.get("FUTU_TUI_CONFIG") or config_dir() / "config.toml") if path is None else path
    values: dict = {}
    sources: dict[str, str] = {}
    if path.is_file():
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not a valid TOML file: {exc}") from None
        known = {f.name for f in fields(Config)} - {"config_file", "explicit"}
        for key, value in data.items():
            key = key.replace("-", "_")
            if key == "keys":
                from workstation.keymap import check_keymap  # knows every binding: imports the app

                values["keys"] = check_keymap(value, f"the config file {path}")
                continue
            if key not in known:
                raise ValueError(f"{path}: unknown setting {key!r:.60}")
            if _kind(key) == "float" and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            values[key], sources[key] = value, f"the config file {path}"
        values["config_file"] = str(path)
    for name, var in ENV.items():
        if env.get(var):
            where = f"the environment variable {var}"
            values[name], sources[name] = _from_text(name, env[var], where), where
    for name, value in flags.items():
        if name != "config" and value is not None:
            values[name], sources[name] = value, f"the flag --{name.replace('_', '-')}"
    for name, value in values.items():
        if name not in TABLES:
            _check(name, value, sources.get(name, "the defaults"))
    return replace(Config(), **values, explicit=tuple(sorted(sources)))


def describe(cfg: Config) -> str:
    return json.dumps(asdict(cfg), indent=2)


class Watchlist:
    """The codes on the watchlist, persisted as JSON in the data dir."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "watchlist.json"

    def load(self) -> list[str]:
        try:
            codes = json.loads(self.path.read_text())
            if isinstance(codes, list):
                return [c for c in codes if valid_code(c)]  # a hand-edited or hostile entry is dropped
        except (OSError, ValueError):
            pass
        return list(DEFAULT_WATCHLIST)

    def save(self, codes: list[str]) -> None:
        private_dir(self.path.parent)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(codes, indent=1))
        tmp.replace(self.path)  # atomic: a crash never leaves half a file
