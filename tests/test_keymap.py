"""Settings the trader keeps: the [keys] table remaps bindings (checked when the file is
read), theme and colours are remembered in prefs.json unless the config gives them, and the
help screen lists every key the app, its panels, their sub-tabs and its screens declare."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Input

from protocol.client import OpenDClient
from protocol.gateway.sim import SimThread
from workstation import cli
from workstation import config as cfg
from workstation.app import FutuTui
from workstation.config import Watchlist as WatchlistFile
from workstation.journal import Journal
from workstation.keymap import own_bindings, workstation_classes
from workstation.orders import fmt, nudge_price
from workstation.prefs import Prefs
from workstation.screens.order import OrderForm
from workstation.screens.help import HelpScreen
from tests.test_app import text_of, wait_until

CODES = ["HK.00700", "US.AAPL"]


def write_config(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load(path, **flags):
    return cfg.load(flags, env={}, path=path)


def make_app(sim, tmp_path, config, prefs_path=None) -> FutuTui:
    wl = WatchlistFile(tmp_path / "watchlist.json")
    wl.save(CODES)
    port = sim.sim.port
    config = cfg.replace(config, port=port)
    return FutuTui(config, lambda: OpenDClient("127.0.0.1", port), watchlist_file=wl, journal=Journal(tmp_path),
                   prefs=Prefs(prefs_path or tmp_path / "prefs.json"))


@pytest.fixture(scope="module")
def sim():
    thread = SimThread(seed=5)
    thread.start()
    yield thread
    thread.stop()


# -- the [keys] table as the config file gives it ------------------------------------------------


@pytest.mark.parametrize("entry, words", [
    ('"app.themes" = "T"', ["keys.app.themes is not a binding id", "did you mean app.theme?"]),
    ('"app.theme" = "ctrl+foo"', ["keys.app.theme", "'foo' is not a key name"]),
    ('"app.theme" = "ctl+t"', ["keys.app.theme", "'ctl' is not a modifier"]),
    ('"app.theme" = ""', ["keys.app.theme must be keys as text"]),
    ('"app.theme" = 5', ["keys.app.theme must be keys as text"]),
    ('"app.theme" = "t,,T"', ["keys.app.theme must be 1 to 8 keys"]),
    ('"app.unlock" = "U"', ["keys.app.unlock shares its key with app.lock"]),
    ('"app.theme" = "b"', ["keys.app.theme 'b' is already the key of app.buy"]),
])
def test_a_bad_keys_entry_stops_the_start_naming_the_entry_and_the_file(tmp_path, capsys, entry, words):
    path = write_config(tmp_path, f"[keys]\n{entry}\n")
    assert cli.main(["--config", str(path), "--print-config"]) == 2
    err = capsys.readouterr().err
    assert f"(from the config file {path})" in err and "Traceback" not in err
    for w in words:
        assert w in err


def test_keys_must_be_a_table_and_print_config_shows_the_keymap(tmp_path, capsys):
    path = write_config(tmp_path, 'keys = "T"\n')
    assert cli.main(["--config", str(path), "--print-config"]) == 2
    assert "keys must be a table" in capsys.readouterr().err
    path = write_config(tmp_path, '[keys]\n"app.theme" = "T"\n"app.unlock" = "U"\n"app.lock" = "U"\n')
    assert cli.main(["--config", str(path), "--print-config"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["keys"] == {"app.theme": "T", "app.unlock": "U", "app.lock": "U"}


def test_explicit_names_what_a_flag_the_environment_or_the_file_gave(tmp_path):
    path = write_config(tmp_path, 'theme = "light"\n')
    config = cfg.load({"seed": 3}, env={"FUTU_TUI_COLORS": "green-up"}, path=path)
    assert set(config.explicit) == {"theme", "colors", "seed"}
    assert load(tmp_path / "missing.toml").explicit == ()


# -- through the app ------------------------------------------------------------------------------


@pytest.mark.slow
async def test_a_remapped_key_runs_its_action_and_the_old_key_no_longer_does(sim, tmp_path):
    config = load(write_config(tmp_path, '[keys]\n"app.theme" = "T"\n"app.help" = "f1"\n"form.price_up" = "f7"\n'))
    app = make_app(sim, tmp_path, config)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.palette == "dark"
        await pilot.press("t")
        await pilot.pause()
        assert app.palette == "dark"  # t is no longer the theme key
        await pilot.press("T")
        await wait_until(pilot, lambda: app.palette == "light", what="T to change the theme")
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="f1 to open the help")
        text = text_of(app.screen.query_one("Static"), width=110)
        theme_line = next(line for line in text.splitlines() if "Theme" in line)
        assert theme_line.split()[0] == "T"  # the help shows the key as remapped
        assert any(line.split()[:1] == ["f7"] and "Price +1 tick" in line for line in text.splitlines())
        await pilot.press("escape")
        # a screen's binding moves too: f7 nudges the order form's price, ctrl+up no longer does
        await wait_until(pilot, lambda: app.trading_ready() and app.store.quote(CODES[0]).ask > 0, what="trading ready")
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderForm) and app.screen.query("#price"), what="the form")
        price = app.screen.query_one("#price", Input)
        await wait_until(pilot, lambda: price.value not in ("", "0"), what="a prefilled price")
        before = price.value
        await pilot.press("ctrl+up")
        await pilot.pause()
        assert price.value == before
        await pilot.press("f7")
        await wait_until(pilot, lambda: price.value == fmt(nudge_price(CODES[0], float(before), 1)), what="one tick up")


@pytest.mark.slow
async def test_theme_colours_and_the_narrow_panel_come_back_from_prefs_unless_the_config_gives_them(sim, tmp_path):
    prefs_path = tmp_path / "prefs.json"
    app = make_app(sim, tmp_path, load(tmp_path / "none.toml"), prefs_path)
    async with app.run_test(size=(80, 24)) as pilot:  # narrow: one panel at a time
        await pilot.press("t", "t", "u", "2")  # dark -> light -> contrast; red-up -> green-up; the chart
        await wait_until(pilot, lambda: (app.palette, app.convention, app.active_panel) == ("contrast", "green-up", "chart"),
                         what="t t u 2")
    saved = json.loads(prefs_path.read_text())
    assert (saved["theme"], saved["colors"], saved["layout"]) == ("contrast", "green-up", "chart")

    again = make_app(sim, tmp_path, load(tmp_path / "none.toml"), prefs_path)
    async with again.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: again.panel_tabs.active == "tab-chart", what="the chart tab restored")
        assert (again.palette, again.convention, again.theme) == ("contrast", "green-up", "contrast-green-up")
        assert again.active_panel == "chart" and again.chart.has_class("-active")
        assert not again.watchlist.has_class("-active")
        await wait_until(pilot, lambda: again.focused is again.chart.focus_target, what="the chart focused")

    # The config file names a theme: it wins; colours it does not name still come from prefs.
    explicit = make_app(sim, tmp_path, load(write_config(tmp_path, 'theme = "dark"\n')), prefs_path)
    async with explicit.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert (explicit.palette, explicit.convention, explicit.theme) == ("dark", "green-up", "dark-green-up")
    # ...and so does a flag (resolved when the app is built).
    flagged = make_app(sim, tmp_path, cfg.load({"colors": "red-up"}, env={}, path=tmp_path / "none.toml"), prefs_path)
    assert (flagged.palette, flagged.convention) == ("contrast", "red-up")


@pytest.mark.slow
async def test_help_lists_every_declared_key_the_forms_the_palette_and_the_sub_tabs(sim, tmp_path):
    app = make_app(sim, tmp_path, load(tmp_path / "none.toml"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help")
        text = text_of(app.screen.query_one("Static"), width=110)
    lines = text.splitlines()
    titles = [line.strip() for line in lines]
    for title in ("Workstation", "Account", "Order form", "Modify form", "Confirm"):
        assert title in titles, title
    # every binding any class of the app declares is listed, by its description
    for cls in workstation_classes():
        for b in own_bindings(cls):
            assert b.description in text, f"{cls.__name__}: {b.description}"
    row = {line.split(maxsplit=1)[1].strip() if len(line.split(maxsplit=1)) > 1 else "": line.split()[0]
           for line in lines if line.strip()}
    assert row.get("palette") == "^p"  # the command palette, ctrl+p
    assert row.get("Send") == "enter"  # the forms' Enter
    # the account sub-tabs: their Tabs widget's keys, read from its BINDINGS
    account = text[text.index("Account"):text.index("Capital") if "Capital" in text else None]
    assert "Previous tab" in account and "Next tab" in account
