"""`EngineProcess`: the UI's handle on an engine process of its own.

A thread in the UI process waits on the socket and hands each batch to the
run's `deliver` callback as it comes, so batches are ready when the UI's
timer takes them. Orders are small and sent from the UI thread.

Why a process: a thread of the UI's process shares its GIL, and Python work
the UI does (drawing, laying out, a collection of its garbage, which holds
the GIL from start to end) holds a waiting stamp off for milliseconds. In a
process of its own the engine's stamps wait for nothing but the kernel.
"""

from __future__ import annotations

import pickle
import socket
import subprocess
import sys
import threading
from typing import Callable

from .messages import HEADER, RunOrder, SendOrder, StopOrder, frame

QUIT_TIMEOUT = 3.0  # seconds the engine gets to close its captures and exit

Deliver = Callable[[object], None]


class EngineLost(Exception):
    """The engine process went away with a run unfinished."""


class EngineProcess:
    """An engine process started at the first run; `close` ends it.

    `deliver(message)` is called on the reader thread for each `Batch` and
    `CaptureFailed` of its run, and with an `EngineLost` if the process
    dies before the run's last batch.
    """

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._socket: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._runs: dict[int, Deliver] = {}
        self._send_lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """The engine process's id while it runs."""
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def warm(self) -> None:
        """Start the process now, so that a run soon to come need not wait for it to load."""
        if self._process is None or self._process.poll() is not None:
            self._spawn()

    def start(self, order: RunOrder, deliver: Deliver) -> None:
        """Run `order` in the engine, starting the process if it is not running."""
        self.warm()
        self._runs[order.run] = deliver
        self._order(order)

    def stop(self, run: int) -> None:
        """Stop a run; nothing more of it is delivered."""
        if self._runs.pop(run, None) is not None:
            self._order(StopOrder(run))

    def send(self, run: int, data: bytes, binary: bool = False) -> None:
        """Send a message on a run's WebSocket (the engine ignores it when the run has none open)."""
        if run in self._runs:
            self._order(SendOrder(run, data, binary))

    def close(self) -> None:
        """Stop every run and end the process once it has closed its captures."""
        self._runs.clear()
        process, sock, reader = self._process, self._socket, self._reader
        self._process = self._socket = self._reader = None
        if process is None or sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_WR)  # the engine reads the end of its orders and quits
        except OSError:
            pass
        try:
            process.wait(QUIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if reader is not None:
            reader.join(QUIT_TIMEOUT)
        sock.close()

    def _spawn(self) -> None:
        ours, theirs = socket.socketpair()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "explorer.engine.worker", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)  # the terminal's ctrl+c is the UI's to handle
        theirs.close()
        self._socket = ours
        self._reader = threading.Thread(target=self._read, args=(ours,), name="explorer-engine-reader", daemon=True)
        self._reader.start()

    def _order(self, order: object) -> None:
        sock = self._socket
        if sock is None:
            return
        try:
            with self._send_lock:
                sock.sendall(frame(order))
        except OSError:  # the process is gone: the reader reports it to the runs
            pass

    def _read(self, sock: socket.socket) -> None:
        """On the reader thread: deliver every message to its run, until the socket closes."""
        runs = self._runs
        while True:
            header = _receive(sock, HEADER.size)
            if header is None:
                break
            data = _receive(sock, HEADER.unpack(header)[0])
            if data is None:
                break
            message = pickle.loads(data)
            deliver = runs.get(message.run)
            if deliver is not None:
                deliver(message)
                if getattr(message, "done", False):
                    runs.pop(message.run, None)
        for run in list(runs):  # still waiting for their last batch: the process died
            deliver = runs.pop(run, None)
            if deliver is not None:
                deliver(EngineLost("The engine process ended unexpectedly; what it read before is kept."))


def _receive(sock: socket.socket, size: int) -> bytes | None:
    """Exactly `size` bytes, or None when the socket closes first."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        try:
            n = sock.recv_into(view[got:])
        except OSError:
            return None
        if n == 0:
            return None
        got += n
    return bytes(buffer)
