"""Run the demo server in-process (tests, TUI, `explorer get --demo`) or standalone."""

from __future__ import annotations

import socket

from aiohttp import web

from ..loop_thread import LoopThread
from .app import create_app
from .guard import HEAD_TIMEOUT, is_loopback
from .streaming import EventLog

SHUTDOWN_TIMEOUT = 1.5


class DemoServer:
    """The demo application on a real socket, started and stopped from async code.

    `port=0` binds a free port; `url` reports the one bound. Bound to loopback,
    it answers only to a loopback Host; `head_timeout` is how long a
    connection may take to send a request head (see guard.py).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        event_log: EventLog | None = None,
        head_timeout: float = HEAD_TIMEOUT,
    ) -> None:
        self.host = host
        self.port = port
        self.event_log = event_log or EventLog()
        self.head_timeout = head_timeout
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
        app = create_app(self.event_log, check_host=is_loopback(self.host))
        runner = web.AppRunner(
            app,
            handler_cancellation=True,
            keepalive_timeout=self.head_timeout,  # also the request head timeout: see guard.py
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


class BackgroundDemoServer:
    """The demo server on its own thread and event loop, started and stopped from another loop.

    The pacing a demo shows is then the server's own, whatever the loop that
    watches it is busy with (drawing the app, printing a firehose). Event
    log listeners are called on the server's thread.
    """

    def __init__(self, event_log: EventLog | None = None) -> None:
        self.server = DemoServer(event_log=event_log)
        self.thread = LoopThread("explorer-demo")

    @property
    def event_log(self) -> EventLog:
        return self.server.event_log

    @property
    def running(self) -> bool:
        return self.server.running

    @property
    def url(self) -> str:
        return self.server.url

    async def start(self) -> str:
        """Bind and serve on the server's thread; return the base URL."""
        return await self.thread.run(self.server.start())

    async def stop(self) -> None:
        """Stop serving (open streams end within about two seconds); the thread stays for a restart."""
        if self.server.running:
            await self.thread.run(self.server.stop())

    def close(self) -> None:
        """End the server's thread (after `stop`, or abandoning what still runs)."""
        self.thread.stop()

    async def __aenter__(self) -> BackgroundDemoServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.stop()
        finally:
            self.close()
