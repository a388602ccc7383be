"""The explorer app: what is app-wide (theme, the embedded demo server, quitting).

Everything a person does with a stream lives on the `MainScreen`; a
comparison is its own `CompareScreen`.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from textual import events, on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from ..options import Options
from . import collector
from .compare import CompareScreen
from .inspector import InspectorScreen
from .main_screen import MainScreen, ServerEvent
from .termination import Termination
from .widgets.ring_log import RingLog

if TYPE_CHECKING:
    from ..demo.catalog import ComparePair
    from ..demo.runner import BackgroundDemoServer


class NoDemoServer:
    """The app's demo server until its first start: not running, and nothing of it loaded.

    The server's modules (aiohttp.web) load when a demo starts, not with the app.
    """

    running = False
    url = ""

    async def stop(self) -> None:
        return None

    def close(self) -> None:
        return None


class ExplorerApp(App[int]):
    """Choose a URL and a read mode, then watch every arrival live."""

    TITLE = "explorer"
    SUB_TITLE = "watch a stream arrive"
    CSS_PATH = Path(__file__).parent / "app.tcss"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(self, options: Options | None = None, *, start: bool = False,
                 compare: ComparePair | tuple[Options, Options] | None = None) -> None:
        super().__init__()
        self.options = options or Options(MainScreen.blank_request())
        self.start_now = start
        self.compare = compare
        self.server: BackgroundDemoServer | NoDemoServer = NoDemoServer()
        self.termination: Termination | None = None

    def on_load(self) -> None:
        collector.install()
        self.termination = Termination(self)  # before the driver starts: it notes the terminal's modes

    def on_mount(self) -> None:
        if self.termination is not None and not self.is_headless:
            self.termination.install()  # SIGTERM and SIGHUP exit through Textual's shutdown

    @on(events.Ready)
    def _ready_to_exit(self) -> None:
        if self.termination is not None:
            self.termination.on_ready()

    @property
    def main(self) -> MainScreen:
        """The main screen (at the bottom of the stack whatever is on top)."""
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.options, start=self.start_now, compare=self.compare)

    def _server_event(self, event: dict[str, Any]) -> None:
        """Called on the demo server's thread: posting a message is the thread-safe way in."""
        with suppress(RuntimeError, IndexError):  # the app is closing: its loop or screens are gone
            self.main.post_message(ServerEvent(event))

    async def start_server(self) -> str | None:
        """Start the demo server if it is not running; its URL, or None (after saying why) if it cannot."""
        if isinstance(self.server, NoDemoServer):
            from ..demo.runner import BackgroundDemoServer

            self.server = BackgroundDemoServer()
            self.server.event_log.subscribe(self._server_event)
        if not self.server.running:
            try:
                await self.server.start()
            except OSError as error:
                self.notify(f"The demo server could not start: {error.strerror or error}.", severity="error",
                            markup=False)
                return None
        return self.server.url

    async def stop_server(self) -> None:
        await self.server.stop()

    async def action_quit(self) -> None:
        """Stop streams and the demo server, then exit."""
        self.workers.cancel_all()
        await self.server.stop()
        self.exit(0)

    @on(RingLog.RowChosen)
    def open_inspector(self, message: RingLog.RowChosen) -> None:
        """Enter on a log row, on any screen: show the row whole."""
        self.push_screen(InspectorScreen(message.row))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, (MainScreen, CompareScreen)):
            yield from screen.system_commands()

    async def on_unmount(self) -> None:
        await self.server.stop()
        self.server.close()
