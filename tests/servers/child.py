"""Running one of `apps.py`'s servers as a child process for the length of a test module.

A child process, not a thread: the server then never competes with the
engine under test for the GIL, so arrival times measure the network path
and not Python's 5 ms thread switch interval. Readiness is a real request
answered (`GET /health`, or any HTTP status line for the WebSocket server),
never a fixed sleep.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

APPS = Path(__file__).with_name("apps.py")
START_TIMEOUT = 60.0  # a child importing uvicorn on a loaded 2-core machine can take seconds


class ChildServer:
    """`python apps.py NAME` on 127.0.0.1 at a port the child chose; `url(path)` once entered."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr = tempfile.TemporaryFile()

    def url(self, path: str = "/", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> ChildServer:
        self._proc = subprocess.Popen(
            [sys.executable, str(APPS), self.name],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT
            self.port = self._read_port(deadline)
            self._probe(deadline)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        proc = self._proc
        if proc is None:
            return
        self._proc = None
        if proc.stdin:
            proc.stdin.close()  # the child exits when its stdin closes
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
        self._stderr.close()

    def _failure(self, what: str) -> RuntimeError:
        self._stderr.seek(0)
        err = self._stderr.read().decode(errors="replace")[-2000:]
        return RuntimeError(f"the {self.name} test server {what}; its stderr:\n{err}")

    def _read_port(self, deadline: float) -> int:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._failure("did not announce its port in time")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                piece = os.read(fd, 256)
                if not piece:
                    raise self._failure("exited before announcing its port")
                line += piece
        words = line.split()
        if len(words) != 2 or words[0] != b"PORT":
            raise self._failure(f"announced {line!r} instead of its port")
        return int(words[1])

    def _probe(self, deadline: float) -> None:
        """Send a real request until a status line comes back."""
        request = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nConnection: close\r\n\r\n".encode()
        while True:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise self._failure(f"exited with status {self._proc.returncode}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._failure("never answered a request")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=remaining) as sock:
                    sock.sendall(request)
                    if sock.recv(16).startswith(b"HTTP/1."):
                        return
            except OSError:
                pass
            time.sleep(0.05)  # between failed probes only; readiness itself is the answer
