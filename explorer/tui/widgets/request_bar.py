"""The request bar: URL (with suggestions), read mode, chunk size, start and stop."""

from __future__ import annotations

import re
from urllib.parse import quote

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Select

from ...core.modes import MODES
from ...core.request import DEFAULT_CHUNK_SIZE

# What must not reach the terminal from the URL field: controls (an OSC sequence would retitle it), bidi and
# invisible characters, and lone surrogates (argv bytes that were not UTF-8). Percent-encoded they name the
# same URL: the clients encode them so on the wire.
_UNSHOWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff"
                         "\ud800-\udfff]")


def showable_url(url: str) -> str:
    """`url` with what a terminal would act on percent-encoded (a lone surrogate as the byte it stood for)."""
    return _UNSHOWABLE.sub(_percent, url)


def _percent(match: re.Match[str]) -> str:
    char = match[0]
    errors = "surrogateescape" if "\udc80" <= char <= "\udcff" else "surrogatepass"
    return quote(char.encode("utf-8", errors), safe="")


class RequestBar(Horizontal):
    """URL input, mode select, chunk size, Start and Stop; it posts what the person asked for."""

    DEFAULT_CSS = """
    RequestBar { height: 3; }
    RequestBar #url { width: 1fr; }
    RequestBar #mode { width: 16; }
    RequestBar #chunk-size { width: 10; }
    RequestBar Button { min-width: 9; }
    """

    class StartRequested(Message):
        """Start (or restart) streaming what the bar shows."""

        def __init__(self, url: str, mode: str, chunk_size: int) -> None:
            super().__init__()
            self.url, self.mode, self.chunk_size = url, mode, chunk_size

    class StopRequested(Message):
        """Stop the running stream."""

    class ModeChanged(Message):
        """The person picked another read mode."""

        def __init__(self, mode: str) -> None:
            super().__init__()
            self.mode = mode

    def __init__(self, url: str = "", mode: str = "auto", chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        super().__init__()
        self.initial = (url, mode, chunk_size)
        self.suggestions: list[str] = []

    def compose(self) -> ComposeResult:
        url, mode, chunk_size = self.initial
        yield Input(showable_url(url), placeholder="http(s):// or ws(s):// URL, Enter to start", id="url")
        yield Select([(mode, mode) for mode in MODES], value=mode, allow_blank=False, id="mode",
                     tooltip="read mode")
        yield Input(str(chunk_size), type="integer", id="chunk-size", tooltip="chunk size (chunked mode)")
        yield Button("Start", id="start", variant="success", tooltip="start streaming (ctrl+r)")
        yield Button("Stop", id="stop", variant="error", tooltip="stop streaming (ctrl+k)")

    def suggest(self, urls: list[str]) -> None:
        """Add URLs to the suggestions (newest first, no duplicates).

        `SuggestFromList` copies its list when built, so a new one replaces it.
        """
        for url in reversed(urls):
            if url in self.suggestions:
                self.suggestions.remove(url)
            self.suggestions.insert(0, url)
        self.query_one("#url", Input).suggester = SuggestFromList(self.suggestions, case_sensitive=False)

    @property
    def url(self) -> str:
        return self.query_one("#url", Input).value.strip()

    @property
    def mode(self) -> str:
        return str(self.query_one("#mode", Select).value)

    @property
    def chunk_size(self) -> int:
        try:
            return max(1, int(self.query_one("#chunk-size", Input).value))
        except ValueError:
            return DEFAULT_CHUNK_SIZE

    def fill(self, url: str, mode: str) -> None:
        """Show a URL and mode (a catalog entry or a launch argument)."""
        self.query_one("#url", Input).value = showable_url(url)
        self.query_one("#mode", Select).value = mode

    def request_start(self) -> None:
        self.post_message(self.StartRequested(self.url, self.mode, self.chunk_size))

    @on(Input.Submitted, "#url")
    @on(Button.Pressed, "#start")
    def _start(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.request_start()

    @on(Button.Pressed, "#stop")
    def _stop(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.StopRequested())

    @on(Select.Changed, "#mode")
    def _mode(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.ModeChanged(str(event.value)))
