"""The engine process: `python -m explorer.engine.worker FD`, started by `EngineProcess`.

It reads run, stop and send orders from the socket FD and answers with
batches, each a pickled message behind a 4-byte length. A send order goes to
its run's `Outgoing`, the way in to the WebSocket that run has open. Its GIL, its garbage collector and
its event loop serve the streams alone, so nothing the UI draws can delay a
stamp. It ends when told to, or when the UI's end of the socket closes (the
app quit or died). It never writes to the terminal: the UI owns it.
"""

from __future__ import annotations

import asyncio
import gc
import os
import pickle
import signal
import socket
import sys
from functools import partial

from ..core.modes.ws_outgoing import Outgoing
from ..core.stream import open_stream
from .messages import HEADER, RunOrder, SendOrder, StopOrder, frame
from .outbox import Captures, run_order

# A stopped run (ctrl+k, a restart, quitting) still ends its capture with an `end` record: "interrupted".
read = partial(open_stream, end_on_cancel=True)


async def serve(sock: socket.socket) -> None:
    """Run what the UI orders until it says stop or goes away."""
    reader, writer = await asyncio.open_unix_connection(sock=sock)
    transport = writer.transport

    def send(message: object) -> None:
        if not transport.is_closing():
            writer.write(frame(message))

    def can_send() -> bool:
        return transport.get_write_buffer_size() == 0

    captures = Captures()
    runs: dict[int, asyncio.Task[None]] = {}
    outgoing: dict[int, Outgoing] = {}  # each run's way in for messages to send on its WebSocket
    try:
        while True:
            try:
                size = HEADER.unpack(await reader.readexactly(HEADER.size))[0]
                order = pickle.loads(await reader.readexactly(size))
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            if isinstance(order, RunOrder):
                for run in [run for run, task in runs.items() if task.done()]:
                    del runs[run]
                    outgoing.pop(run, None)
                way_in = outgoing[order.run] = Outgoing()
                runs[order.run] = asyncio.create_task(
                    way_in.within(run_order(order, read, send, can_send, captures)))
            elif isinstance(order, SendOrder):
                if order.run in outgoing:  # dropped unless the run's WebSocket is open
                    outgoing[order.run].send(order.data, order.binary)
            elif isinstance(order, StopOrder):
                outgoing.pop(order.run, None)
                task = runs.pop(order.run, None)
                if task is not None:
                    task.cancel()
            else:  # the quit order
                break
    finally:
        for task in runs.values():
            task.cancel()
        await asyncio.gather(*runs.values(), return_exceptions=True)
        captures.close()
        writer.close()


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the UI decides when the engine ends
    gc.freeze()  # the modules live as long as the process: a full collection need not scan them
    sock = socket.socket(fileno=int(sys.argv[1]))
    try:
        asyncio.run(serve(sock))
    finally:
        os._exit(0)  # nothing left to flush: the captures are closed


if __name__ == "__main__":
    main()
