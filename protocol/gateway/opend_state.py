"""OpenD's own state: its login to Futu's servers, the quote rights it holds, the
history-K-line quota, and the Notify (1003) pushes that announce changes to them.

Serves GetUserInfo (1005) and Qot_RequestHistoryKLQuota (3104). The runtime events that
change this state are reached as `sim.faults` (protocol/gateway/knobs.py).

- Quote rights: the account's (`granted`, from --quote-rights) and the ones OpenD holds now
  (`rights`). Another device logging in takes the right away: HK falls to BMP, US to NO;
  OpenD pushes a QotRight Notify and those markets' subscriptions stop.
- Login: `qot_logined` / `trd_logined` as GetGlobalState reports them; losing Futu's servers
  pushes a ConnStatus Notify; a forced logout a GtwEvent (KickedOut) and ProgramStatus.
- History-K-line quota (seed 003 "历史 K 线额度"): each distinct code whose history is
  requested uses one unit for `period` seconds (30 days); asking again for a code already
  counted is free; a new code beyond the quota is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from protocol import ids
from protocol import rights as qr
from protocol.gateway import quote_msgs as qm
from protocol.gateway.server import LOGIN_USER_ID, Gateway, ServiceError, Session
from protocol.proto import GetUserInfo_pb2, Notify_pb2, Qot_RequestHistoryKLQuota_pb2

if TYPE_CHECKING:
    from protocol.gateway.instruments import Instrument

log = logging.getLogger("futu_opend_sim")

# Notify.NotifyType, GtwEventType, Common.ProgramStatusType
N_GTW_EVENT, N_PROGRAM_STATUS, N_CONN_STATUS, N_QOT_RIGHT, N_USED_QUOTA = 1, 2, 3, 4, 7
GTW_KICKED_OUT = 7
STATUS_READY, STATUS_FORCE_LOGOUT = 10, 11
THIRTY_DAYS = 30 * 86400.0


class OpenDState:
    def __init__(self, gateway: Gateway, rights: qr.QuoteRights, *, sub_quota: int, history_quota: int,
                 history_period: float = THIRTY_DAYS, clock: Callable[[], float] | None = None) -> None:
        self.gateway = gateway
        self.granted = rights  # what the account is entitled to
        self.rights = rights  # what OpenD holds right now
        self.sub_quota = sub_quota
        self.history_quota = history_quota
        self.history_period = history_period
        self.clock = clock or gateway.clock
        self.qot_logined = True
        self.trd_logined = True
        self.program_status = STATUS_READY
        self.status_desc = ""
        self.kl_used: dict[str, tuple[float, Instrument]] = {}  # code -> (first request, instrument)
        self.on_rights_changed: list[Callable[[qr.QuoteRights], None]] = []  # the quote service drops subs here
        gateway.login_state = lambda: (self.qot_logined, self.trd_logined, self.program_status, self.status_desc)
        gateway.register(ids.GET_USER_INFO, self._user_info)
        gateway.register(ids.QOT_REQUEST_HISTORY_KL_QUOTA, self._kl_quota)

    # -- pushes ---------------------------------------------------------------------------

    def notify(self, s2c: Notify_pb2.S2C) -> int:
        """Push a Notify to every connection that asked for them (InitConnect recvNotify)."""
        body = Notify_pb2.Response(retType=0, s2c=s2c).SerializeToString()
        sent = 0
        for session in list(self.gateway.sessions.values()):
            if session.recv_notify and session.push_bodies(((ids.NOTIFY, body),)):
                sent += 1
        return sent

    def _right_fields(self, msg) -> None:
        r = self.rights
        msg.hkQotRight, msg.usQotRight, msg.cnQotRight = r.HK, r.US, r.CN
        msg.shQotRight = msg.szQotRight = r.CN
        msg.hkOptionQotRight = msg.hkFutureQotRight = r.HK if r.HK != qr.SF else qr.LV2
        msg.usOptionQotRight = qr.NO
        msg.hasUSOptionQotRight = False

    # -- runtime events (sim.faults) ------------------------------------------------------

    def set_rights(self, rights: qr.QuoteRights) -> None:
        if rights == self.rights:
            return
        self.rights = rights
        for hook in self.on_rights_changed:
            hook(rights)
        s2c = Notify_pb2.S2C(type=N_QOT_RIGHT)
        self._right_fields(s2c.qotRight)
        self.notify(s2c)
        log.info("quote rights now %s", rights)

    def take_quote_right(self) -> None:
        """Another device (phone, desktop) takes the quote right: HK falls to BMP, US to NO."""
        hk = qr.BMP if self.granted.HK != qr.NO else qr.NO
        self.set_rights(self.rights.replace(HK=hk, US=qr.NO))

    def give_back_quote_right(self) -> None:
        """The other device logs out: OpenD holds the account's own rights again."""
        self.set_rights(self.granted)

    def set_connection(self, quote: bool, trade: bool) -> None:
        """OpenD loses (or regains) its connection to Futu's quote / trade servers."""
        if (quote, trade) == (self.qot_logined, self.trd_logined):
            return
        self.qot_logined, self.trd_logined = quote, trade
        s2c = Notify_pb2.S2C(type=N_CONN_STATUS)
        s2c.connectStatus.qotLogined, s2c.connectStatus.trdLogined = quote, trade
        self.notify(s2c)
        log.info("connection to Futu: quote %s, trade %s", "up" if quote else "down", "up" if trade else "down")

    def force_logout(self, desc: str = "your account logged in on another device") -> None:
        """The account is logged out (kicked out): a gateway event, then no quotes and no trading."""
        ev = Notify_pb2.S2C(type=N_GTW_EVENT)
        ev.event.eventType, ev.event.desc = GTW_KICKED_OUT, desc
        self.notify(ev)
        self.program_status, self.status_desc = STATUS_FORCE_LOGOUT, desc
        st = Notify_pb2.S2C(type=N_PROGRAM_STATUS)
        st.programStatus.programStatus.type, st.programStatus.programStatus.strExtDesc = STATUS_FORCE_LOGOUT, desc
        self.notify(st)
        self.set_connection(False, False)

    def log_back_in(self) -> None:
        """After a forced logout: logged in again, program READY."""
        self.program_status, self.status_desc = STATUS_READY, ""
        st = Notify_pb2.S2C(type=N_PROGRAM_STATUS)
        st.programStatus.programStatus.type = STATUS_READY
        self.notify(st)
        self.set_connection(True, True)

    # -- history K-line quota -------------------------------------------------------------

    def _sweep(self) -> None:
        cutoff = self.clock() - self.history_period
        for code in [c for c, (t, _) in self.kl_used.items() if t <= cutoff]:
            del self.kl_used[code]

    def history_used(self) -> int:
        self._sweep()
        return len(self.kl_used)

    def charge_history(self, inst: Instrument) -> None:
        """Count `inst` against the history-K-line quota, or refuse as OpenD does when it is spent."""
        self._sweep()
        if inst.code in self.kl_used:
            return
        used = len(self.kl_used)
        if used >= self.history_quota:
            oldest = min((t for t, _ in self.kl_used.values()), default=self.clock())
            frees = max(0.0, oldest + self.history_period - self.clock())
            raise ServiceError(
                f"history K-line quota insufficient: {used} of {self.history_quota} codes used in the last "
                f"{_span(self.history_period)}; {inst.code} would be a new one (the next unit frees in {_span(frees)})")
        self.kl_used[inst.code] = (self.clock(), inst)
        s2c = Notify_pb2.S2C(type=N_USED_QUOTA)
        s2c.usedQuota.usedKLineQuota = used + 1
        self.notify(s2c)

    # -- handlers -------------------------------------------------------------------------

    def _user_info(self, session: Session, c2s: GetUserInfo_pb2.C2S) -> GetUserInfo_pb2.S2C:
        flag = c2s.flag if c2s.HasField("flag") and c2s.flag else ~0
        s2c = GetUserInfo_pb2.S2C()
        if flag & 1:
            s2c.nickName, s2c.userID, s2c.avatarUrl = "sim-trader", LOGIN_USER_ID, ""
        if flag & 4:
            self._right_fields(s2c)
        if flag & 8:
            s2c.isNeedAgreeDisclaimer = False
        if flag & 16:
            s2c.updateType = 0
        s2c.subQuota, s2c.historyKLQuota = self.sub_quota, self.history_quota
        s2c.userAttribution = 1
        return s2c

    def _kl_quota(self, session: Session,
                  c2s: Qot_RequestHistoryKLQuota_pb2.C2S) -> Qot_RequestHistoryKLQuota_pb2.S2C:
        used = self.history_used()
        s2c = Qot_RequestHistoryKLQuota_pb2.S2C(usedQuota=used, remainQuota=max(0, self.history_quota - used))
        if c2s.bGetDetail:
            for code, (t, inst) in sorted(self.kl_used.items(), key=lambda kv: kv[1][0]):
                s2c.detailList.add(security=qm.security(inst), name=inst.name,
                                   requestTime=qm.local_time(inst.market, t), requestTimeStamp=int(t))
        return s2c


def _span(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:g} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds:.0f} s"
