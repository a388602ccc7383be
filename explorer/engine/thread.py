"""`EngineThread`: the engine's pump on a loop thread of this process, for sources that live here.

Tests replay recorded streams through it (a source function cannot be sent
to another process). It shares the UI's GIL, so the app itself reads with
an `EngineProcess`.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Callable

from ..core.modes.ws_outgoing import Outgoing
from ..loop_thread import LoopThread
from .messages import RunOrder
from .outbox import Captures, Source, run_order


class EngineThread:
    """The same runs as `EngineProcess`, read on a thread; `deliver` is called on that thread."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.loop = LoopThread("explorer-engine")
        self.captures = Captures()
        self._runs: dict[int, Future[None]] = {}
        self._outgoing: dict[int, Outgoing] = {}  # each run's way in for messages to send on its WebSocket
        self._stopped: set[int] = set()  # nothing more of these is delivered

    def warm(self) -> None:
        """Nothing to load: the source lives in this process."""

    def start(self, order: RunOrder, deliver: Callable[[object], None]) -> None:
        stopped = self._stopped

        def send(message: object) -> None:
            if order.run not in stopped:
                deliver(message)

        way_in = self._outgoing[order.run] = Outgoing()
        work = run_order(order, self.source, send, lambda: True, self.captures, copy_figures=True)
        future = self.loop.submit(way_in.within(work))
        self._runs[order.run] = future

        def ended(_: Future[None]) -> None:
            self._runs.pop(order.run, None)
            self._outgoing.pop(order.run, None)

        future.add_done_callback(ended)

    def send(self, run: int, data: bytes, binary: bool = False) -> None:
        """Send a message on a run's WebSocket (ignored when the run has none open)."""
        way_in = self._outgoing.get(run)
        if way_in is not None and run in self._runs:
            self.loop.loop.call_soon_threadsafe(way_in.send, data, binary)

    def stop(self, run: int) -> None:
        self._stopped.add(run)
        self._outgoing.pop(run, None)
        future = self._runs.pop(run, None)
        if future is not None:
            future.cancel()

    def close(self) -> None:
        self._runs.clear()
        self._outgoing.clear()
        self.loop.stop()
        self.captures.close()
