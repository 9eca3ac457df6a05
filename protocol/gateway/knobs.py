"""The simulated OpenD's knobs, in one place: start-up settings and runtime events.

Start-up settings are one frozen dataclass. Each field declares its own flag, help, parser
and check, so `futu-opend-sim`'s flags are generated from it and a simulator built in a
test is checked by the same rules as one started from the command line:

    Simulator(SimSettings(seed=7, port=0))       # or Simulator(seed=7, port=0)
    futu-opend-sim --seed 7 --port 0

A new setting is one field here (plus its use); its flag, `--help` line and checks follow.

Runtime events are the methods of `Faults`, reached as `sim.faults` (call them on the
simulator's event loop: `SimThread.call` from a test thread):

    sim.faults.drop()                          # close every connection abruptly
    sim.faults.drop(conn_id)                   # ... or one
    sim.faults.delay(3.0, count=2)             # hold the next 2 replies back 3 s
    sim.faults.delay(15.0, proto_id=2202)      # every place_order reply, until clear()
    sim.faults.corrupt(conn_id)                # a frame with a bad SHA-1
    sim.faults.stall(conn_id)                  # go silent, keep the socket open (half-open link)
    sim.faults.reject_next_order("risk check failed")               # error reply
    sim.faults.reject_next_order("exchange rejected", failed=True)  # accepted, then FAILED
    sim.faults.reject_next_modify("order is being processed")      # next modify / cancel: error reply
    sim.faults.clear()                         # forget delays and pending rejections
    sim.faults.halt("HK.00700")                # trading suspended: no ticks, empty book, orders refused
    sim.faults.resume("HK.00700")              # ... and trading again
    sim.faults.limit("SH.600519", "up")        # an A-share pinned at its limit up ("down", or None to free it)
    sim.faults.take_quote_right()              # another device takes it: HK -> BMP, US -> NO (QotRight Notify)
    sim.faults.give_back_quote_right()         # ... and gives it back
    sim.faults.lose_futu(quote=True, trade=True)   # OpenD cut off from Futu's servers (ConnStatus Notify)
    sim.faults.regain_futu()                   # ... and back
    sim.faults.force_logout("logged in elsewhere")  # gateway event KickedOut; no quotes, no trading
    sim.faults.log_back_in()

Order and account events (what OpenD or the exchange does behind the app's back):

    sim.faults.restart()                       # OpenD restarts: links drop, the unlock is forgotten
    sim.faults.lose_next(2202)                 # the next place_order dies with its link, unseen by OpenD
    sim.faults.push_timeout(acc_id, order_id_ex)   # push the order as TIMEOUT (the list keeps its real status)
    sim.faults.bust_fill(acc_id, fill_id_ex)   # the exchange cancels a trade: pushed as a CANCELLED fill
    sim.faults.disable_order(acc_id, order_id_ex)  # ... enable_order(...) makes it work again
    sim.faults.forget_orders(acc_id)           # OpenD no longer lists the account's orders
    sim.faults.disable_account(acc_id)         # listed as DISABLED; it cannot trade
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from protocol.crypto import CryptoError, RsaCipher
from protocol.rights import QuoteRights

if TYPE_CHECKING:
    from protocol.gateway.broker import Broker
    from protocol.gateway.market import Market
    from protocol.gateway.opend_state import OpenDState
    from protocol.gateway.server import Gateway
    from protocol.gateway.trading import TradeService


# -- start-up settings ------------------------------------------------------------------


class SettingError(ValueError):
    """A setting's value is refused; `name` is the setting (the field, not the flag)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


@dataclass(frozen=True)
class Knob:
    """How one setting is spelled on the command line and what values it accepts."""

    help: str
    flag: str = ""  # default: --field-name
    metavar: str | None = None
    parse: Callable[[str], Any] | None = None  # text of the flag -> value (default: the default's type)
    check: Callable[[Any], str | None] | None = None  # value -> why it is refused, or None
    choices: tuple[str, ...] | None = None
    shown: str | None = None  # how --help shows the default


def setting(default: Any, help: str, repr: bool = True, **knob: Any) -> Any:
    return field(default=default, repr=repr, metadata={"knob": Knob(help, **knob)})


