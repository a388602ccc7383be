"""Run the demo server in-process (tests, TUI, `explorer get --demo`) or standalone."""

from __future__ import annotations

import ipaddress
import socket

from aiohttp import web

from .app import create_app
from .streaming import EventLog

SHUTDOWN_TIMEOUT = 1.5


class DemoServer:
    """The demo application on a real socket, started and stopped from async code.

    `port=0` binds a free port; `url` reports the one bound.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, event_log: EventLog | None = None) -> None:
        self.host = host
        self.port = port
        self.event_log = event_log or EventLog()
        self._runner: web.AppRunner | None = None

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> str:
        """Bind and serve; return the base URL."""
        app = create_app(self.event_log)
        runner = web.AppRunner(
            app,
            handler_cancellation=True,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
            access_log=None,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        server = site._server  # the asyncio Server: the only place the bound port lives
        sockets = getattr(server, "sockets", None) or ()
        for sock in sockets:
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                self.port = sock.getsockname()[1]
                break
        self._runner = runner
        return self.url

    async def stop(self) -> None:
        """Stop serving; open streams and WebSockets are ended within about two seconds."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> DemoServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def is_loopback(host: str) -> bool:
    """True when `host` names only this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
