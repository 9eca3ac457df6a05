"""The futu-tui App: panels, bindings, the flush timer, screens and the command palette."""

from __future__ import annotations

import gc
import logging
import time
from collections import deque
from collections.abc import Callable

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.widgets import Tab, Tabs
from textual.worker import Worker, WorkerState

import themes
from protocol.client import ConnState, OpenDClient
from protocol.codes import valid_code
from workstation.config import Config, Watchlist as WatchlistFile
from workstation.feed import Feed
from workstation.journal import Journal
from workstation.prefs import Prefs
from workstation.hours_actions import HoursActions
from workstation.detail_actions import DetailActions
from workstation.settings_actions import SettingsActions
from workstation.watch_groups import WatchGroups
from workstation.watch_reads import load_index
from workstation.trading_actions import TradingActions
from workstation.commands import WorkstationCommands
from workstation.notices import Notices
from workstation.secrets import core_dumps_off, core_dumps_restored
from workstation.messages import AccountChanged, FeedNotice, FeedStateChanged, FillReceived, OrderUpdated
from workstation.screens.rights import RightsScreen
from workstation.screens.symbol import SymbolSearch
from workstation import panels as registry, strip_cycles
from workstation.panels import PanelRef
from workstation.store import Store
from workstation.trading.messages import TradingLocked, TradingOutcome, TradingUnlocked, UnlockForgotten
from workstation.widgets.chart import ChartPanel
from workstation.widgets.footer import KeyBar
from workstation.widgets.panel import Follow, Panel
from workstation.widgets.statusbar import StatusBar
from workstation.widgets.watchlist import Watchlist

NARROW_WIDTH, NARROW_HEIGHT = 110, 32
CURSOR_FRAME_WAIT = 0.05  # s a flush waits at most for a moved cursor's frame
FREEZE_AFTER = 5.0  # s after start-up: the long-lived heap is built by then
PLOTS_SETTLE = 0.1  # s the focused code must rest before the chart follows it


