"""Decode the same 100k push frames with our codec and with the official SDK's path.

    python -m tests.bench.codec [--frames N] [--synthetic]

The frames are recorded from the simulated OpenD (quote, 10-level book and ticker pushes
for 50 codes; 30k distinct pushes, cycled to N), or built synthetically with --synthetic.

Both sides get the stream in 128 KiB reads, as the SDK's socket loop does. Ours: FrameDecoder
(header, SHA-1, AES) + Response.ParseFromString. The SDK's: its own receive loop body
(bytearray buffer, `parse_rsp` = unpack + decrypt + SHA-1 + parse, then `del buf[:n]`).
"""

from __future__ import annotations

import argparse
import time

from protocol import ids
from protocol.crypto import AesCbcCipher
from protocol.frame import BodyCrypto, FrameDecoder
from tests.bench.frames import cycle, push_bodies, record_pushes, wire_stream

KEY, IV = "0123456789abcdef", "fedcba9876543210"
CHUNK = 128 * 1024


def chunks(data: bytes) -> list[bytes]:
    return [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]


def ours(stream: list[bytes], encrypted: bool) -> int:
    crypto = BodyCrypto(aes=AesCbcCipher(KEY.encode(), IV.encode()) if encrypted else None)
    dec = FrameDecoder(crypto)
    classes = {pid: ids.module_for(pid).Response for pid in ids.NAMES}
    n = 0
    for chunk in stream:
        dec.feed(chunk)
        for frame in dec:
            msg = classes[frame.proto_id]()
            msg.ParseFromString(frame.body)
            n += 1
    return n


def sdk(stream: list[bytes], encrypted: bool) -> int:
    from futu.common.conn_mng import FutuConnMng
    from futu.common.utils import ParseRspErr, parse_rsp

    conn_id = 4242
    FutuConnMng.add_conn({"conn_id": conn_id, "conn_key": KEY, "conn_iv": IV, "is_encrypt": encrypted})
    buf = bytearray()
    n = 0
    for chunk in stream:
        buf.extend(chunk)
        while True:
            result = parse_rsp(buf, conn_id, encrypted)
            if result.err == ParseRspErr.NOT_ENOUGH_DATA:
                break
            del buf[:result.total_len]
            assert result.err == ParseRspErr.OK, result.msg
            n += 1
    FutuConnMng.remove_conn(conn_id)
    return n


def best_rate(fn, stream, encrypted: bool, expected: int, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        got = fn(stream, encrypted)
        best = min(best, time.perf_counter() - t0)
        assert got == expected, (fn.__name__, got, expected)
    return expected / best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--synthetic", action="store_true", help="generated frames instead of recorded ones")
    args = parser.parse_args(argv)
    import futu  # noqa: F401  (import cost outside the timings)

    if args.synthetic:
        bodies, origin = push_bodies(args.frames), "synthetic"
    else:
        recorded = record_pushes(min(args.frames, 30_000))
        bodies, origin = cycle(recorded, args.frames), f"recorded from the simulator ({len(recorded)} distinct)"
    size = sum(len(b) for _, b in bodies)
    kinds = {ids.name_of(pid): sum(1 for p, _ in bodies if p == pid) for pid in sorted({p for p, _ in bodies})}
    print(f"{args.frames} push frames, {origin}, {size / args.frames:.0f} B mean body: {kinds}")
    print(f"{'mode':<8} {'futu-tui frames/s':>18} {'SDK frames/s':>14} {'ratio':>7}")
    for encrypted in (False, True):
        crypto = BodyCrypto(aes=AesCbcCipher(KEY.encode(), IV.encode())) if encrypted else None
        stream = chunks(wire_stream(bodies, crypto))
        mine = best_rate(ours, stream, encrypted, args.frames, args.repeats)
        theirs = best_rate(sdk, stream, encrypted, args.frames, args.repeats)
        print(f"{'aes-cbc' if encrypted else 'plain':<8} {mine:>18,.0f} {theirs:>14,.0f} {mine / theirs:>6.1f}x")


if __name__ == "__main__":
    main()
