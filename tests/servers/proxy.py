"""A real forward HTTP proxy (asyncio, in a thread) that records what it was asked.

It does what an HTTP proxy does for a client: a request whose target is in
absolute form (`GET http://host:port/path HTTP/1.1`) is sent on to that
server in origin form, without the proxy's own headers; `CONNECT host:port`
opens a TCP tunnel and answers `200 Connection Established`. Then bytes are
copied both ways until either side closes. Every request head is kept:
`requests` (method, target) from `ThreadedServer`, `authorizations` the
Proxy-Authorization each one carried.

With `credentials` ("user:password") a request without the matching Basic
Proxy-Authorization gets `407 Proxy Authentication Required`. `hosts` maps
names only the proxy can resolve (e.g. `upstream.invalid`) to addresses, so
a test can tell a proxied request from a direct one by whether it worked.
"""

from __future__ import annotations

import asyncio
import base64
from urllib.parse import urlsplit

from .raw import ThreadedServer

COPY_SIZE = 64 * 1024

PROXY_AUTH_REQUIRED = (b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\n"
                       b"Content-Length: 0\r\nConnection: close\r\n\r\n")
BAD_GATEWAY = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
HOP_BY_HOP = {"proxy-authorization", "proxy-connection"}


class ForwardProxy(ThreadedServer):
    """A forward proxy on 127.0.0.1 at a port the OS picks; use as a context manager. `url` is its address."""

    def __init__(self, credentials: str | None = None, hosts: dict[str, str] | None = None) -> None:
        super().__init__()
        self.credentials = credentials
        self.hosts = dict(hosts or {})
        self.authorizations: list[str | None] = []

    async def _answer(self, head: bytes, target: str, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        lines = head.decode("latin-1").split("\r\n")
        method = lines[0].split(" ")[0]
        fields = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if ":" in line]
        authorization = next((value for name, value in fields if name.lower() == "proxy-authorization"), None)
        self.authorizations.append(authorization)
        if self.credentials is not None and authorization != _basic(self.credentials):
            writer.write(PROXY_AUTH_REQUIRED)
            await writer.drain()
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            first = b"HTTP/1.1 200 Connection Established\r\n\r\n"
        else:
            split = urlsplit(target)
            host, port = split.hostname or "", str(split.port or 80)
            path = (split.path or "/") + (f"?{split.query}" if split.query else "")
            kept = "".join(f"{name}: {value}\r\n" for name, value in fields if name.lower() not in HOP_BY_HOP)
            first = f"{method} {path} HTTP/1.1\r\n{kept}\r\n".encode("latin-1")
        try:
            up_reader, up_writer = await asyncio.open_connection(self.hosts.get(host.strip("[]"), host.strip("[]")),
                                                                 int(port))
        except OSError:
            writer.write(BAD_GATEWAY)
            await writer.drain()
            return
        try:
            if method == "CONNECT":
                writer.write(first)
                await writer.drain()
            else:
                up_writer.write(first)
                await up_writer.drain()
            await _both_ways(reader, writer, up_reader, up_writer)
        finally:
            up_writer.close()


def _basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


async def _both_ways(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     up_reader: asyncio.StreamReader, up_writer: asyncio.StreamWriter) -> None:
    """Copy client to server and server to client until either side closes."""
    copies = {asyncio.ensure_future(_copy(reader, up_writer)), asyncio.ensure_future(_copy(up_reader, writer))}
    try:
        await asyncio.wait(copies, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for copy in copies:
            copy.cancel()
        await asyncio.gather(*copies, return_exceptions=True)


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(COPY_SIZE):
            sink.write(data)
            await sink.drain()
    except ConnectionError:
        pass
