"""The WebSocket message input under the log: text, JSON (checked first) or binary (hex), Enter sends."""

from __future__ import annotations

import json

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, Select

KINDS = (("text", "text"), ("JSON", "json"), ("hex", "hex"))


def encoded(kind: str, text: str) -> tuple[bytes, bool]:
    """The message to send and whether it is binary; ValueError (one sentence) when the text does not fit."""
    if not text:
        raise ValueError("Not sent: the message is empty.")
    if kind == "json":
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"Not sent: not valid JSON ({error.msg} at column {error.colno}).") from None
        return text.encode(), False
    if kind == "hex":
        try:
            return bytes.fromhex(text), True
        except ValueError:
            raise ValueError("Not sent: hex is pairs of digits 0-9 and a-f, spaces allowed (e.g. 01 ff).") from None
    return text.encode(), False


class MessageBar(Horizontal):
    """Shown while a WebSocket is open; it posts what to send."""

    DEFAULT_CSS = """
    MessageBar { height: 1; display: none; }
    MessageBar #message-kind { width: 10; margin-right: 1; }
    MessageBar #message { width: 1fr; margin-right: 1; }
    MessageBar Button { min-width: 6; }
    """

    class Send(Message):
        """Send this message on the open WebSocket."""

        def __init__(self, data: bytes, binary: bool) -> None:
            super().__init__()
            self.data, self.binary = data, binary

    class Refused(Message):
        """The text could not be sent as the chosen kind: say why."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def compose(self) -> ComposeResult:
        yield Select(KINDS, value="text", allow_blank=False, compact=True, id="message-kind",
                     tooltip="send as text, JSON (checked first) or binary (hex)")
        yield Input(placeholder="message to send on the WebSocket, Enter sends", compact=True, id="message")
        yield Button("Send", compact=True, id="message-send", variant="primary")

    @on(Input.Submitted, "#message")
    @on(Button.Pressed, "#message-send")
    def send(self, event: Input.Submitted | Button.Pressed | None = None) -> None:
        if event is not None:
            event.stop()
        field = self.query_one("#message", Input)
        try:
            data, binary = encoded(str(self.query_one("#message-kind", Select).value), field.value)
        except ValueError as error:
            self.post_message(self.Refused(str(error)))
            return
        self.post_message(self.Send(data, binary))
        field.value = ""
