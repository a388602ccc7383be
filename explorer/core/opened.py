"""An open stream: what `open_stream` needs from the HTTP and WebSocket openers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncIterator, Callable

from .record import Record


def _nothing() -> None:
    return None


@dataclass
class Opened:
    """The response record, the mode's records, and a check to run once the body ended cleanly."""

    response: Record
    records: AsyncIterator[Record]
    after_body: Callable[[], None] = _nothing
