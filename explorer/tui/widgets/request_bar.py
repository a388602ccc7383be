"""The request bar: URL (with suggestions), read mode, chunk size, start and stop.

The URL field takes the width the others leave, never less than a dozen
cells (in a narrow bar the mode select gives up its inner padding); away
from the keyboard it shows the end of a long URL (the path and query,
where demo URLs differ). The chunk size shows in chunked mode only, the
one mode it applies to.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from rich.cells import cell_len
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.geometry import Region
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Select

from ...core.curl import is_curl
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


class UrlField(Input):
    """The URL input: a pasted curl command (lines and all) is imported; up and down walk the history."""

    BINDINGS = [Binding("up", "history(1)", "Older", show=False), Binding("down", "history(-1)", "Newer", show=False)]

    class CurlPasted(Message):
        """A curl command was pasted or entered: import it."""

        def __init__(self, command: str) -> None:
            super().__init__()
            self.command = command

    class HistoryStep(Message):
        """Show the history entry `step` older (1) or newer (-1) than the one shown (from the newest when
        the field shows no entry)."""

        def __init__(self, step: int, from_newest: bool) -> None:
            super().__init__()
            self.step, self.from_newest = step, from_newest

    browsing = False  # the field shows a history entry: up and down go on walking
    recalled = ""  # the text history put in the field

    def _on_paste(self, event: events.Paste) -> None:
        if is_curl(event.text):
            event.stop()
            event.prevent_default()  # Input's own handler would keep the first line
            text = event.text.replace("\r\n", "\n").replace("\r", "\n")  # terminals paste line ends as CR
            self.post_message(self.CurlPasted(text))
        else:
            super()._on_paste(event)

    def action_history(self, step: int) -> None:
        if not self.value.strip() or self.browsing:
            self.post_message(self.HistoryStep(step, from_newest=not self.browsing))


TIGHT_BELOW = 70  # cells: a bar narrower than this draws the mode select without its inner padding


class RequestBar(Horizontal):
    """URL input, mode select, chunk size, Start and Stop; it posts what the person asked for."""

    DEFAULT_CSS = """
    RequestBar { height: 3; }
    RequestBar #url { width: 1fr; min-width: 12; }
    RequestBar #method-button { min-width: 6; width: auto; margin: 0; }
    RequestBar #mode { width: 15; }
    RequestBar #chunk-size { width: 10; padding: 0 1; display: none; }
    RequestBar.-chunked #chunk-size { display: block; }
    RequestBar Button { min-width: 8; }
    RequestBar.-tight #url { padding: 0 1; }
    RequestBar.-tight #method-button { display: none; }  /* F3 (in the footer) opens the editor */
    RequestBar.-tight #mode { width: 13; }
    RequestBar.-tight #mode > SelectCurrent { padding: 0 1; }
    """

    class StartRequested(Message):
        """Start (or restart) streaming what the bar shows."""

        def __init__(self, url: str, mode: str, chunk_size: int) -> None:
            super().__init__()
            self.url, self.mode, self.chunk_size = url, mode, chunk_size

    class StopRequested(Message):
        """Stop the running stream."""

    class EditRequested(Message):
        """Open the request editor."""

    class ModeChanged(Message):
        """The person picked another read mode."""

        def __init__(self, mode: str) -> None:
            super().__init__()
            self.mode = mode

    def __init__(self, url: str = "", mode: str = "auto", chunk_size: int = DEFAULT_CHUNK_SIZE,
                 method: str = "GET") -> None:
        super().__init__()
        self.initial = (url, mode, chunk_size)
        self.method = method
        self.suggestions: list[str] = []

    def compose(self) -> ComposeResult:
        url, mode, chunk_size = self.initial
        self.set_class(mode == "chunked", "-chunked")
        yield Button(self.method, id="method-button", tooltip="edit the request: method, headers, body (F3)")
        yield UrlField(showable_url(url), placeholder="URL or curl command, Enter to start", id="url")
        yield Select([(mode, mode) for mode in MODES], value=mode, allow_blank=False, id="mode",
                     tooltip="read mode")
        yield Input(str(chunk_size), type="integer", id="chunk-size", tooltip="chunk size (chunked mode)")
        yield Button("Start", id="start", variant="success", tooltip="start streaming (ctrl+r)")
        yield Button("Stop", id="stop", variant="error", tooltip="stop streaming (ctrl+g)")

    def on_mount(self) -> None:
        self.call_after_refresh(self.show_url_end)  # once the field has its width

    def on_resize(self) -> None:
        self.set_class(self.size.width < TIGHT_BELOW, "-tight")  # a narrower mode select leaves the URL room
        self.call_after_refresh(self.show_url_end)

    def show_url_end(self) -> None:
        """Scroll the URL field to the end of its text; while the person types in it, to the cursor.

        An Input scrolls when its cursor moves, not when it is resized: this does it for both.
        """
        url = self.query_one("#url", Input)
        if url.has_focus:
            cursor = cell_len(url.value[:url.cursor_position])
            url.scroll_to_region(Region(cursor, 0, 2, 1), force=True, animate=False, immediate=True)
        else:
            url.cursor_position = len(url.value)
            url.scroll_to(x=url.max_scroll_x, animate=False, immediate=True)

    @on(Input.Blurred, "#url")
    def _url_left(self, event: Input.Blurred) -> None:
        event.stop()
        self.show_url_end()

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

    def fill(self, url: str, mode: str, method: str | None = None, *, browsing: bool = False) -> None:
        """Show a URL and mode (a catalog entry, a launch argument, an edit or a history entry), and the method."""
        field = self.query_one("#url", UrlField)
        field.value = showable_url(url)
        field.action_end()
        field.browsing, field.recalled = browsing, field.value
        self.query_one("#mode", Select).value = mode
        if method is not None:
            self.show_method(method)

    def show_method(self, method: str) -> None:
        self.method = method
        self.query_one("#method-button", Button).label = method

    @on(Input.Changed, "#url")
    def _typed(self, event: Input.Changed) -> None:
        field = self.query_one("#url", UrlField)
        if field.browsing and event.value != field.recalled:  # the person edits what history showed
            field.browsing = False

    @on(Button.Pressed, "#method-button")
    def _edit(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.EditRequested())

    def request_start(self) -> None:
        self.post_message(self.StartRequested(self.url, self.mode, self.chunk_size))

    @on(Input.Submitted, "#url")
    @on(Button.Pressed, "#start")
    def _start(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        if is_curl(self.url):  # typed, or pasted on one line
            self.post_message(UrlField.CurlPasted(self.url))
        else:
            self.request_start()

    @on(Button.Pressed, "#stop")
    def _stop(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.StopRequested())

    @on(Select.Changed, "#mode")
    def _mode(self, event: Select.Changed) -> None:
        event.stop()
        self.set_class(event.value == "chunked", "-chunked")
        self.call_after_refresh(self.show_url_end)  # the chunk size came or went: the URL field's width changed
        self.post_message(self.ModeChanged(str(event.value)))
