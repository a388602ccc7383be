"""The time limits of a request, set in the app: idle timeout, max time and the stall threshold.

The same limits as `--idle-timeout`, `--max-time` and `--stall`; they apply
from the next start.
"""

from __future__ import annotations

import dataclasses
import math

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ..core import StreamRequest

# (field, label, may be blank, help)
FIELDS = (
    ("idle_timeout", "Idle timeout (s)", True, "end the stream after this long without data; blank: never"),
    ("max_time", "Max time (s)", True, "end the stream cleanly after this long; blank: never"),
    ("stall_seconds", "Stall threshold (s)", False, "a gap this long (and 5x the median) is a stall"),
)


class LimitsScreen(ModalScreen[StreamRequest | None]):
    """Edit the request's time limits; dismissed with the request changed, or None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    DEFAULT_CSS = """
    LimitsScreen { align: center middle; }
    LimitsScreen > Vertical { width: 72; height: auto; border: round $accent; padding: 0 1; background: $surface; }
    LimitsScreen Grid { grid-size: 2; grid-columns: 22 1fr; grid-rows: 3; height: auto; }
    LimitsScreen Label { padding-top: 1; }
    LimitsScreen .help { color: $text-muted; }
    LimitsScreen #problem { color: $error; height: auto; }
    LimitsScreen Horizontal { height: auto; align-horizontal: right; }
    """

    def __init__(self, request: StreamRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Time limits (apply from the next start)"
            with Grid():
                for name, label, _, _ in FIELDS:
                    value = getattr(self.request, name)
                    yield Label(label)
                    yield Input("" if value is None else f"{value:g}", id=name, placeholder="seconds")
            for _, label, _, help_text in FIELDS:
                yield Static(Text(f"{label}: {help_text}"), classes="help")
            yield Static(id="problem")
            with Horizontal():
                yield Button("Apply", variant="primary", id="apply")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#apply")
    def apply(self) -> None:
        changes: dict[str, float | None] = {}
        for name, label, may_be_blank, _ in FIELDS:
            text = self.query_one(f"#{name}", Input).value.strip()
            if not text and may_be_blank:
                changes[name] = None
                continue
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not math.isfinite(value) or value <= 0:
                self.query_one("#problem", Static).update(Text(f"{label} must be a number of seconds above 0."))
                self.query_one(f"#{name}", Input).focus()
                return
            changes[name] = value
        self.dismiss(dataclasses.replace(self.request, **changes))  # type: ignore[arg-type]
