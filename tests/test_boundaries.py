"""Layering and generated code: protocol/ knows nothing of Textual; *_pb2.py are current."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_protocol_imports_no_textual():
    code = (
        "import sys, protocol.client, protocol.gateway.server, protocol.gateway.cli;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'workstation', 'futu'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_protobuf_code_is_current():
    pytest.importorskip("grpc_tools")
    from protocol.proto.regen import stale_files

    assert stale_files() == [], "run: python -m protocol.proto.regen"


def test_stale_check_notices_an_edit(tmp_path, monkeypatch):
    """The check itself works: an edited .proto makes its generated file stale."""
    pytest.importorskip("grpc_tools")
    import shutil

    from protocol.proto import regen

    copy = tmp_path / "protocol" / "proto"
    shutil.copytree(regen.PROTO_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    proto = copy / "KeepAlive.proto"
    proto.write_text(proto.read_text().replace("required int64 time = 1;", "required int64 time = 1;\n\toptional int32 extra = 2;", 1))
    monkeypatch.setattr(regen, "PROTO_DIR", copy)
    monkeypatch.setattr(regen, "ROOT", tmp_path)
    assert regen.stale_files() == ["KeepAlive_pb2.py", "KeepAlive_pb2.pyi"]
