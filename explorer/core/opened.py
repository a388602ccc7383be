"""An open stream: what `open_stream` needs from the HTTP and WebSocket openers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import AsyncIterator, Callable

from .record import Record


def _nothing() -> None:
    return None


@dataclass
class Opened:
    """The response record, the mode's records, a check to run once the body ended cleanly,
    and the records before the response (1xx responses and redirect hops)."""

    response: Record
    records: AsyncIterator[Record]
    after_body: Callable[[], None] = _nothing
    preamble: list[Record] = field(default_factory=list)
