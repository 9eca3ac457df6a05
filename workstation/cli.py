"""`futu-tui`: connect to OpenD (or the built-in simulator with --sim).

Until the Textual workstation lands, this connects for real, prints what it found and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from protocol import ids
from protocol.client import OpenDClient, OpenDError
from protocol.crypto import CryptoError, RsaCipher
from protocol.gateway.server import Gateway
from protocol.proto import GetGlobalState_pb2

MARKET_STATE_NAMES = {0: "NONE", 1: "AUCTION", 2: "WAITING_OPEN", 3: "MORNING", 4: "REST", 5: "AFTERNOON", 6: "CLOSED"}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="futu-tui", description="Terminal trading workstation for Futu / moomoo OpenD.")
    p.add_argument("--host", default="127.0.0.1", help="OpenD host (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=11111, help="OpenD port (default 11111)")
    p.add_argument("--rsa-key", metavar="FILE", help="RSA private key shared with OpenD (turns on encryption)")
    p.add_argument("--sim", action="store_true", help="start the simulated OpenD in-process and connect to it")
    p.add_argument("--seed", type=int, default=1, help="seed of the simulated market (with --sim)")
    return p


async def run(args: argparse.Namespace, rsa: RsaCipher | None) -> int:
    gateway = None
    host, port = args.host, args.port
    if args.sim:
        gateway = Gateway("127.0.0.1", 0, rsa=rsa)
        await gateway.start()
        host, port = "127.0.0.1", gateway.port
    client = OpenDClient(host, port, rsa=rsa)
    try:
        info = await client.connect()
        state = await client.request(ids.GET_GLOBAL_STATE, GetGlobalState_pb2.C2S(userID=info.login_user_id))
    except OpenDError as exc:
        print(f"futu-tui: {exc}", file=sys.stderr)
        return 1
    finally:
        await client.close()
        if gateway is not None:
            await gateway.stop()
    where = "simulated OpenD" if args.sim else "OpenD"
    print(f"connected to {where} at {host}:{port}: conn {info.conn_id}, server version {info.server_ver}, "
          f"keepalive {info.keepalive_interval} s, encryption {info.encryption}")
    markets = ", ".join(
        f"{m} {MARKET_STATE_NAMES.get(getattr(state, 'market' + m), getattr(state, 'market' + m))}"
        for m in ("HK", "US", "SH", "SZ")
    )
    print(f"quote server logged in: {state.qotLogined}, trade server logged in: {state.trdLogined}; {markets}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    rsa = None
    if args.rsa_key:
        try:
            rsa = RsaCipher.from_file(args.rsa_key)
        except (OSError, CryptoError) as exc:
            print(f"futu-tui: cannot use RSA key {args.rsa_key}: {exc}", file=sys.stderr)
            return 2
    return asyncio.run(run(args, rsa))


if __name__ == "__main__":
    sys.exit(main())