def knob_of(f: dataclasses.Field) -> Knob:
    return f.metadata["knob"]


def flag_of(f: dataclasses.Field) -> str:
    return knob_of(f).flag or "--" + f.name.replace("_", "-")


def _positive(value: float) -> str | None:
    return None if math.isfinite(value) and value > 0 else "must be a positive number"


def _port(value: int) -> str | None:
    return None if 0 <= value <= 65535 else "must be 0-65535 (0 picks a free port)"


def _not_negative(value: int) -> str | None:
    return None if value >= 0 else "must not be negative"


def _not_empty(value: str) -> str | None:
    return None if value else "must not be empty"


def _parse_codes(text: str) -> tuple[str, ...]:
    """'HK.00700,US.AAPL' -> ('HK.00700', 'US.AAPL')."""
    return tuple(dict.fromkeys(c.strip().upper() for c in text.split(",") if c.strip()))


def _known_codes(codes: tuple[str, ...]) -> str | None:
    from protocol.gateway.instruments import BY_CODE

    unknown = [c for c in codes if c not in BY_CODE]
    return f"unknown code(s) {', '.join(unknown)}" if unknown else None


def _a_share_codes(codes: tuple[str, ...]) -> str | None:
    from protocol.gateway.instruments import BY_CODE

    bad = [c for c in codes if c not in BY_CODE or BY_CODE[c].market not in ("SH", "SZ") or BY_CODE[c].is_index]
    return f"not A-share stocks: {', '.join(bad)} (only they have daily limits)" if bad else None


def _instant(value: float | None) -> str | None:
    return None if value is None or math.isfinite(value) else "must be a finite time"


def _parse_instant(text: str) -> float:
    """Epoch seconds, or an ISO 8601 time with its UTC offset (2026-11-26T10:30+08:00)."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("give epoch seconds or an ISO 8601 time such as 2026-11-26T10:30+08:00") from None
    if when.tzinfo is None:
        raise ValueError("give the time's UTC offset, e.g. 2026-11-26T10:30+08:00")
    return when.timestamp()


def _rights(value: object) -> str | None:
    return None if isinstance(value, QuoteRights) else "give a QuoteRights (QuoteRights.parse('HK=LV2,US=LV1'))"


def _parse_period(text: str) -> float:
    """Seconds, or a number with a unit: 90s, 15m, 12h, 30d."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    scale = units.get(text[-1:], None)
    try:
        return float(text[:-1] if scale else text) * (scale or 1)
    except ValueError:
        raise ValueError(f"give seconds or a number with a unit (90s, 15m, 12h, 30d), not {text!r}") from None


PASSWORD_ENV = "FUTU_OPEND_SIM_TRADE_PASSWORD"


