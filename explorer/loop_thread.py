"""An asyncio event loop on a thread of its own, for work whose timing must not wait on the UI.

The app runs the embedded demo server on one, so a frame being drawn, a
resize or a burst of rows to format cannot bend the pacing it demonstrates
(streams are read in an engine process, `explorer/engine/`; tests that
replay recorded streams read them on one of these). The UI hands work over with
`run` and gets results back as awaitables; cancelling the awaiting task
cancels the work on the other loop.

The GIL is the remaining hazard: a thread that wants to run after its
socket became readable waits until the running thread gives the GIL up,
which CPython forces every `sys.getswitchinterval()` seconds (5 ms by
default). Starting a loop thread lowers that to `SWITCH_INTERVAL`, so
Python work elsewhere holds a send off for at most about that long.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from concurrent.futures import Future
from typing import Any, Coroutine, TypeVar

T = TypeVar("T")

SWITCH_INTERVAL = 0.0005  # seconds
STOP_TIMEOUT = 3.0  # seconds for the tasks still running to finish their cancellation


class LoopThread:
    """A daemon thread running its own event loop, started on first use and stopped with `stop`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The thread's loop, starting the thread if it is not running."""
        if self._loop is None:
            self._start()
        assert self._loop is not None
        return self._loop

    def _start(self) -> None:
        if sys.getswitchinterval() > SWITCH_INTERVAL:
            sys.setswitchinterval(SWITCH_INTERVAL)
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._thread = threading.Thread(target=serve, name=self.name, daemon=True)
        self._thread.start()
        ready.wait()
        self._loop = loop

    def submit(self, work: Coroutine[Any, Any, T]) -> Future[T]:
        """Schedule `work` on the thread's loop; cancelling the future cancels the work."""
        return asyncio.run_coroutine_threadsafe(work, self.loop)

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the thread's loop and wait for it here; cancelling this cancels it there."""
        return await asyncio.wrap_future(self.submit(work))

    def stop(self) -> None:
        """Cancel what still runs, let it finish unwinding, close the loop and end the thread."""
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        if thread is threading.current_thread():
            raise RuntimeError("a loop thread cannot stop itself")
        try:
            asyncio.run_coroutine_threadsafe(_cancel_all(), loop).result(STOP_TIMEOUT)
        except Exception:  # tasks that would not end in time are abandoned with the thread
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(STOP_TIMEOUT)
        if not thread.is_alive():
            loop.close()


async def _cancel_all() -> None:
    """Cancel every other task on this loop and wait until they have ended."""
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.get_running_loop().shutdown_asyncgens()
