"""The Request tab: the request line and headers as they went out (credentials masked), and the route."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...core.heads import request_lines, request_notes
from ...core.record import SentRequest


def request_text(sent: SentRequest | None) -> Text:
    """The request as sent, as Text (never markup)."""
    if sent is None:
        return Text("No request sent yet: it shows here once the server answers.", style="dim")
    first, *fields = request_lines(sent)
    text = Text(first + "\n", style="bold")
    for line in fields:
        name, _, value = line.partition(": ")
        text.append(name, style="bold cyan")
        text.append(": " + value + "\n")
    text.append("\n" + "\n".join(request_notes(sent)) + "\n", style="dim")
    return text


class RequestView(VerticalScroll, can_focus=True):
    """Shows the last request as sent; scrolls when it is longer than the tab.

    Like HeadersView, it keeps what it is shown before it is mounted and composes with it.
    """

    _sent: SentRequest | None = None

    def compose(self) -> ComposeResult:
        yield Static(request_text(self._sent), id="request-text")

    def show(self, sent: SentRequest | None) -> None:
        self._sent = sent
        for text in self.query("#request-text").results(Static):  # none until composed
            text.update(request_text(sent))
