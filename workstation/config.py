"""Settings: flags beat environment variables beat the config file beat defaults."""

from __future__ import annotations

import json
import os
import sys
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

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
    config_file: str = ""

    def validate(self) -> Config:
        from themes import CONVENTIONS, PALETTES

        if self.theme not in PALETTES:
            raise ValueError(f"theme must be one of {', '.join(PALETTES)}, not {self.theme!r}")
        if self.colors not in CONVENTIONS:
            raise ValueError(f"colors must be one of {', '.join(CONVENTIONS)}, not {self.colors!r}")
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be 1-65535, not {self.port}")
        if self.relock_minutes <= 0 or self.price_band_pct <= 0 or self.max_notional <= 0:
            raise ValueError("relock_minutes, price_band_pct and max_notional must be more than 0")
        return self


def _coerce(name: str, value):
    kind = {f.name: f.type for f in fields(Config)}[name]
    if "bool" in kind and isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    if "int" in kind and not isinstance(value, bool):
        return int(value)
    if "float" in kind:
        return float(value)
    return value


def load(flags: dict, env: dict | None = None, path: Path | None = None) -> Config:
    """Merge the four layers. `flags` holds only what the user typed (None = not given)."""
    env = os.environ if env is None else env
    path = Path(flags.get("config") or env.get("FUTU_TUI_CONFIG") or config_dir() / "config.toml") if path is None else path
    values: dict = {}
    if path.is_file():
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        known = {f.name for f in fields(Config)}
        for key, value in data.items():
            key = key.replace("-", "_")
            if key not in known:
                raise ValueError(f"{path}: unknown setting {key!r}")
            values[key] = _coerce(key, value)
        values["config_file"] = str(path)
    for name, var in ENV.items():
        if env.get(var):
            values[name] = _coerce(name, env[var])
    for name, value in flags.items():
        if name != "config" and value is not None:
            values[name] = value
    return replace(Config(), **values).validate()


def describe(cfg: Config) -> str:
    return json.dumps(asdict(cfg), indent=2)


class Watchlist:
    """The codes on the watchlist, persisted as JSON in the data dir."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "watchlist.json"

    def load(self) -> list[str]:
        try:
            codes = json.loads(self.path.read_text())
            if isinstance(codes, list) and all(isinstance(c, str) for c in codes):
                return codes
        except (OSError, ValueError):
            pass
        return list(DEFAULT_WATCHLIST)

    def save(self, codes: list[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(codes, indent=1))
        tmp.replace(self.path)  # atomic: a crash never leaves half a file
