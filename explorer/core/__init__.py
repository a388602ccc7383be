"""The stream engine: `open_stream(StreamRequest)` -> async iterator of `Record`.

Imports aiohttp, websockets and ijson; never Textual.
"""

from .errors import StreamError
from .record import Record, to_json_objects
from .request import MODES, StreamRequest
from .stream import open_stream

__all__ = ["MODES", "Record", "StreamError", "StreamRequest", "open_stream", "to_json_objects"]
