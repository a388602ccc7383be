"""Output rendered and written once per engine read, not once per record.

`explorer get` and every `-o` capture hand each record here. The records of
one read share the read's stamp `t`, so a record with a new stamp means the
read before it is complete: its records are rendered together (a thousand
64-byte lines at a fraction of the cost of one at a time) and go out in one
write and one flush. What the newest read made goes out as soon as the
event loop waits for the next read (a callback scheduled when the batch
starts), or at `flush()`. A kill therefore loses at most the records of the
read in flight, and a slow stream's records appear as they arrive.
"""

from __future__ import annotations

import asyncio
from typing import Callable, Protocol

from .record import Record


class ByteSink(Protocol):
    """Where batches go: a binary file, stdout's byte stream."""

    def write(self, data: bytes, /) -> object: ...

    def flush(self) -> object: ...


class ReadBatches:
    """Collects records and writes what `render` makes of them to `out` once per engine read.

    Records must not change once added (the app's outbox ships capped copies).

    A write that fails in the loop's callback is kept in `failed` and raised
    by the next `add` or `flush`; `on_failure` is called with it at once, so
    the owner can stop the stream instead of waiting for its next record.
    """

    def __init__(self, out: ByteSink, render: Callable[[list[Record]], bytes],
                 on_failure: Callable[[OSError], None] | None = None) -> None:
        self.out = out
        self.render = render
        self.on_failure = on_failure
        self.failed: OSError | None = None
        self._records: list[Record] = []
        self._stamp = -1.0
        self._scheduled = False

    def add(self, record: Record) -> None:
        """Queue `record`; when it starts a new read, write what the earlier reads made first."""
        if record.t != self._stamp:
            self._new_read(record.t)
        self._records.append(record)

    def _new_read(self, t: float) -> None:
        if self._records:
            self.flush()
        elif self.failed is not None:  # the loop's callback failed to write
            raise self.failed
        self._stamp = t
        if not self._scheduled:
            try:
                asyncio.get_running_loop().call_soon(self._flush_when_idle)
                self._scheduled = True
            except RuntimeError:  # no loop: the owner flushes
                pass

    def flush(self) -> None:
        """Write and flush what is queued (raises the OSError of a write that failed, now or before)."""
        if self.failed is not None:
            raise self.failed
        records = self._records
        try:
            if records:
                self.out.write(self.render(records))
            self.out.flush()
        except OSError as error:
            self.failed = error
            raise
        finally:
            records.clear()

    def _flush_when_idle(self) -> None:
        self._scheduled = False
        if self.failed is not None:
            return
        try:
            self.flush()
        except OSError as error:
            if self.on_failure is not None:
                self.on_failure(error)
