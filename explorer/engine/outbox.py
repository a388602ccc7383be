"""One run on the engine's loop: read every record, write the capture, and send the UI batches.

Per record the pump only appends it to the outbox (and writes the capture).
Every `SEND_EVERY` the outbox accounts for what came since its last batch
(`StreamStats`, over every record) and sends the newest `SHIP_TAIL` records
with the figures: a firehose makes millions of records a second, and a
screen shows a few dozen.
"""

from __future__ import annotations

import asyncio
from operator import attrgetter
from time import perf_counter
from typing import AsyncGenerator, Callable

from ..core.jsonl import JsonlRecorder
from ..core.llm.stage import LOOK
from ..core.modes import REGISTRY
from ..core.record import DATA_KINDS, FINAL_KINDS, Kind, Phases, Record, Summary
from ..core.request import StreamRequest
from ..core.timing import TimingStage
from .messages import Batch, CaptureFailed, RunOrder
from .stats import StreamStats

SEND_EVERY = 0.025  # seconds between batches (the UI shows them 20 times a second)
SHIP_TAIL = 1000  # newest records sent per batch; the figures cover every record
SHIP_BYTES = 4 << 20  # payload bytes sent per batch at most (but always the newest record)
PAYLOAD_CAP = 16_384  # bytes of payload sent per record (a 10 KB JSON line stays whole); `size` keeps the full size
HOLD_MAX = 4 * SHIP_TAIL  # records held while the UI is not reading: older ones are accounted for and let go
TOKEN_KEEP = 50_000  # LLM token records older than the newest kept for the UI anyway (its transcript), at most
YIELD_EVERY = 0.004  # seconds of uninterrupted ingest before the loop lets its timers run

_KIND = attrgetter("kind")

Source = Callable[[StreamRequest, TimingStage], AsyncGenerator[Record, None]]
Send = Callable[[object], None]


class Outbox:
    """The records of one run not yet sent, and the run's figures."""

    def __init__(self, run: int, request: StreamRequest, timing: TimingStage, send: Send,
                 can_send: Callable[[], bool], copy_figures: bool) -> None:
        self.run = run
        self.timing = timing
        self.send = send
        self.can_send = can_send
        self.copy_figures = copy_figures  # in this process the UI reads them while the engine adds
        self.pending: list[Record] = []
        self.stats = StreamStats()
        self.framing = request.framing
        self.only_data_inside = False  # known at the response: the mode derives no records, no framing shown
        self.responded = False
        self.head: list[Record] = []  # the run's first records up to the response, always sent
        self.tokens: list[Record] = []  # LLM token records among those not shipped: sent anyway (they are small)
        self.has_tokens = False  # a token record has been seen: look for them among the records not shipped
        self.watch_lines = False  # lines mode: token records may sit among the lines (see `_account`)
        self.skipped = 0

    def _account(self, records: list[Record]) -> int:
        """Figures over `records`; how many of its first records precede the response (and the response)."""
        count = 0
        if not self.responded:
            for record in records:
                if record.kind in DATA_KINDS or record.kind in FINAL_KINDS:
                    self.responded = True
                    break
                count += 1
                if record.kind is Kind.RESPONSE:
                    self.responded = True
                    mode = REGISTRY[record.response.mode]
                    # a WebSocket's sent messages and control frames sit among the data
                    self.only_data_inside = not (mode.derives or mode.websocket or self.framing)
                    self.watch_lines = mode.name == "lines"
                    break
        if self.watch_lines:  # an LLM stage decides within its first LOOK lines whether token records follow them
            if Kind.TOKEN in map(_KIND, records):
                self.only_data_inside = self.watch_lines = False
            elif self.stats.records > LOOK:
                self.watch_lines = False
        self.stats.take(records, self.only_data_inside)
        return count

    def _keep_tokens(self, records: list[Record]) -> None:
        """Keep the token records among `records`, which are not shipped (up to `TOKEN_KEEP`)."""
        if not self.has_tokens:
            self.has_tokens = Kind.TOKEN in map(_KIND, records)
        if self.has_tokens and len(self.tokens) < TOKEN_KEEP:
            self.tokens += [record for record in records if record.kind is Kind.TOKEN][:TOKEN_KEEP - len(self.tokens)]

    def flush(self, done: bool = False) -> None:
        """Send what came since the last batch (the last one when `done`), or hold it while the UI is behind."""
        pending = self.pending
        if not pending and not done:
            return
        if not done and not self.can_send():
            if len(pending) > HOLD_MAX:
                older = pending[:-SHIP_TAIL]
                del pending[:-SHIP_TAIL]
                before = self._account(older)
                self.head += older[:before]
                self._keep_tokens(older[before:])
                self.skipped += len(older) - before
            return
        records = pending[:]
        del pending[:]
        before = self._account(records)
        newest = within_budget(records[-SHIP_TAIL:])
        cut = len(records) - len(newest)
        if not self.has_tokens:
            self.has_tokens = Kind.TOKEN in map(_KIND, newest)
        self._keep_tokens(records[min(before, cut):cut])
        shipped = self.head + records[:min(before, cut)] + self.tokens + newest
        self.skipped += cut - min(before, cut) - len(self.tokens)
        self.head, self.tokens = [], []
        shipped = [record.capped(PAYLOAD_CAP)
                   if (record.data is not None and len(record.data) > PAYLOAD_CAP) or record.value is not None
                   else record for record in shipped]
        stats = self.stats.copy() if self.copy_figures else self.stats
        self.send(Batch(self.run, shipped, stats, self.timing, self.skipped, done, len(shipped) - len(newest)))

    async def keep_sending(self) -> None:
        """Flush every `SEND_EVERY` until cancelled."""
        while True:
            await asyncio.sleep(SEND_EVERY)
            self.flush()


