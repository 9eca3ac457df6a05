"""Regenerate the *_pb2.py / *_pb2.pyi files from our .proto sources.

    python -m protocol.proto.regen          # rewrite the generated files
    python -m protocol.proto.regen --check  # exit 1 if any generated file is stale

Needs grpcio-tools (a test extra): it ships a pinned protoc, so output is reproducible.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

PROTO_DIR = Path(__file__).resolve().parent
ROOT = PROTO_DIR.parent.parent


def generate(out_dir: Path) -> None:
    """Compile every .proto here into out_dir, keeping the protocol/proto/ path."""
    from grpc_tools import protoc  # imported lazily: a dev-only dependency

    sources = sorted(str(p.relative_to(ROOT)) for p in PROTO_DIR.glob("*.proto"))
    args = ["protoc", f"-I{ROOT}", f"--python_out={out_dir}", f"--pyi_out={out_dir}", *sources]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


def generated_files(base: Path) -> dict[str, bytes]:
    folder = base / PROTO_DIR.relative_to(ROOT)
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*_pb2.py*"))}


def stale_files() -> list[str]:
    """Names of generated files that differ from a fresh protoc run (or are missing/extra)."""
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        fresh = generated_files(Path(tmp))
    committed = generated_files(ROOT)
    names = sorted(set(fresh) | set(committed))
    return [n for n in names if fresh.get(n) != committed.get(n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for name in stale:
            print(f"stale: protocol/proto/{name}")
        return 1 if stale else 0
    for old in PROTO_DIR.glob("*_pb2.py*"):
        old.unlink()
    generate(ROOT)
    print(f"generated {len(generated_files(ROOT))} files in {PROTO_DIR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
