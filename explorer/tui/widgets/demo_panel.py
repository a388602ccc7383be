"""The demo panel: start or stop the embedded server, its address, the catalog, and its event log."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, Label, OptionList, RichLog, Static
from textual.widgets.option_list import Option

from ...core.format import plural
from ...core.sanitize import sanitize
from ...demo.catalog import CATALOG, Endpoint


class DemoPanel(Vertical):
    """Server controls, the endpoint catalog and what to watch."""

    DEFAULT_CSS = """
    DemoPanel { width: 42; border: round $panel; }
    DemoPanel #server-toggle { width: 100%; }
    DemoPanel #server-address { height: auto; padding: 0 1; }
    DemoPanel #catalog { height: 1fr; min-height: 4; text-wrap: nowrap; text-overflow: ellipsis; }
    DemoPanel #watch { height: auto; min-height: 3; max-height: 8; padding: 0 1; color: $text-muted; }
    DemoPanel #server-log { height: 8; border-top: solid $panel; overflow-x: hidden; }
    """

    class ToggleServer(Message):
        """Start the demo server, or stop it."""

    class EntryChosen(Message):
        """The person picked a catalog entry."""

        def __init__(self, endpoint: Endpoint) -> None:
            super().__init__()
            self.endpoint = endpoint

    def compose(self) -> ComposeResult:
        self.border_title = "Demo server"
        yield Button("Start demo server", id="server-toggle", variant="primary", compact=True)
        yield Static(Text("stopped", style="dim"), id="server-address")
        yield OptionList(*self._options(), id="catalog")
        yield Static(Text("Pick an endpoint: Enter fills URL and mode.", style="dim"), id="watch")
        yield Label(Text("server events", style="bold"))
        yield RichLog(id="server-log", max_lines=200, wrap=True, min_width=20, markup=False, highlight=False)

    def _options(self) -> list[Option]:
        options = []
        for index, endpoint in enumerate(CATALOG):
            prompt = Text.assemble((f"{endpoint.mode:<7}", "magenta"), " ", endpoint.title, no_wrap=True,
                                   overflow="ellipsis")
            if endpoint.kind != "finite":
                prompt.append(f" [{endpoint.kind}]", style="dim")
            options.append(Option(prompt, id=str(index)))
        return options

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.ToggleServer())

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_watch(CATALOG[int(event.option.id or 0)])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        endpoint = CATALOG[int(event.option.id or 0)]
        self._show_watch(endpoint)
        self.post_message(self.EntryChosen(endpoint))

    def _show_watch(self, endpoint: Endpoint) -> None:
        text = Text.assemble((endpoint.example, "bold"), "\n", endpoint.watch)
        self.query_one("#watch", Static).update(text)

    def show_server(self, url: str | None) -> None:
        """Reflect the server state: its URL, or stopped."""
        button = self.query_one("#server-toggle", Button)
        address = self.query_one("#server-address", Static)
        if url:
            button.label = "Stop demo server"
            button.variant = "warning"
            address.update(Text.assemble(("● ", "green"), (url, "bold")))
        else:
            button.label = "Start demo server"
            button.variant = "primary"
            address.update(Text("● stopped", style="dim"))

    def log_event(self, event: dict[str, Any]) -> None:
        """One line per stream the server finished (client disconnects included)."""
        stamp = time.strftime("%H:%M:%S", time.localtime(event.get("time", time.time())))
        outcome = str(event.get("outcome", ""))
        style = "green" if outcome == "completed" else "yellow"
        line = Text.assemble(
            (stamp + " ", "dim"),
            (sanitize(str(event.get("path", "")), 60), "bold"),
            " ",
            (sanitize(outcome, 60), style),
            (f" {_chunks(event.get('chunks'))} in {sanitize(str(event.get('seconds')), 20)} s", "dim"),
        )
        self.query_one("#server-log", RichLog).write(line)


def _chunks(count: object) -> str:
    """`1 chunk`, `2 chunks` (a count the server reported)."""
    return plural(count, "chunk") if isinstance(count, int) else f"{sanitize(str(count), 20)} chunks"
