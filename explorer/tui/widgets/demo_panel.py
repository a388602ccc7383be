"""The demo panel: start or stop the embedded server, its address, the catalog, and its event log.

Without --demo it starts hidden, and its content is built the first time it
shows (`reveal`): until then the first frame need not style it, nor load
RichLog (which brings rich.pretty and attrs). What it is told meanwhile, the
server's address and its events, shows once it is built.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...core.format import plural
from ...core.sanitize import sanitize
from ...demo.catalog import CATALOG, Endpoint

if TYPE_CHECKING:
    from textual.widgets import RichLog

SERVER_LOG_LINES = 200


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

    def __init__(self, *, id: str | None = None, shown: bool = True) -> None:
        super().__init__(id=id)
        self.display = shown
        self._server_told = False  # whether show_server was called: until then the address reads "stopped"
        self._server_url: str | None = None
        self._events: deque[Text] = deque(maxlen=SERVER_LOG_LINES)  # lines logged before the log was built
        self._log: RichLog | None = None

    def compose(self) -> ComposeResult:
        self.border_title = "Demo server"
        if self.display:  # shown from the start: built now, else by `reveal`
            yield from self._content()

    def reveal(self) -> None:
        """Show the panel, building its content the first time."""
        if self._log is None:
            self.mount_all(self._content())
        self.display = True

    def _content(self) -> list[Widget]:
        from textual.widgets import RichLog  # here, not above: see the module's docstring

        self._log = RichLog(id="server-log", max_lines=SERVER_LOG_LINES, wrap=True, min_width=20, markup=False,
                            highlight=False)
        while self._events:
            self._log.write(self._events.popleft())
        button = Button("Start demo server", id="server-toggle", variant="primary", compact=True)
        address = Static(Text("stopped", style="dim"), id="server-address")
        if self._server_told:
            self._show_server(button, address, self._server_url)
        return [button, address, OptionList(*self._options(), id="catalog"),
                Static(Text("Pick an endpoint: Enter fills URL and mode.", style="dim"), id="watch"),
                Label(Text("server events", style="bold")), self._log]

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
        self._server_told, self._server_url = True, url
        if self._log is not None:  # built
            self._show_server(self.query_one("#server-toggle", Button), self.query_one("#server-address", Static), url)

    @staticmethod
    def _show_server(button: Button, address: Static, url: str | None) -> None:
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
        if self._log is None:
            self._events.append(line)
        else:
            self._log.write(line)


def _chunks(count: object) -> str:
    """`1 chunk`, `2 chunks` (a count the server reported)."""
    return plural(count, "chunk") if isinstance(count, int) else f"{sanitize(str(count), 20)} chunks"
