"""The shared hot loop: one `chunk` record per read of a byte iterator."""

from __future__ import annotations

from time import perf_counter
from typing import AsyncIterable, AsyncIterator

from ..clock import Clock
from ..record import Record


async def stamp_reads(reads: AsyncIterable[bytes], clock: Clock) -> AsyncIterator[Record]:
    """Yield a `chunk` record for every read, stamped as the read returns."""
    t0, seq, last = clock.t0, 0, 0.0
    async for data in reads:
        t = perf_counter() - t0
        yield Record("chunk", seq, t, t - last, len(data), data)
        seq += 1
        last = t
