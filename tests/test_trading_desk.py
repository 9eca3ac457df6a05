"""The order desk's decisions and words without a network or a screen: which orders may be
changed (DISABLED stays unchangeable, as before), what cancel-all counts, and that a refusal
is one typed message with nothing sent or journalled."""

from __future__ import annotations

from protocol.proto import Trd_Common_pb2
from protocol.trade import OrderStatus, Side
from workstation.journal import Journal
from workstation.orders import Ticket
from workstation.account_rows import VERIFYING, OrderRow
from workstation.store import Store
from workstation.trading import Account, Trading
from workstation.trading.messages import OrderFailed, OrderRefused

REAL_ACC = 281756480572583411


def trading(tmp_path, posted: list) -> Trading:
    t = Trading(client=None, store=Store(), post=posted.append, journal=Journal(tmp_path))  # type: ignore[arg-type]
    real = Account(Trd_Common_pb2.TrdAcc(trdEnv=1, accID=REAL_ACC, trdMarketAuthList=[1]))
    t.accounts.all, t.accounts.active = [real], real
    return t


def row(order_id: str, status: int) -> OrderRow:
    return OrderRow(order_id=order_id, code="HK.00700", name="", side=Side.BUY, order_type=1, status=status,
                    qty=100.0, price=300.0, acc_id=REAL_ACC)


def test_only_open_orders_known_to_opend_may_be_changed_and_counted(tmp_path):
    t = trading(tmp_path, [])
    statuses = {"a": OrderStatus.SUBMITTED, "b": OrderStatus.FILLED_PART, "c": OrderStatus.FILLED_ALL,
                "d": OrderStatus.DISABLED, "e": VERIFYING, "f": OrderStatus.CANCELLED_ALL, "g": 99}
    t.book.store.orders.update({k: row(k, s) for k, s in statuses.items()})
    assert {k for k in statuses if t.desk.changeable(k) is not None} == {"a", "b", "g"}  # 99: unknown, open
    assert t.desk.open_orders() == 3
    assert t.desk.changeable("missing") is None


async def test_a_locked_real_order_is_refused_once_with_nothing_sent_or_journalled(tmp_path):
    posted: list = []
    t = trading(tmp_path, posted)  # no client: any request would raise
    outcome = await t.desk.place(Ticket(code="HK.00700", side=Side.BUY, qty=100.0, price=300.0, env=1, acc_id=REAL_ACC))
    assert posted == [outcome] and isinstance(outcome, OrderRefused)
    assert outcome.text == ("BUY 100 HK.00700 not sent: REAL trading is locked: unlock it first (L) "
                            "with your trade password")
    assert not (tmp_path / "orders.jsonl").exists()


def test_a_failure_pushed_after_acceptance_reads_as_before():
    failed = OrderFailed(row("v1", OrderStatus.FAILED))
    assert (failed.severity, failed.text) == ("error", "order v1 BUY 100 HK.00700 failed: FAILED")
    expired = OrderFailed(row("v2", OrderStatus.DISABLED))
    assert (expired.severity, expired.text) == ("warning", "order v2 BUY 100 HK.00700 is no longer valid: DISABLED")


async def test_an_order_the_journal_cannot_record_is_not_sent_and_the_trader_is_told(tmp_path):
    (tmp_path / "blocked").write_text("a file where the data dir should be")
    posted: list = []
    t = Trading(client=None, store=Store(), post=posted.append, journal=Journal(tmp_path / "blocked" / "d"))  # type: ignore[arg-type]
    sim = Account(Trd_Common_pb2.TrdAcc(trdEnv=0, accID=7, trdMarketAuthList=[1]))
    t.accounts.all, t.accounts.active = [sim], sim
    outcome = await t.desk.place(Ticket(code="HK.00700", side=Side.BUY, qty=100.0, price=300.0, env=0, acc_id=7))
    assert posted == [outcome] and isinstance(outcome, OrderRefused)  # no client: a send would have raised
    assert "not sent: the order journal cannot be written" in outcome.text
