"""`futu-tui`: the workstation. Flags beat environment variables beat the config file beat defaults."""

from __future__ import annotations

import argparse
import sys

from protocol.client import OpenDClient
from protocol.crypto import CryptoError, RsaCipher
from workstation import config as cfg, exports


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="futu-tui",
        description="Terminal trading workstation for Futu / moomoo OpenD.",
        epilog=("Settings come from flags, then environment variables (FUTU_TUI_HOST, FUTU_TUI_PORT, "
                "FUTU_TUI_RSA_KEY, FUTU_TUI_SEED, FUTU_TUI_THEME, FUTU_TUI_COLORS, FUTU_TUI_SIM, FUTU_TUI_CONFIG), "
                f"then the TOML config file (default {cfg.config_dir() / 'config.toml'}), then defaults. "
                "Its [keys] table remaps keys by binding id (\"app.theme\" = \"T\"). Theme and colours chosen "
                f"on screen are remembered in {cfg.data_dir() / 'prefs.json'} and used unless set above."),
    )
    p.add_argument("--host", help="OpenD host (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="OpenD port (default 11111)")
    p.add_argument("--rsa-key", metavar="FILE", help="RSA private key shared with OpenD (turns on encryption)")
    p.add_argument("--sim", action="store_const", const=True, help="start the simulated OpenD in-process and use it")
    p.add_argument("--seed", type=int, help="seed of the simulated market (default 1)")
    p.add_argument("--theme", help="dark, light or contrast (default dark)")
    p.add_argument("--colors", help="red-up (HK / mainland, default) or green-up (US)")
    p.add_argument("--config", metavar="FILE", help="config file to read")
    p.add_argument("--print-config", action="store_true", help="print the merged settings and exit")
    exports.add_parser(p.add_subparsers(dest="command", metavar="{export}", help="export: orders, fills or positions to CSV"))
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    flags = {k: getattr(args, k) for k in ("host", "port", "rsa_key", "sim", "seed", "theme", "colors", "config")}
    try:
        config = cfg.load(flags)
    except (ValueError, OSError) as exc:
        print(f"futu-tui: bad settings: {exc}", file=sys.stderr)
        return 2
    if args.print_config:
        print(cfg.describe(config))
        return 0
    rsa = None
    if config.rsa_key and not config.sim:
        try:
            rsa = RsaCipher.from_file(config.rsa_key)
        except (OSError, CryptoError) as exc:
            print(f"futu-tui: cannot use RSA key {config.rsa_key}: {exc}", file=sys.stderr)
            return 2

    from protocol.gateway.sim import SimThread
    from workstation.app import FutuTui
    from workstation.logs import setup_logging
    from workstation.prefs import Prefs

    setup_logging()

    sim = SimThread(seed=config.seed)
    host, port = config.host, config.port
    if config.sim:
        host, port = "127.0.0.1", sim.start()

    def client_factory() -> OpenDClient:
        return OpenDClient(host, port, rsa=rsa)

    if args.command == "export":
        try:
            return exports.run(args, config, client_factory)
        finally:
            sim.stop()
    app = FutuTui(config, client_factory, start_sim=sim.start, prefs=Prefs.default())
    try:
        app.run()
    finally:
        sim.stop()
    return app.return_code or 0  # a crash (logged with its traceback) is a failure


if __name__ == "__main__":
    sys.exit(main())
