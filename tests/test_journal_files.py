"""The order journal against broken, hostile and huge files, and against a disk it cannot write."""

from __future__ import annotations

import json
import stat
import time

import pytest

from protocol.trade import Side
from workstation.journal import COMPACT_BYTES, FILE_NAME, Journal, JournalError
from workstation.orders import Ticket

TICKET = Ticket("HK.00700", Side.BUY, 200, 612.5, remark="kb-1", acc_id=42)


def write_lines(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(x + b"\n" for x in lines))


def test_any_bad_line_is_skipped_and_the_rest_still_reconciles(tmp_path):
    good = Journal(tmp_path, clock=lambda: 1000.0)
    good.intent(TICKET, "ok-1")
    hostile = [
        b"[" * 100_000 + b"]" * 100_000,  # nesting deep enough to blow the parser's stack
        b'{"kind":"intent","op":"place","ref":"r2","time":[1],"ticket":{"code":"HK.00700"}}',  # a list for a number
        b'{"kind":"intent","op":"place","ref":"r3","time":1,"ticket":{"code":"HK.00700","side":1,"qty":[5]}}',
        b'{"kind":"intent","op":"place","ref":"r4","time":1,"ticket":[]}',
        b'{"kind":"outcome","ref":5}',
        b"\xff\xfe garbage",
        b'"just a string"',
    ]
    with open(tmp_path / FILE_NAME, "ab") as fh:
        fh.write(b"\n".join(hostile) + b"\n")
    good.intent(TICKET, "ok-2")
    j = Journal(tmp_path)
    j.load()
    assert [i.ref for i in j.pending()] == ["ok-1", "ok-2"]
    assert j.skipped == 4  # the deep nesting, the garbage, the string and the outcome without a text ref


def test_a_huge_journal_is_archived_and_the_next_start_reads_only_what_is_pending(tmp_path):
    path = tmp_path / FILE_NAME
    rec = {"kind": "intent", "op": "place", "time": 1000.0, "ticket": {"code": "HK.00700", "side": 1, "qty": 100,
                                                                        "price": 500.0, "remark": "x" * 40}}
    lines = []
    for n in range(100_000):
        lines.append(json.dumps({**rec, "ref": f"r{n}"}).encode())
        lines.append(json.dumps({"kind": "outcome", "ref": f"r{n}", "time": 1001.0, "order_id": str(n)}).encode())
    lines.append(json.dumps({**rec, "ref": "still-open"}).encode())
    write_lines(path, lines)
    assert path.stat().st_size > COMPACT_BYTES
    first = Journal(tmp_path)
    first.load()
    assert [i.ref for i in first.pending()] == ["still-open"]
    archives = list(tmp_path.glob("orders.*.jsonl"))
    assert len(archives) == 1 and archives[0].stat().st_size > COMPACT_BYTES  # nothing is thrown away
    assert path.stat().st_size < 1000
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Journal(tmp_path)
    again.load()
    assert [i.ref for i in again.pending()] == ["still-open"]


def test_a_loaded_journal_answers_from_memory_and_stays_in_step_with_its_writes(tmp_path):
    j = Journal(tmp_path, clock=time.time)
    j.load()
    j.intent(TICKET, "a")
    j.request("cancel", "b", acc_id=1, order_id="9")
    assert [i.ref for i in j.pending()] == ["a"] and [r["ref"] for r in j.pending_requests()] == ["b"]
    j.outcome("a", order_id="1")
    j.outcome("b")
    assert j.pending() == [] and j.pending_requests() == []
    fresh = Journal(tmp_path)  # never loaded: reads the file, which says the same
    assert fresh.pending() == [] and fresh.pending_requests() == []


def test_a_journal_that_cannot_be_written_says_why_and_refuses_to_record(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data dir should be")
    j = Journal(blocker / "futu-tui")
    why = j.writable()
    assert why is not None and "cannot be written" in why and str(blocker) in why
    with pytest.raises(JournalError, match="cannot be written"):
        j.intent(TICKET, "r1")


def test_the_journal_file_is_private(tmp_path):
    j = Journal(tmp_path / "data")
    assert j.writable() is None
    j.intent(TICKET, "r1")
    assert stat.S_IMODE((tmp_path / "data" / FILE_NAME).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
