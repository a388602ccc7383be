"""The request bar: URL (with suggestions), read mode, chunk size, start and stop."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Select

from ...core.request import DEFAULT_CHUNK_SIZE, MODES


class RequestBar(Horizontal):
    """URL input, mode select, chunk size, Start and Stop."""

    DEFAULT_CSS = """
    RequestBar { height: 3; }
    RequestBar #url { width: 1fr; }
    RequestBar #mode { width: 16; }
    RequestBar #chunk-size { width: 10; }
    RequestBar Button { min-width: 9; }
    """

    def __init__(self, url: str = "", mode: str = "auto", chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        super().__init__()
        self._url, self._mode, self._chunk_size = url, mode, chunk_size
        self.suggestions: list[str] = []

    def compose(self) -> ComposeResult:
        yield Input(self._url, placeholder="http(s):// or ws(s):// URL, Enter to start", id="url",
                    suggester=SuggestFromList(self.suggestions, case_sensitive=False))
        yield Select([(mode, mode) for mode in MODES], value=self._mode, allow_blank=False, id="mode",
                     tooltip="read mode")
        yield Input(str(self._chunk_size), type="integer", id="chunk-size", tooltip="chunk size (chunked mode)")
        yield Button("Start", id="start", variant="success", tooltip="start streaming (ctrl+r)")
        yield Button("Stop", id="stop", variant="error", tooltip="stop streaming (ctrl+k)")

    def suggest(self, urls: list[str]) -> None:
        """Add URLs to the suggestions (newest first, no duplicates)."""
        for url in reversed(urls):
            if url in self.suggestions:
                self.suggestions.remove(url)
            self.suggestions.insert(0, url)

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
        self.query_one("#url", Input).value = url
        self.query_one("#mode", Select).value = mode
