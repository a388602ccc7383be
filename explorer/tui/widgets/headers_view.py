"""The response status line and headers, sanitized."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...core import Record
from ...core.format import status_line
from ...core.sanitize import sanitize


def headers_text(response: Record | None) -> Text:
    """Status line and headers as Text (never markup)."""
    if response is None:
        return Text("No response yet.", style="dim")
    text = Text()
    text.append(status_line(response) + "\n", style="bold")
    text.append(sanitize(response.response.url, 500) + "\n\n", style="dim")
    for name, value in response.response.headers.items():
        text.append(sanitize(name, 100), style="bold cyan")
        text.append(": " + sanitize(value, 1000) + "\n")
    return text


class HeadersView(VerticalScroll, can_focus=True):
    """Shows the last response's headers, wrapped, and scrolls when they are more than the tab holds.

    It may be shown a response before it is mounted (the screen mounts it
    after its first frame): it keeps the response and composes with it.
    """

    _response: Record | None = None

    def compose(self) -> ComposeResult:
        yield Static(headers_text(self._response), id="headers-text")

    def show(self, response: Record | None) -> None:
        self._response = response
        for text in self.query("#headers-text").results(Static):  # none until composed
            text.update(headers_text(response))
