"""`futu-opend-sim`: the simulated OpenD in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from protocol.crypto import CryptoError, RsaCipher
from protocol.gateway.server import Gateway, is_loopback


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="futu-opend-sim",
        description="A simulated Futu OpenD: the OpenD wire protocol over TCP, for futu-tui, the official SDK and scripts.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=11111, help="TCP port (default 11111; 0 picks a free one)")
    p.add_argument("--rsa-key", metavar="FILE", help="PKCS#1 RSA-1024 private key: encrypt like OpenD's rsa_private_key")
    p.add_argument("--seed", type=int, default=1, help="seed of the synthetic market (default 1)")
    p.add_argument("--keepalive", type=int, default=10, help="keepalive interval in seconds sent to clients (default 10)")
    p.add_argument("--aes", choices=("auto", "ecb"), default="auto",
                   help="with --rsa-key: AES-CBC when the client asks for it (auto), or always FTAES-ECB")
    p.add_argument("--gen-rsa-key", metavar="FILE", help="write a new RSA-1024 key to FILE and exit")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    return p


async def serve(gateway: Gateway) -> None:
    await gateway.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        logging.getLogger("futu_opend_sim").info("stopping")
        await gateway.stop()


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
    gateway = Gateway(args.host, args.port, rsa=rsa, keepalive_interval=args.keepalive, aes_mode=args.aes)
    try:
        asyncio.run(serve(gateway))
    except OSError as exc:
        print(f"futu-opend-sim: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
