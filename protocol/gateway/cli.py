"""`futu-opend-sim`: the simulated OpenD in the foreground.

Its settings' flags come from `SimSettings` (protocol/gateway/knobs.py); the flags below
are actions of this command, not settings of the simulator.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from protocol.crypto import RsaCipher
from protocol.gateway.knobs import PASSWORD_ENV, SimSettings
from protocol.gateway.server import is_loopback
from protocol.gateway.sim import Simulator


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="futu-opend-sim",
        description="A simulated Futu OpenD: the OpenD wire protocol over TCP, for futu-tui, the official SDK and scripts.",
    )
    SimSettings.add_arguments(p)
    p.add_argument("--gen-rsa-key", metavar="FILE", help="write a new RSA-1024 key to FILE and exit")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    return p


async def serve(sim: Simulator) -> None:
    await sim.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        logging.getLogger("futu_opend_sim").info("stopping")
        await sim.stop()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr,
    )
    if args.gen_rsa_key:
        path = Path(args.gen_rsa_key)
        path.write_bytes(RsaCipher.generate().private_pem())
        path.chmod(0o600)
        print(f"wrote a 1024-bit RSA private key to {path}")
        return 0
    settings = SimSettings.from_args(args)
    if args.trade_password is None and os.environ.get(PASSWORD_ENV):  # the file flag, when given, wins
        settings = settings.replace(trade_password=os.environ[PASSWORD_ENV])
    if settings.rsa is None and not is_loopback(settings.host):
        logging.warning("listening on %s without an RSA key: trading protocols are refused", settings.host)
    sim = Simulator(settings)
    logging.info("market: seed %d, clock %s, rate %g, %d instruments; subscription quota %d",
                 settings.seed, settings.clock, settings.rate, len(sim.market.instruments), settings.quota)
    try:
        asyncio.run(serve(sim))
    except OSError as exc:
        print(f"futu-opend-sim: cannot listen on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