def within_budget(records: list[Record]) -> list[Record]:
    """The newest of `records` whose payloads, capped, fit `SHIP_BYTES` (at least the newest one)."""
    budget = SHIP_BYTES
    for index in range(len(records) - 1, -1, -1):
        data = records[index].data
        budget -= min(len(data), PAYLOAD_CAP) if data is not None else 64
        if budget < 0:
            return records[index + 1:] if index + 1 < len(records) else records[-1:]
    return records


class Captures:
    """The engine's open `-o` files, by path: opened at their first run, kept for the next."""

    def __init__(self) -> None:
        self.open: dict[str, JsonlRecorder] = {}

    def get(self, path: str) -> JsonlRecorder:
        recorder = self.open.get(path)
        if recorder is None:
            recorder = self.open[path] = JsonlRecorder(path)
        return recorder

    def drop(self, path: str) -> None:
        recorder = self.open.pop(path, None)
        if recorder is not None:
            try:
                recorder.close()
            except OSError:
                pass

    def close(self) -> None:
        for path in list(self.open):
            self.drop(path)


async def run_order(order: RunOrder, source: Source, send: Send, can_send: Callable[[], bool],
                    captures: Captures, copy_figures: bool = False) -> None:
    """Read `order`'s stream to its end into batches for the UI; cancelling this stops it."""
    timing = TimingStage(order.request.stall_seconds)
    outbox = Outbox(order.run, order.request, timing, send, can_send, copy_figures)
    recorder: JsonlRecorder | None = None
    if order.capture is not None:
        try:
            recorder = captures.get(order.capture)
        except OSError as error:
            send(CaptureFailed(order.run, order.capture, error))
    started = perf_counter()
    sender = asyncio.create_task(outbox.keep_sending())
    try:
        await pump(source(order.request, timing), outbox, recorder, order, send, captures)
    except asyncio.CancelledError:
        raise
    except Exception as error:  # a fault of ours: the run ends with a sentence, what came before is kept
        outbox.pending.append(engine_error(outbox.stats, started, f"The engine failed: {error!r}."))
    finally:
        sender.cancel()
    outbox.flush(done=True)


async def pump(records: AsyncGenerator[Record, None], outbox: Outbox, recorder: JsonlRecorder | None,
               order: RunOrder, send: Send, captures: Captures) -> None:
    """Append each record to the outbox and write it to the capture: the only work done per record.

    Reads from a full buffer never yield to the event loop, so every few
    milliseconds of uninterrupted ingest we yield ourselves, which lets the
    batches, the max-time deadline and a cancellation in. If a capture write
    fails, the capture stops (`CaptureFailed`) and the stream goes on.
    """
    paused_at = perf_counter()
    count = 0
    append = outbox.pending.append
    try:
        async for record in records:
            append(record)
            if recorder is not None:
                try:
                    recorder.write(record)
                except (OSError, ValueError) as error:  # ValueError: closed under us
                    if isinstance(error, OSError) and order.capture is not None:
                        send(CaptureFailed(order.run, order.capture, error))
                    if order.capture is not None:
                        captures.drop(order.capture)
                    recorder = None
            count += 1
            # every 8th record: a mode can spend milliseconds on one record (ijson over a 256 KiB read)
            if count & 7 == 0 and perf_counter() - paused_at > YIELD_EVERY:
                await asyncio.sleep(0)
                paused_at = perf_counter()
    finally:
        await records.aclose()


def engine_error(stats: StreamStats, started: float, sentence: str) -> Record:
    """An `error` record for a run the engine could not finish, with the figures it had."""
    duration = perf_counter() - started
    summary = Summary(records=stats.records, bytes=stats.bytes, duration=round(duration, 6), ttfb=stats.ttfb,
                      phases=Phases(), error=sentence, type="engine")
    return Record(Kind.ERROR, 0, duration, 0.0, 0, None, summary)
