"""`futu-opend-sim`: the simulated OpenD in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from protocol.crypto import CryptoError, RsaCipher
from protocol.gateway.server import is_loopback
from protocol.gateway.sim import Simulator


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="futu-opend-sim",
        description="A simulated Futu OpenD: the OpenD wire protocol over TCP, for futu-tui, the official SDK and scripts.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=11111, help="TCP port (default 11111; 0 picks a free one)")
    p.add_argument("--rsa-key", metavar="FILE", help="PKCS#1 RSA-1024 private key: encrypt like OpenD's rsa_private_key")
    p.add_argument("--seed", type=int, default=1, help="seed of the synthetic market (default 1)")
    p.add_argument("--rate", type=float, default=1.0,
                   help="scale of the market's tick rate, and so of the push rate (default 1; 20 = twenty times busier)")
    p.add_argument("--clock", choices=("always", "real"), default="always",
                   help="always: every market open around the clock (default); real: each market's trading hours "
                        "in its own time zone, lunch breaks and weekends closed")
    p.add_argument("--quota", type=int, default=300,
                   help="subscription quota: code x SubType pairs shared by all connections (default 300)")
    p.add_argument("--trade-password", default="123456", metavar="PASSWORD",
                   help="unlock_trade password of the REAL paper account (default 123456)")
    p.add_argument("--keepalive", type=int, default=10, help="keepalive interval in seconds sent to clients (default 10)")
    p.add_argument("--aes", choices=("auto", "ecb"), default="auto",
                   help="with --rsa-key: AES-CBC when the client asks for it (auto), or always FTAES-ECB")
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
    rsa = None
    if args.rsa_key:
        try:
            rsa = RsaCipher.from_file(args.rsa_key)
        except (OSError, CryptoError) as exc:
            print(f"futu-opend-sim: cannot use RSA key {args.rsa_key}: {exc}", file=sys.stderr)
            return 2
    if rsa is None and not is_loopback(args.host):
        logging.warning("listening on %s without an RSA key: trading protocols are refused", args.host)
    if args.rate <= 0 or args.quota < 0:
        print("futu-opend-sim: --rate must be positive and --quota not negative", file=sys.stderr)
        return 2
    sim = Simulator(args.host, args.port, rsa=rsa, keepalive=args.keepalive, aes_mode=args.aes, seed=args.seed,
                    rate=args.rate, clock=args.clock, quota=args.quota, trade_password=args.trade_password)
    logging.info("market: seed %d, clock %s, rate %g, %d instruments; subscription quota %d",
                 args.seed, args.clock, args.rate, len(sim.market.instruments), args.quota)
    try:
        asyncio.run(serve(sim))
    except OSError as exc:
        print(f"futu-opend-sim: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