def _read_secret(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.readline().rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the trade password file {path}: {getattr(exc, 'strerror', None) or exc}") from None


def _read_rsa_key(path: str) -> RsaCipher:
    try:
        return RsaCipher.from_file(path)
    except (OSError, CryptoError) as exc:
        raise ValueError(f"cannot use RSA key {path}: {exc}") from None


@dataclass(frozen=True)
class SimSettings:
    """Everything the simulated OpenD is started with."""

    host: str = setting("127.0.0.1", "address to listen on", check=_not_empty)
    port: int = setting(11111, "TCP port; 0 picks a free one", check=_port)
    rsa: RsaCipher | None = setting(
        None, "PKCS#1 RSA-1024 private key: encrypt like OpenD's rsa_private_key",
        flag="--rsa-key", metavar="FILE", parse=_read_rsa_key, shown="none: plain")
    aes_mode: str = setting(
        "auto", "with --rsa-key: AES-CBC when the client asks for it (auto), or always FTAES-ECB",
        flag="--aes", choices=("auto", "ecb"))
    keepalive: int = setting(10, "keepalive interval in seconds sent to clients", check=_positive)
    seed: int = setting(1, "seed of the synthetic market")
    rate: float = setting(
        1.0, "scale of the market's tick rate, and so of the push rate (20 = twenty times busier)", check=_positive)
    clock: str = setting(
        "always", "always: every market open around the clock; real: each market's trading hours "
        "in its own time zone, lunch breaks and weekends closed", choices=("always", "real"))
    start: float | None = setting(
        None, "where the market clock starts: epoch seconds or an ISO 8601 time with its UTC offset "
        "(2026-11-26T10:30+08:00); it runs on from there", metavar="TIME", parse=_parse_instant,
        check=_instant, shown="now")
    suspend: tuple[str, ...] = setting(
        (), "codes whose trading is suspended from the start (isSuspended, secStatus SUSPENDED, orders "
        "refused); sim.faults.halt / resume change it at run time", metavar="CODE[,CODE]",
        parse=_parse_codes, check=_known_codes, shown="none")
    limit_up: tuple[str, ...] = setting(
        (), "A-share codes pinned at their daily limit up (the ask side of the book empty)",
        metavar="CODE[,CODE]", parse=_parse_codes, check=_a_share_codes, shown="none")
    limit_down: tuple[str, ...] = setting(
        (), "A-share codes pinned at their daily limit down (the bid side of the book empty)",
        metavar="CODE[,CODE]", parse=_parse_codes, check=_a_share_codes, shown="none")
    lang: str = setting("chs", "language of the names served, like OpenD's own `lang` setting: chs (Simplified "
                        "Chinese) or en (English)", choices=("chs", "en"))
    paused: bool = setting(False, "start with the market clock stopped: no ticks, the same quotes every run",
                           shown="off")
    tick_ms: int = setting(50, "milliseconds between market steps (and push batches)", check=_positive)
    quota: int = setting(300, "subscription quota: code x SubType pairs shared by all connections",
                         check=_not_negative)
    quote_rights: QuoteRights = setting(
        QuoteRights(), "the account's quote right per market, as MARKET=RIGHT pairs (HK: NO, BMP, LV1, LV2, "
        "SF; US: NO, LV1, LV2; CN: NO, LV1); BMP cannot subscribe, HK LV1 has no order book or broker queue",
        metavar="HK=..,US=..,CN=..", parse=QuoteRights.parse, check=_rights, shown=str(QuoteRights()))
    history_quota: int = setting(300, "history K-line quota: distinct codes whose history may be requested "
                                 "per --history-quota-period", check=_not_negative)
    history_quota_period: float = setting(
        30 * 86400.0, "how long a code counts against the history K-line quota (90s, 15m, 12h, 30d)",
        metavar="PERIOD", parse=_parse_period, check=_positive, shown="30d")
    trade_password: str = setting(
        "123456", f"file whose first line is the unlock_trade password of the REAL paper account "
        f"(or set {PASSWORD_ENV}); never a flag's value, which every local user can read in ps",
        flag="--trade-password-file", metavar="FILE", parse=_read_secret, check=_not_empty, shown="123456",
        repr=False)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            reason = _refusal(f, getattr(self, f.name))
            if reason:
                raise SettingError(f.name, reason)

    def replace(self, **changes: Any) -> SimSettings:
        """A copy with some settings changed; an unknown name is refused, naming it."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise TypeError(f"unknown simulator setting(s): {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        return dataclasses.replace(self, **changes) if changes else self

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """One flag per setting, defaults and help taken from the declaration."""
        for f in dataclasses.fields(cls):
            k = knob_of(f)
            shown = k.shown if k.shown is not None else f.default
            # argparse would run a text default through `parse` (a file flag would open "123456"):
            # such a flag defaults to None, and from_args fills in the declared default.
            default = None if k.parse and isinstance(f.default, str) else f.default
            kwargs: dict[str, Any] = dict(dest=f.name, default=default, help=f"{k.help} (default {shown})")
            if isinstance(f.default, bool):
                kwargs["action"] = argparse.BooleanOptionalAction
            else:
                kwargs.update(type=_flag_type(f), metavar=k.metavar, choices=k.choices)
            parser.add_argument(flag_of(f), **kwargs)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> SimSettings:
        given = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls)}
        return cls(**{name: value for name, value in given.items() if value is not None})  # None: the default


def _refusal(f: dataclasses.Field, value: Any) -> str | None:
    k = knob_of(f)
    if k.choices is not None and value not in k.choices:
        return f"must be one of {', '.join(k.choices)} (got {value!r})"
    return k.check(value) if k.check is not None and value is not None else None


def _flag_type(f: dataclasses.Field) -> Callable[[str], Any]:
    k = knob_of(f)
    parse = k.parse or type(f.default)

    def convert(text: str) -> Any:
        try:
            value = parse(text)
        except ValueError as exc:
            message = str(exc) if k.parse else f"not a valid {type(f.default).__name__}: {text!r}"
            raise argparse.ArgumentTypeError(message) from None
        reason = None if k.choices else _refusal(f, value)  # argparse names bad choices itself
        if reason:
            raise argparse.ArgumentTypeError(f"{reason} (got {text})")
        return value

    convert.__name__ = f.name
    return convert


# -- runtime events ---------------------------------------------------------------------


@dataclass
class ReplyDelay:
    """Hold replies back `seconds` (for `count` requests, or only `proto_id`)."""

    seconds: float
    count: int | None = None  # None: until cleared
    proto_id: int | None = None  # None: any request


class _Muted:
    """A session's writer that sends nothing; closing and aborting still reach the socket."""

    def __init__(self, writer) -> None:
        self._writer = writer

    def write(self, data: bytes) -> None:
        pass

    def __getattr__(self, name: str):
        return getattr(self._writer, name)


class Faults:
    """Runtime events for reliability tests. Not thread-safe: call on the simulator's loop."""

    def __init__(self, gateway: Gateway, broker: Broker, opend: OpenDState | None = None,
                 trade: TradeService | None = None, market: Market | None = None,
                 on_change: Callable[[str], None] = lambda code: None) -> None:
        self.gateway = gateway
        self.broker = broker
        self.opend = opend
        self.trade = trade
        self.market = market if market is not None else broker.market
        self.on_change = on_change  # a code's quote changed without a trade: push it
        self.delays: list[ReplyDelay] = []
        self.lost: dict[int, int] = {}  # proto ID -> how many more requests die with their link
        gateway.reply_delay = self._reply_delay
        gateway.lose_request = self._lose_request

    def drop(self, conn_id: int | None = None) -> int:
        """Close one connection (or all) abruptly; returns how many were dropped."""
        return self.gateway.drop(conn_id)

    def delay(self, seconds: float, *, count: int | None = None, proto_id: int | None = None) -> None:
        """Hold replies back: the next `count` (or all until clear()), of `proto_id` (or any)."""
        self.delays.append(ReplyDelay(seconds, count, proto_id))

    def corrupt(self, conn_id: int | None = None) -> int:
        """Send a frame whose SHA-1 does not match its body to one connection (or all)."""
        return self.gateway.send_corrupt(conn_id)

    def stall(self, conn_id: int | None = None) -> int:
        """Stop sending on one connection (or all) without closing it: no replies, pushes or
        keepalive answers, while requests are still read. To the client, a half-open link."""
        targets = [s for s in list(self.gateway.sessions.values()) if conn_id is None or s.conn_id == conn_id]
        for session in targets:
            if not isinstance(session.writer, _Muted):
                session.writer = _Muted(session.writer)
        return len(targets)

    def reject_next_order(self, message: str = "order rejected (fault injection)", *, failed: bool = False) -> None:
        """Refuse the next place_order: as an error reply, or (failed=True) accept it and then fail it."""
        self.broker.reject_next = (message, failed)

    def reject_next_modify(self, message: str = "modify rejected (fault injection)") -> None:
        """Refuse the next modify_order (modify, cancel or cancel-all) with an error reply."""
        self.broker.reject_next_modify = message

    def halt(self, code: str) -> None:
        """Suspend trading in a code: no ticks, an empty book, isSuspended in quotes, orders refused."""
        self.market.halt(code)
        self.on_change(code)

    def resume(self, code: str) -> None:
        """Lift a halt: the code trades again from now (no burst of the ticks it missed)."""
        self.market.resume(code)
        self.on_change(code)

    def limit(self, code: str, side: str | None) -> None:
        """Pin an A-share at its limit "up" or "down" (None lets it move again)."""
        self.market.pin(code, side)
        self.on_change(code)
    def push(self, proto_id: int, response) -> int:
        """Send any push as built (a hostile OpenD: NaN prices, negative volumes, codes nobody
        asked for) to every connection past InitConnect; returns how many got it."""
        return sum(session.push(proto_id, response) for session in list(self.gateway.sessions.values()))

    def rename(self, code: str, name: str) -> None:
        """Serve `name`, whatever it holds (escapes, markup, newlines, a megabyte), for `code`
        everywhere a name goes: static info, quotes, pushes, orders."""
        self.broker.market.rename(code, name)

    def take_quote_right(self) -> None:
        """Another device (phone, desktop) takes the quote right: HK falls to BMP, US to NO, a
        QotRight Notify goes out and the subscriptions those rights no longer allow end."""
        self._opend().take_quote_right()

    def give_back_quote_right(self) -> None:
        """The other device lets go: the account's own rights again (QotRight Notify)."""
        self._opend().give_back_quote_right()

    def lose_futu(self, *, quote: bool = True, trade: bool = True) -> None:
        """OpenD loses its connection to Futu's quote and/or trade servers: a ConnStatus Notify,
        GetGlobalState's qotLogined / trdLogined false, no pushes, quote (or trade) calls refused."""
        o = self._opend()
        o.set_connection(o.qot_logined and not quote, o.trd_logined and not trade)

    def regain_futu(self) -> None:
        """OpenD is connected to Futu's servers again (ConnStatus Notify)."""
        self._opend().set_connection(True, True)

    def force_logout(self, desc: str = "your account logged in on another device") -> None:
        """OpenD is logged out (a gateway event KickedOut, ProgramStatus ForceLogout)."""
        self._opend().force_logout(desc)

    def log_back_in(self) -> None:
        self._opend().log_back_in()

    def _opend(self) -> OpenDState:
        if self.opend is None:
            raise RuntimeError("these faults need the whole Simulator (sim.faults), not a bare gateway")
        return self.opend

    def clear(self) -> None:
        """Forget reply delays, lost requests and pending rejections (dropped or stalled links stay so)."""
        self.delays.clear()
        self.lost.clear()
        self.broker.reject_next = None
        self.broker.reject_next_modify = None

    def _reply_delay(self, proto_id: int) -> float:
        for rule in self.delays:
            if rule.proto_id in (None, proto_id):
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count <= 0:
                        self.delays.remove(rule)
                return rule.seconds
        return 0.0

    # -- order and account events (issue 12) ------------------------------------------------

    def restart(self) -> int:
        """OpenD restarts: every link drops and the unlock is forgotten (orders stay at the
        broker, as they do at a real one). Returns how many connections were dropped."""
        self.broker.unlocked = False
        return self.gateway.drop()

    def lose_next(self, proto_id: int, count: int = 1) -> None:
        """The next `count` requests of `proto_id` die with their connection before OpenD sees them."""
        self.lost[proto_id] = self.lost.get(proto_id, 0) + count

    def push_timeout(self, acc_id: int, order_id_ex: str) -> None:
        """Push the order with status TIMEOUT; its real status stays in the order list."""
        self._publish(self.broker.as_timeout(acc_id, order_id_ex))

    def bust_fill(self, acc_id: int, fill_id_ex: str) -> None:
        """The exchange cancels a trade: cash, fees and position are undone; pushed as CANCELLED."""
        self._publish(self.broker.bust_fill(acc_id, fill_id_ex))

    def disable_order(self, acc_id: int, order_id_ex: str) -> None:
        self._publish(self.broker.set_disabled(acc_id, order_id_ex, True))

    def enable_order(self, acc_id: int, order_id_ex: str) -> None:
        self._publish(self.broker.set_disabled(acc_id, order_id_ex, False))

    def forget_orders(self, acc_id: int) -> int:
        """OpenD stops listing the account's orders (no push says so); returns how many."""
        return self.broker.forget_orders(acc_id)

    def disable_account(self, acc_id: int, disabled: bool = True) -> None:
        self.broker.account(acc_id).status = 1 if disabled else 0

    def _publish(self, events) -> None:
        if self.trade is not None:
            self.trade.publish(events)

    def _lose_request(self, proto_id: int) -> bool:
        left = self.lost.get(proto_id, 0)
        if left <= 0:
            return False
        if left == 1:
            del self.lost[proto_id]
        else:
            self.lost[proto_id] = left - 1
        return True
