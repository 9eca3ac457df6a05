"""The `[keys]` table of the config file: binding id -> keys, handed to Textual's keymap
(`App.set_keymap`), and the bindings every class of the app declares, read from their
BINDINGS (the help screen lists them the same way, so a new key shows up by itself).

    [keys]
    "app.theme" = "T"             # one key
    "orders.cancel" = "c,ctrl+x"  # or several, comma-separated

Checked when the file is read: an unknown id, a key Textual cannot name, a key another
binding of the same class already has (Textual would drop that one silently), or a remap
that splits keys bound together (app.unlock and app.lock share L) is a SettingError naming
the file, before anything starts. A panel's key may still shadow an app key while that panel
has focus, as the defaults do (the chart's `e`)."""

from __future__ import annotations

import difflib
import string
from collections.abc import Iterator
from functools import cache

from workstation.config import SettingError

MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
MAX_KEYS = 8  # keys per binding


@cache
def key_names() -> frozenset[str]:
    """Names Textual gives keys: "escape", "f5", "pageup", "question_mark", "a", "A", ..."""
    from textual.keys import Keys, _character_to_key

    names = {k.value.rpartition("+")[2] for k in Keys} - {""}
    names |= {_character_to_key(ch) for ch in string.printable if ch.isprintable() and ch != " "}
    names |= set(string.ascii_letters + string.digits) | {"space"}
    return frozenset(names)


def bad_key(key: str) -> str | None:
    """Why `key` (one key, e.g. "ctrl+shift+x") is not a key Textual can bind, or None."""
    *mods, base = key.split("+") if key != "+" else ["+"]
    if bad := [m for m in mods if m not in MODIFIERS]:
        return f"{bad[0]!r:.30} is not a modifier ({', '.join(MODIFIERS)})"
    if len(mods) != len(set(mods)):
        return "repeats a modifier"
    if base not in key_names() and not (len(base) == 1 and base.isprintable() and base != " "):
        return f"{base!r:.30} is not a key name (e.g. a, T, f5, ctrl+t, escape, pageup, question_mark)"
    return None


def workstation_classes() -> Iterator[type]:
    """Every widget, screen and the App defined in workstation/, once each, in definition order."""
    import workstation.app  # noqa: F401  (imports every panel and screen)
    from textual.dom import DOMNode

    seen: set[type] = set()
    todo = [DOMNode]
    while todo:
        cls = todo.pop(0)
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
                if sub.__module__.startswith("workstation."):
                    yield sub


def own_bindings(cls: type) -> list:
    """The Binding objects a class declares itself (not inherited)."""
    from textual.binding import Binding

    return [b for b in cls.__dict__.get("BINDINGS", ()) if isinstance(b, Binding)]


@cache
def class_bindings() -> tuple[tuple[tuple[str, str], ...], ...]:
    """Per class, its (id, keys) pairs: what one keymap must keep apart."""
    return tuple(tuple((b.id, b.key) for b in own_bindings(cls) if b.id) for cls in workstation_classes())


def binding_groups() -> list[tuple[str, ...]]:
    """Ids declared on the same key in the same class: Textual rebinds a key as a whole."""
    groups = []
    for pairs in class_bindings():
        by_key: dict[str, list[str]] = {}
        for binding_id, key in pairs:
            by_key.setdefault(key, []).append(binding_id)
        groups += [tuple(ids) for ids in by_key.values()]
    return groups


def binding_ids() -> frozenset[str]:
    return frozenset(i for group in binding_groups() for i in group)


def check_keymap(table: object, source: str) -> dict[str, str]:
    """The [keys] table as a keymap, or a SettingError naming the entry and `source`."""
    from textual.keys import _character_to_key

    if not isinstance(table, dict):
        raise SettingError("keys", source, "must be a table: [keys] then lines like \"app.theme\" = \"T\"")
    known = binding_ids()
    keymap: dict[str, str] = {}
    for binding_id, keys in table.items():
        name = f"keys.{binding_id!s:.60}"
        if binding_id not in known:
            near = difflib.get_close_matches(str(binding_id), known, n=1)
            hint = f"did you mean {near[0]}?" if near else f"the ids are: {', '.join(sorted(known))}"
            raise SettingError(name, source, f"is not a binding id; {hint}")
        if not isinstance(keys, str) or not keys.strip():
            raise SettingError(name, source, f"must be keys as text, e.g. \"ctrl+t\" or \"t,T\", not {keys!r:.60}")
        parts = [k.strip() for k in keys.split(",")]
        if len(parts) > MAX_KEYS or not all(parts):
            raise SettingError(name, source, f"must be 1 to {MAX_KEYS} keys separated by commas, not {keys!r:.60}")
        for part in parts:
            if why := bad_key(part):
                raise SettingError(name, source, why)
        keymap[binding_id] = ",".join(parts)
    for group in binding_groups():
        remapped = [i for i in group if i in keymap]
        if remapped and len(remapped) < len(group):
            rest = ", ".join(i for i in group if i not in keymap)
            raise SettingError(f"keys.{remapped[0]}", source, f"shares its key with {rest}: remap them together")
    for pairs in class_bindings():  # a key taken from a neighbour would silently drop the neighbour
        default_of, owner = dict(pairs), {}
        for binding_id, default in pairs:
            for key in keymap.get(binding_id, default).split(","):
                other = owner.setdefault(_character_to_key(key) if len(key) == 1 else key, binding_id)
                if default_of[other] != default and (binding_id in keymap or other in keymap):
                    moved, kept = (binding_id, other) if binding_id in keymap else (other, binding_id)
                    raise SettingError(f"keys.{moved}", source, f"{key!r} is already the key of {kept}")
    return keymap
