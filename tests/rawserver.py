"""A scriptable TCP server in a thread, for misbehaviour aiohttp will not produce on demand.

Each connection reads the request head, then plays a script: bytes to send,
("sleep", s), ("reset",) for a TCP RST, ("hang",) to stay silent until the
server stops. After the script the connection closes.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import time
from typing import Sequence

Step = bytes | tuple


class RawServer:
    """Serve `script` to every connection on 127.0.0.1, port chosen by the OS."""

    def __init__(self, script: Sequence[Step], tls: ssl.SSLContext | None = None) -> None:
        self.script = list(script)
        self.tls = tls
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/"

    def __enter__(self) -> RawServer:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls:
                conn = self.tls.wrap_socket(conn, server_side=True)
            conn.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head:
                piece = conn.recv(65536)
                if not piece:
                    return
                head += piece
            for step in self.script:
                if isinstance(step, bytes):
                    conn.sendall(step)
                elif step[0] == "sleep":
                    time.sleep(step[1])
                elif step[0] == "reset":
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    break
                elif step[0] == "hang":
                    self._stop.wait(30)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()


def chunked_response(*chunks: bytes, headers: str = "Content-Type: text/plain", end: bool = True) -> list[bytes]:
    """A chunked HTTP/1.1 response, one chunk per argument."""
    out = [f"HTTP/1.1 200 OK\r\n{headers}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()]
    out += [b"%x\r\n%s\r\n" % (len(c), c) for c in chunks]
    if end:
        out.append(b"0\r\n\r\n")
    return out