class FutuTui(WatchGroups, TradingActions, HoursActions, DetailActions, SettingsActions, App):
    CSS_PATH = themes.CSS_PATH
    TITLE = "futu-tui"
    COMMANDS = App.COMMANDS | {WorkstationCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("slash", "search", "Symbol", id="app.search"),
        Binding("d", "detail", "Detail", show=False, id="app.detail"),  # in help and the palette
        Binding("b", "order(1)", "Buy", id="app.buy"),
        Binding("s", "order(2)", "Sell", id="app.sell"),
        Binding("ctrl+k", "cancel_all", "Cancel all", priority=True, id="app.cancel_all"),
        Binding("E", "switch_env", "SIM/REAL", id="app.env"),
        # L unlocks while REAL is locked and locks while it is unlocked: the footer shows which.
        Binding("L", "unlock", "Unlock", id="app.unlock"),
        Binding("L", "lock", "Lock", id="app.lock"),
        Binding("A", "accounts", "Accounts", id="app.accounts"),
        Binding("t", "cycle_palette", "Theme", id="app.theme"),
        Binding("u", "toggle_convention", "Up colour", id="app.colors"),
        Binding("Q", "rights", "Rights/quota", id="app.rights"),
        Binding("X", "export", "Export CSV", show=False, id="app.export"),
        Binding("ctrl+p", "command_palette", "palette", show=False, priority=True, id="app.palette",
                tooltip="Open the command palette"),  # Textual's own, given an id so [keys] can move it
        Binding("S", "use_simulator", "Simulator", show=False, id="app.simulator"),
        *[Binding(str(i + 1), f"show_panel('{p.key}')", p.title, show=False, id=f"app.panel.{p.key}")
          for i, p in enumerate(registry.PANELS[:9])],
        Binding("tab", "next_panel", "Next panel", show=False, id="app.next_panel"),
    ]
    watchlist, chart, book = PanelRef(), PanelRef(), PanelRef()
    account, flow, tape = PanelRef(), PanelRef(), PanelRef()

    def __init__(self, config: Config, client_factory: Callable[[], OpenDClient],
                 watchlist_file: WatchlistFile | None = None, start_sim: Callable[[], int] | None = None,
                 journal: Journal | None = None, prefs: Prefs | None = None) -> None:
        super().__init__()
        strip_cycles.install()  # frames must not leave reference cycles for the collector
        self.config = config
        self.prefs = prefs or Prefs()  # in memory unless the caller gives it a file
        self.store = Store()
        self.client_factory = client_factory
        self.start_sim = start_sim
        self.journal = journal or Journal()
        self.feed = self._new_feed(client_factory())
        self.watchlist_file = watchlist_file or WatchlistFile()
        self.watchlist_codes = self.watchlist_file.load()
        self.palette, self.convention = self.remembered_theme()
        self.focus_code: str | None = None
        self.active_panel = "watchlist"
        self.universe: list = []  # a search.SymbolIndex once loaded
        self.panel_types = tuple(registry.PANELS)
        self.panels: dict[str, Panel] = {}  # by key, in tab order
        self._outage_reasons: set[str] = set()  # reasons already notified during this outage
        self._plots_timer = None  # pending: the chart and flow catch up with the focused code
        self.cursor_moved_at = 0.0  # monotonic time focus moved, until its frame is drawn
        self.keys_to_main: deque = deque(maxlen=32)  # see TradingActions.on_event
        self.notices = Notices(self)
        self.journal_problem: str | None = None  # why orders cannot be journalled (trading is off)
        self._opend_seen = -1  # store.opend.version last shown

    def _new_feed(self, client: OpenDClient) -> Feed:
        return Feed(client, self.store, self.post_message, self.journal, self.config.relock_minutes * 60)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """Our variables exist before the first theme is applied (the CSS refers to them)."""
        return {**super().get_theme_variable_defaults(), **themes.build_themes()[0].variables}

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.panels = {cls.key: cls(self.store, id=cls.key) for cls in self.panel_types}
        self.panel_tabs = Tabs(*[Tab(p.title, id=f"tab-{key}") for key, p in self.panels.items()], id="panel-tabs")
        yield self.panel_tabs
        with Container(id="main"):
            for panel in sorted(self.panels.values(), key=lambda p: p.cell):  # the grid fills row by row
                panel.add_class("panel")
                panel.border_title = panel.title
                yield panel
        self.status = StatusBar(id="status")
        yield self.status
        yield KeyBar()

    def on_mount(self) -> None:
        for theme in themes.build_themes():
            self.register_theme(theme)
        self.theme = themes.theme_name(self.palette, self.convention)
        self.attach_hours()
        self.watchlist.set_codes(self.watchlist_codes)
        self.feed.set_watchlist(self.watchlist_codes)
        if self.watchlist_codes:
            self.choose(self.watchlist_codes[0])
        self.watchlist.focus()
        self._layout_for(self.size.width, self.size.height)
        self.restore_panel()
        self.apply_keymap()
        self.set_interval(1 / self.config.flush_hz, self.flush, name="flush")
        self.set_interval(1.0, self.tick_status, name="status")
        self.set_timer(FREEZE_AFTER, self._freeze_heap, name="freeze the start-up heap")
        self.journal_problem = self.journal.writable()
        if self.journal_problem:
            self.status.banner = f"TRADING OFF: {self.journal_problem}"
            self.notify(f"Trading is off: {self.journal_problem}. Quotes keep working.", severity="error", timeout=15)
        self.start_feed()

    def _freeze_heap(self) -> None:
        """What start-up built (modules, the universe, history, widgets) lives for the whole
        session: move it out of the cyclic collector's sight. Otherwise every full collection
        walks it all and stalls the screen for ~50 ms, several times a minute under load."""
        gc.collect()
        gc.freeze()

    def on_unmount(self) -> None:
        gc.unfreeze()  # what the app held can be collected once it is gone

    def start_feed(self) -> None:
        self.run_worker(self.feed.run(), name="feed", group="feed", exclusive=True, exit_on_error=False,
                        description="hold the OpenD connection and apply pushes")

    def on_resize(self, event) -> None:
        self._layout_for(event.size.width, event.size.height)

    def _layout_for(self, width: int, height: int) -> None:
        """Below ~110x32 the panels collapse into tabs: one panel at a time."""
        narrow = width < NARROW_WIDTH or height < NARROW_HEIGHT
        if not self.screen_stack:  # the app is shutting down
            return
        self.screen_stack[0].set_class(narrow, "-narrow")
        for key, panel in self.panels.items():
            panel.set_class(key == self.active_panel, "-active")

    @property
    def narrow(self) -> bool:
        return bool(self.screen_stack) and self.screen_stack[0].has_class("-narrow")

    def is_visible(self, key: str) -> bool:
        return not self.narrow or key == self.active_panel

    # -- the flush timer -----------------------------------------------------------------

    def flush(self) -> None:
        """Repaint what changed since the last flush; hidden panels catch up when shown.
        Not while a moved cursor waits for its frame (that frame stays two rows), unless
        the wait is over (the after-frame callback can be lost with a closing screen)."""
        if self.cursor_moved_at and time.monotonic() - self.cursor_moved_at < CURSOR_FRAME_WAIT:
            return
        self._follow_focus()
        changes = self.store.take_dirty()
        narrow, active = self.narrow, self.active_panel
        with self.batch_update():
            for key, panel in self.panels.items():
                if (not narrow or key == active) and panel.changed(changes):
                    panel.refresh_from(changes)

    def tick_status(self) -> None:
        s = self.status
        s.last_push = self.store.last_push
        s.quota = (self.feed.quota_used, self.feed.quota_total)
        acc = self.trading.accounts.active
        s.account = acc.label if acc else ""
        s.env = "REAL" if acc and acc.env == 1 else "SIM"
        s.opend = self.store.opend
        if self.store.opend.version != self._opend_seen:  # rights changed: rows say so (or stop saying so)
            self._opend_seen = self.store.opend.version
            self.watchlist.repaint_all()
        s.render_status()
        self._show_staleness()
        self.check_relock()
        self.notices.dropped(self.store.rejected, self.store.last_rejected, s.mono_clock())

    def _show_staleness(self) -> None:
        """Each focused panel's data age in its border; dim what is old or cut off (1 Hz).
        Uses the status bar's clock, which snapshot tests freeze."""
        online = self.status.state is ConnState.READY
        opend = self.store.opend  # OpenD's own login and the focused code's quote right count too
        live = online and opend.live(self.focus_code)
        now = self.status.mono_clock()
        for panel in self.panels.values():
            if panel.key == "account":
                up = online and opend.trd_logined
            elif panel.follows is Follow.NONE:
                up = online and opend.qot_logined
            else:
                up = live
            panel.show_age(now, up)

    def refresh_all(self) -> None:
        for panel in self.panels.values():
            panel.redraw()

    # -- symbol and period ---------------------------------------------------------------

    def choose(self, code: str) -> None:
        """The focused code changes at once (an order form reads it); book, tape and capital
        flow follow in the next frame, the chart (tens of ms to build) once it has rested, so
        that holding an arrow key down the watchlist moves the cursor at key speed."""
        if code == self.focus_code:
            return
        first = self.focus_code is None
        self.focus_code = code
        self.status.market = code.partition(".")[0]
        self.feed.focus(code, self.chart.period)
        self.cursor_moved_at = time.monotonic()
        self.call_after_refresh(self._follow_focus)  # the frame that moves the cursor goes out first
        if self._plots_timer is not None:
            self._plots_timer.stop()
            self._plots_timer = None
        if first:
            self._show_plots()
        else:
            self._plots_timer = self.set_timer(PLOTS_SETTLE, self._show_plots, name="plots follow focus")
        self._show_staleness()

    def _follow_focus(self) -> None:
        """Book, tape and capital flow redraw for the focused code a frame after the cursor
        moved: that frame then carries two watchlist rows instead of three whole panels, and
        the key shows at once. Whatever reads the focused code (an order form) reads
        `focus_code`, which is already set. The flush calls it too, in case the callback
        was lost with a screen that closed before its next frame."""
        self.cursor_moved_at = 0.0
        code = self.focus_code
        moved = False
        for panel in self.panels.values():
            if panel.follows is Follow.AT_ONCE and panel.code != code:
                panel.show(code)
                moved = True
        if moved:  # their new code's grace starts with it: no dimmed frame on a code just focused
            self._show_staleness()

    def _show_plots(self) -> None:
        self._plots_timer = None
        for panel in self.panels.values():
            if panel.follows is Follow.SETTLED and panel.code != self.focus_code:
                panel.show(self.focus_code)
        self._show_staleness()

    def set_period(self, period: str) -> None:
        self.chart.show(self.focus_code, period)
        if self.focus_code:
            self.feed.focus(self.focus_code, period)

    @on(Watchlist.SymbolChosen)
    def _symbol_chosen(self, event: Watchlist.SymbolChosen) -> None:
        self.choose(event.code)

    @on(ChartPanel.PeriodChanged)
    def _period_changed(self, event: ChartPanel.PeriodChanged) -> None:
        self.feed.charts.view = event.view  # its subscriptions and reads follow the chart's view
        if self.focus_code:
            self.feed.focus(self.focus_code, event.period)

    # -- watchlist edits -------------------------------------------------------------------

    @on(Watchlist.AddRequested)
    def _add_requested(self) -> None:
        self._pick_symbol("Add to watchlist", self.add_symbol)

    @on(Watchlist.RemoveRequested)
    def _remove_requested(self, event: Watchlist.RemoveRequested) -> None:
        self.remove_symbol(event.code)

    def add_symbol(self, code: str | None) -> None:
        if not valid_code(code) or code in self.watchlist_codes:
            return
        self.watchlist_codes.append(code)
        self._watchlist_changed()
        self.notify(f"added {code}", timeout=2)

    def remove_symbol(self, code: str) -> None:
        if code not in self.watchlist_codes:
            return
        self.watchlist_codes.remove(code)
        self._watchlist_changed()
        self.notify(f"removed {code}", timeout=2)

    def _watchlist_changed(self) -> None:
        self.watchlist_file.save(self.watchlist_codes)
        self.show_local()  # unless a Futu group's tab is shown

    # -- actions -------------------------------------------------------------------------

    def action_rights(self) -> None:
        self.push_screen(RightsScreen(self.store.opend, lambda: (self.feed.quota_used, self.feed.quota_total)))

    def action_search(self) -> None:
        self._pick_symbol("Go to symbol", lambda code: code and self.choose(code))

    @work(group="universe", exclusive=True)
    async def _pick_symbol(self, title: str, then: Callable[[str | None], object]) -> None:
        if not self.universe and self.feed.client.ready:
            try:
                self.universe = await load_index(self.feed.client)
            except Exception as exc:  # offline: still allow typing a code by hand
                self.notify(f"symbol list unavailable: {exc}", severity="warning")
        choices = self.universe or [(c, self.store.names.get(c, "")) for c in self.watchlist_codes]
        self.push_screen(SymbolSearch(choices, title), then)

    def action_show_panel(self, key: str) -> None:
        self.active_panel = key
        if self.narrow:
            self.prefs.set("layout", key)  # the panel on screen when there is room for one
        self._layout_for(self.size.width, self.size.height)
        self.panel_tabs.active = f"tab-{key}"
        if not self._focus_active():  # a panel just shown is focusable once restyled
            self.call_after_refresh(self._focus_active)
        self.refresh_all()

    def _focus_active(self) -> bool:
        target = self.panels[self.active_panel].focus_target
        if target.focusable:
            target.focus()
        return target.focusable

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Trading keys are shown dimmed while there is no connection or no account."""
        if action in ("order", "cancel_all", "switch_env", "accounts"):
            return True if self.trading_ready() else None
        if action == "unlock":  # False while unlocked: hidden, and L falls through to "lock"
            if self.trading.accounts.unlocked:
                return False
            return True if self.trading_ready() and self.trading.accounts.real() else None
        if action == "lock":
            return True if self.trading.accounts.unlocked else False
        return True

    def action_next_panel(self) -> None:
        keys = list(self.panels)
        self.action_show_panel(keys[(keys.index(self.active_panel) + 1) % len(keys)])

    @on(Tabs.TabActivated, "#panel-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        key = event.tab.id.removeprefix("tab-") if event.tab and event.tab.id else None
        if key and key != self.active_panel:
            self.action_show_panel(key)

    async def action_use_simulator(self) -> None:
        """One key when OpenD is unreachable: switch to the built-in simulator."""
        if self.start_sim is None or self.feed.client.ready:
            return
        port = self.start_sim()
        await self.feed.stop()
        client = self.client_factory()
        client.host, client.port, client.rsa = "127.0.0.1", port, None
        self.feed = self._new_feed(client)
        self.feed.set_watchlist(self.watchlist_codes)
        self._period_changed(ChartPanel.PeriodChanged(self.chart.period, self.chart.view))  # the code, period and view
        self.start_feed()
        self.notify("switched to the simulated OpenD", timeout=3)

    # -- feed events ---------------------------------------------------------------------

    @on(FeedStateChanged)
    def _feed_state(self, event: FeedStateChanged) -> None:
        was_ready = self.status.state is ConnState.READY
        # While reconnecting, the bar keeps saying why the link was lost.
        keep = event.state is ConnState.CONNECTING and self.status.down_since is not None
        self.status.state, self.status.reason = event.state, self.status.reason if keep else event.reason
        if event.state is ConnState.READY:
            self.status.down_since = None
        elif was_ready or (event.state is ConnState.LOST and self.status.down_since is None):
            self.status.down_since = self.status.mono_clock()  # connecting at startup is no outage
        self.status.render_status()
        self._show_staleness()
        self.refresh_bindings()
        if event.state is ConnState.LOST:
            # Once per reason per outage: retries every few seconds must not bury the screen.
            if event.reason not in self._outage_reasons:
                self._outage_reasons.add(event.reason)
                hint = "  Press S for the simulator." if self.start_sim and not self.feed.client.info else ""
                self.notify(f"{event.reason}{hint}", severity="warning", timeout=4)
        elif event.state is ConnState.READY:
            self._outage_reasons.clear()
            self.notify(event.reason, timeout=2)

    @on(FeedNotice)
    def _feed_notice(self, event: FeedNotice) -> None:
        self.notify(event.text, severity=event.severity, timeout=event.timeout)

    @on(OrderUpdated)
    def _order_updated(self, event: OrderUpdated) -> None:
        """A status change is an event, not a tick: its row is painted now, not at the next flush."""
        self.store.dirty_account = True
        if self.is_visible("account"):
            self.account.refresh_orders()

    @on(TradingOutcome)
    def _trading_outcome(self, event: TradingOutcome) -> None:
        """Every trading outcome is told once; its text may carry wire strings, so no markup."""
        self.notify(event.text, severity=event.severity, timeout=event.timeout, markup=False)
        if isinstance(event, (TradingLocked, TradingUnlocked, UnlockForgotten)):
            if isinstance(event, (TradingLocked, TradingUnlocked)):
                (core_dumps_off if isinstance(event, TradingUnlocked) else core_dumps_restored)()
            self.refresh_bindings()

    @on(FillReceived)
    def _fill_received(self, event: FillReceived) -> None:
        self.notices.fill(event.fill)

    def action_dismiss_toasts(self) -> None:
        """Take every notification off the screen (palette: "Dismiss notifications")."""
        self.clear_notifications()

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = True) -> None:
        """Every notification is plain text: server words, codes and names are never markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def _handle_exception(self, error: Exception) -> None:
        """A crash is logged with its traceback (and `futu-tui` exits non-zero)."""
        logging.getLogger(__name__).critical("futu-tui crashed", exc_info=error)
        super()._handle_exception(error)

    def refresh_bindings(self) -> None:
        if self.screen_stack:  # feed messages can still arrive while the app shuts down
            super().refresh_bindings()

    @on(AccountChanged)
    def _account_changed(self) -> None:
        self.tick_status()
        self.show_env()
        self.refresh_bindings()  # trading keys light up once there is an account

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        """A trader's session never ends because the feed hiccupped: restart it."""
        if event.worker.group == "feed" and event.state is WorkerState.ERROR:
            self.notify(f"feed stopped: {event.worker.error!r}; restarting", severity="error")
            self.set_timer(1.0, self.start_feed)
