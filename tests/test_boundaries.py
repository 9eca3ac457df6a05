"""Layering and generated code: protocol/ knows nothing of Textual; *_pb2.py are current.

The import rules are read statically: every import statement of every module, function-level
ones included, so an import that only runs on one code path still counts.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

# (where the rule applies, modules it may not import, files exempt from it, why)
IMPORT_RULES = (
    ("protocol/", ("textual", "workstation"), (), "protocol/ knows nothing of the app or Textual"),
    ("workstation/", ("protocol.gateway",), ("workstation/cli.py",),
     "the workstation imports the simulator only to start it (--sim, in cli.py)"),
    ("workstation/widgets/", ("protocol.client",), (), "widgets never talk to the network"),
    ("workstation/screens/", ("protocol.client",), (), "screens never talk to the network"),
)


def imported_modules(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in a file; `from a import b` yields a and a.b."""
    package = list(path.relative_to(root).parts[:-1])
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the file's package
                parent = package[: len(package) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            if not base:
                continue
            out.append((node.lineno, base))
            out += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if alias.name != "*"]
    return out


def _within(module: str, banned: str) -> bool:
    return module == banned or module.startswith(banned + ".")


def import_violations(root: Path) -> list[str]:
    """Every import that breaks IMPORT_RULES under `root`, as "path:line: module (why)"."""
    found = []
    for path in sorted(p for top in ("protocol", "workstation") for p in (root / top).rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for where, banned, exempt, why in IMPORT_RULES:
            if not rel.startswith(where) or rel in exempt:
                continue
            lines = set()
            for line, module in imported_modules(path, root):
                if line not in lines and any(_within(module, b) for b in banned):
                    lines.add(line)  # one report per statement
                    found.append(f"{rel}:{line}: imports {module} ({why})")
    return sorted(found)


def test_import_rules_hold():
    assert import_violations(ROOT) == []


def test_import_rules_catch_a_violation(tmp_path):
    """The checker itself works: deliberate violations in a scratch tree are all reported,
    function-level and relative imports included, and the one allowed import is not."""
    files = {
        "protocol/__init__.py": "",
        "protocol/codec.py": "def f():\n    import textual.app\n\n\nclass C:\n    def g(self):\n        from workstation.store import Store\n",
        "protocol/gateway/__init__.py": "",
        "protocol/gateway/sim.py": "from ..client import OpenDClient\nfrom . import server\n",
        "workstation/__init__.py": "",
        "workstation/cli.py": "def main():\n    from protocol.gateway.sim import SimThread\n",
        "workstation/feed.py": "from protocol import gateway\n",
        "workstation/widgets/__init__.py": "",
        "workstation/widgets/book.py": "from protocol.client import OpenDClient\n",
        "workstation/screens/__init__.py": "",
        "workstation/screens/order.py": "from protocol.trade import Side\nfrom ..feed import x\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    got = import_violations(tmp_path)
    assert [v.split(" (")[0] for v in got] == [
        "protocol/codec.py:2: imports textual.app",
        "protocol/codec.py:7: imports workstation.store",
        "workstation/feed.py:1: imports protocol.gateway",
        "workstation/widgets/book.py:1: imports protocol.client",
    ]
    assert imported_modules(tmp_path / "protocol/gateway/sim.py", tmp_path) == [
        (1, "protocol.client"), (1, "protocol.client.OpenDClient"), (2, "protocol.gateway"),
        (2, "protocol.gateway.server")]


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
