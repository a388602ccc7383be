"""any: `iter_any()`, one record per read of whatever the socket delivered."""

from __future__ import annotations

from typing import AsyncIterator

from ..body import Body
from ..context import StreamContext
from ..record import Record
from ..request import StreamRequest
from .stamp import stamp_reads


def read(resp: Body, ctx: StreamContext, request: StreamRequest) -> AsyncIterator[Record]:
    return stamp_reads(resp.content.readany, ctx)
