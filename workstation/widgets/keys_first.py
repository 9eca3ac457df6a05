"""A focused widget runs the binding of a key as soon as the key reaches it.

Textual runs non-priority bindings only after the key has bubbled from the focused widget
through each of its parents and the screen back to the App: four or five trips through the
message queues. Under load each trip waits behind whatever else is ready (a burst of pushes,
the flush, a frame); a cursor key took ~50 ms to move the cursor at p99.

Here the binding Textual would pick (the screen's active bindings: focused widget first, the
keymap applied, disabled actions skipped) runs at the first stop. Keys keep their order: every
bound key runs at this stop, and once another screen is in front (b opened the order form) the
keys typed before it existed bubble as before, so that the App hands them to the form."""

from __future__ import annotations

from textual import events


class BindingsAtFocus:
    async def handle_key(self, event: events.Key) -> bool:
        screen, app = self.screen, self.app  # type: ignore[attr-defined]
        if screen is app.screen:
            active = screen.active_bindings.get(event.key)
            if active is not None and active.enabled and not active.binding.priority:
                if await app.run_action(active.binding.action, active.node):
                    event.stop()
                    event.prevent_default()
                    return True
        return await super().handle_key(event)  # type: ignore[misc]
