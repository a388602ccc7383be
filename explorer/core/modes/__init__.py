"""Read modes: each turns a response (or a WebSocket) into Records.

An HTTP mode is a module with `read(body, ctx, request) -> AsyncIterator[Record]`;
it stamps each record the instant its read returns, passes gaps to
`ctx.timing`, tallies its totals on `ctx`, and raises `StreamError` for
problems it detects itself. Adding a mode: write its module, then add one
`ModeInfo` line to `REGISTRY`. Faces read the traits and never list mode names.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, AsyncIterator, Callable

if TYPE_CHECKING:
    from ..body import Body
    from ..context import StreamContext
    from ..record import Record
    from ..request import StreamRequest

    HttpMode = Callable[[Body, StreamContext, StreamRequest], AsyncIterator[Record]]


@dataclass(frozen=True)
class ModeInfo:
    """A read mode and its traits."""

    name: str
    help: str
    derives: bool = False  # yields records of its own (event, sse) between the chunks it read
    events: bool = False  # has something for the event view
    raw_bytes: bool = False  # reads the body as sent, Content-Encoding not decoded
    websocket: bool = False  # not an HTTP body reader: talks WebSocket

    def reader(self) -> HttpMode:
        """The mode's `read` function (imported on first use: `--help` loads no network library)."""
        return importlib.import_module(f"{__name__}.{self.name}").read


REGISTRY: dict[str, ModeInfo] = {info.name: info for info in (
    ModeInfo("auto", "picks a mode from the scheme and Content-Type"),
    ModeInfo("chunked", "reads of at most --chunk-size bytes, as iter_chunked(n)"),
    ModeInfo("any", "whatever each socket read delivered, as iter_any()"),
    ModeInfo("wire", "HTTP chunks as framed on the wire"),
    ModeInfo("lines", "one record per line, with a line cap"),
    ModeInfo("json", "ijson events as each read completes them", derives=True, events=True),
    ModeInfo("zlib", "zlib, gzip or raw deflate decoded per read", raw_bytes=True),
    ModeInfo("sse", "server-sent events", derives=True, events=True),
    ModeInfo("ws", "WebSocket messages", events=True, websocket=True),
)}

MODES = tuple(REGISTRY)


# The modes `auto` resolves to (`auto.mode_for_content_type`, and any for an HTTP error status).
AUTO_PICKS = ("any", "json", "sse")


def preload(mode: str) -> None:
    """Import the reader `mode` may need (each one auto may pick, for auto) before the request is sent.

    Imported once the response is in, a reader's module (ijson for json) held
    the first record's stamp off by 5-10 ms when the head brought body bytes.
    Nothing more is loaded: a reader auto never picks (wire: h11) only costs start-up.
    """
    for name in AUTO_PICKS if mode == "auto" else (mode,):
        if name in REGISTRY and not REGISTRY[name].websocket:
            REGISTRY[name].reader()
