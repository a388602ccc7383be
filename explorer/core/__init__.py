"""The stream engine: `open_stream(StreamRequest)` -> async iterator of `Record`.

Imports aiohttp, websockets and ijson (each only when a stream needs it); never Textual.

The names below load on first use (PEP 562), so importing one light module of
the package (`core.request`, `core.record`) does not load the engine and its
network libraries: `explorer --help` and the app's own process stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from explorer.lazy import lazy_exports

if TYPE_CHECKING:
    from .errors import StreamError
    from .jsonl import to_json_objects
    from .modes import MODES
    from .record import DATA_KINDS, Flag, Kind, Record, Response, SSEEvent, Summary
    from .request import StreamRequest
    from .stream import open_stream

__all__ = ["DATA_KINDS", "MODES", "Flag", "Kind", "Record", "Response", "SSEEvent", "StreamError", "StreamRequest",
           "Summary", "open_stream", "to_json_objects"]

_HOMES = {
    "StreamError": "errors", "to_json_objects": "jsonl", "MODES": "modes", "StreamRequest": "request",
    "open_stream": "stream",
    **dict.fromkeys(("DATA_KINDS", "Flag", "Kind", "Record", "Response", "SSEEvent", "Summary"), "record"),
}


__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
