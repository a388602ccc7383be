"""The stream engine: `open_stream(StreamRequest)` -> async iterator of `Record`.

Imports aiohttp, websockets and ijson; never Textual.
"""

from .errors import StreamError
from .jsonl import to_json_objects
from .modes import MODES
from .record import DATA_KINDS, Flag, Kind, Record, Response, SSEEvent, Summary
from .request import StreamRequest
from .stream import open_stream

__all__ = ["DATA_KINDS", "MODES", "Flag", "Kind", "Record", "Response", "SSEEvent", "StreamError", "StreamRequest",
           "Summary", "open_stream", "to_json_objects"]
