"""`EngineThread`: the engine's pump on a loop thread of this process, for sources that live here.

Tests replay recorded streams through it (a source function cannot be sent
to another process). It shares the UI's GIL, so the app itself reads with
an `EngineProcess`.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Callable

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
        self._stopped: set[int] = set()  # nothing more of these is delivered

    def warm(self) -> None:
        """Nothing to load: the source lives in this process."""

    def start(self, order: RunOrder, deliver: Callable[[object], None]) -> None:
        stopped = self._stopped

        def send(message: object) -> None:
            if order.run not in stopped:
                deliver(message)

        work = run_order(order, self.source, send, lambda: True, self.captures, copy_figures=True)
        future = self.loop.submit(work)
        self._runs[order.run] = future
        future.add_done_callback(lambda _: self._runs.pop(order.run, None))

    def stop(self, run: int) -> None:
        self._stopped.add(run)
        future = self._runs.pop(run, None)
        if future is not None:
            future.cancel()

    def close(self) -> None:
        self._runs.clear()
        self.loop.stop()
        self.captures.close()
