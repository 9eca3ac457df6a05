"""The order journal: intents before sending, outcomes after, reconciliation at start-up."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from protocol.markets import TZ
from protocol.trade import OrderType, Side
from workstation.journal import FILE_NAME, Intent, Journal, order_epoch, reconcile
from workstation.orders import Ticket

T0 = datetime(2024, 6, 3, 10, 0, 0, tzinfo=TZ["HK"]).timestamp()
TICKET = Ticket("HK.00700", Side.BUY, 200, 612.5, remark="kb-1", acc_id=42)


@dataclass
class Order:  # the fields of workstation.store.OrderRow that reconcile reads
    order_id: str
    code: str
    side: int
    qty: float
    price: float
    remark: str = ""
    create_time: str = ""
    acc_id: int = 0


def hk_time(t: float) -> str:
    return datetime.fromtimestamp(t, TZ["HK"]).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def test_intent_then_outcome(tmp_path):
    j = Journal(tmp_path, clock=lambda: T0)
    j.intent(TICKET, "r1")
    assert j.pending() == [Intent("r1", T0, TICKET)]
    j.outcome("r1", order_id=12345, status=5)
    assert j.pending() == []
    lines = [json.loads(x) for x in (tmp_path / FILE_NAME).read_text().splitlines()]
    assert [x["kind"] for x in lines] == ["intent", "outcome"]
    assert lines[0]["ticket"]["code"] == "HK.00700" and lines[1]["order_id"] == "12345"


def test_default_directory_is_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr("sys.platform", "linux")
    assert Journal().path == tmp_path / "futu-tui" / FILE_NAME


def test_pending_survives_a_torn_last_line(tmp_path):
    j = Journal(tmp_path, clock=lambda: T0)
    j.intent(TICKET, "r1")
    j.intent(TICKET, "r2")
    j.outcome("r1", error="rejected")
    with open(j.path, "ab") as fh:  # the app died mid-write
        fh.write(b'{"kind":"outcome","ref":"r2","ti')
    assert [i.ref for i in j.pending()] == ["r2"]
    j.intent(TICKET, "r3")  # the next record starts on a fresh line, not glued to the torn one
    assert [i.ref for i in j.pending()] == ["r2", "r3"]
    j.path.write_bytes(j.path.read_bytes() + b"\xff\xfe garbage")
    assert [i.ref for i in j.pending()] == ["r2", "r3"]


def test_missing_file_means_nothing_pending(tmp_path):
    assert Journal(tmp_path / "new").pending() == []


def test_the_journal_holds_no_password(tmp_path):
    password = "hunter2-Secret!"
    j = Journal(tmp_path)
    j.intent(Ticket("HK.00700", Side.BUY, 100, 612.0, remark="note"), "r1")
    j.outcome("r1", error="account locked: unlock trading first")
    assert password.encode() not in j.path.read_bytes()
    assert all(password.encode() not in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


def test_reconcile_matches_by_fields_and_time():
    intents = [Intent("r1", T0, TICKET), Intent("r2", T0 + 5, Ticket("HK.00700", Side.SELL, 100, 613.0)),
               Intent("r3", T0 + 9, Ticket("HK.09988", Side.BUY, 100, 0.0, OrderType.MARKET))]
    orders = [
        Order("o-old", "HK.00700", Side.BUY, 200, 612.5, "kb-1", hk_time(T0 - 3600), 42),  # too early
        Order("o1", "HK.00700", Side.BUY, 200, 612.5, "kb-1", hk_time(T0 + 1), 42),
        Order("o-other", "HK.00700", Side.SELL, 100, 613.5, "", hk_time(T0 + 6)),  # different price
        Order("o3", "HK.09988", Side.BUY, 100, 158.3, "", hk_time(T0 + 10)),  # market: price not compared
    ]
    got = [(i.ref, o.order_id if o else None) for i, o in reconcile(intents, orders)]
    assert got == [("r1", "o1"), ("r2", None), ("r3", "o3")]


def test_reconcile_uses_each_order_once_and_prefers_the_closest():
    a, b = Intent("a", T0, TICKET), Intent("b", T0 + 60, TICKET)
    orders = [Order("late", "HK.00700", Side.BUY, 200, 612.5, "kb-1", hk_time(T0 + 61)),
              Order("early", "HK.00700", Side.BUY, 200, 612.5, "kb-1", hk_time(T0 + 1))]
    assert [(i.ref, o.order_id) for i, o in reconcile([b, a], orders)] == [("a", "early"), ("b", "late")]
    assert reconcile([a, b], orders[:1]) == [(a, None), (b, orders[0])]


def test_order_epoch_reads_local_time_or_a_timestamp():
    assert order_epoch(Order("o", "HK.00700", Side.BUY, 1, 1, create_time=hk_time(T0))) == T0
    assert order_epoch(Order("o", "HK.00700", Side.BUY, 1, 1, create_time="2024-06-03 10:00:00")) == T0
    assert order_epoch(Order("o", "HK.00700", Side.BUY, 1, 1, create_time="soon")) is None


def test_each_record_is_fsynced_before_returning(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr("workstation.journal.os.fsync", lambda fd: synced.append(Journal(tmp_path).pending()))
    j = Journal(tmp_path, clock=lambda: T0)
    j.intent(TICKET, "r1")
    j.outcome("r1", order_id="1")
    assert [len(p) for p in synced] == [1, 0]  # the line was written when fsync ran


def test_modify_cancel_and_cancel_all_intents_wait_for_their_outcomes(tmp_path):
    j = Journal(tmp_path, clock=lambda: T0)
    j.intent(TICKET, "p1")
    j.request("modify", "m1", acc_id=42, order_id="o1", qty=300.0, price=612.0)
    j.request("cancel", "c1", acc_id=42, order_id="o1")
    j.request("cancel_all", "a1", acc_id=42, market=1)
    assert [r["ref"] for r in j.pending_requests()] == ["m1", "c1", "a1"]
    assert [i.ref for i in j.pending()] == ["p1"], "only orders are matched against the order list"
    j.outcome("m1", order_id="o1")
    j.outcome("a1", error="refused")
    (left,) = j.pending_requests()
    assert (left["op"], left["ref"], left["order_id"], left["time"]) == ("cancel", "c1", "o1", T0)
    kinds = [(r["kind"], r.get("op")) for r in j.records()]
    assert kinds[:4] == [("intent", "place"), ("intent", "modify"), ("intent", "cancel"), ("intent", "cancel_all")]
