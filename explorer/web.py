"""`explorer --web [--port P] [--host H]`: the app in a web browser, served by textual-serve.

Every page load (every browser tab) starts its own `explorer` process with the
arguments given here minus `--web`, `--port` and `--host`, and the page draws its
terminal with xterm.js at the tab's size. textual-serve does the serving; this
module adds what it leaves to the caller:

- Who may drive a session. A session is a whole app: it makes requests with the
  environment's secrets and saves files, as the person running `--web`. A web
  page may open a WebSocket to any address (the browser names the page in
  Origin), and DNS rebinding gives a foreign page a loopback address under its
  own name (the browser still sends that name as Host). So, as the demo server
  does (explorer/demo/guard.py): a loopback-bound server answers only to a
  loopback Host (421 otherwise), and a session's WebSocket is refused (403) when
  its Origin is not the page's own, whatever the bound address.
- URLs in the page come from the request's Host, so the page works however it is
  reached (127.0.0.1 or localhost, an `ssh -L` forward, the machine's name when
  bound to 0.0.0.0), and `--port 0` works: the real port is printed.
- Sessions run in their own process group, so Ctrl-C in the terminal reaches the
  server only; it then asks each app to quit, kills what has not within
  `QUIT_GRACE` seconds, and returns without a traceback. At most
  `MAX_SESSIONS` run at once.

textual-serve and aiohttp.web load only here, when `--web` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shlex
import signal
import socket
import sys
from typing import Any

WEB_OPTIONS = ("--web", "--port", "--host")  # the options of this face, not of the app
TAKES_VALUE = ("--port", "--host")
MAX_SESSIONS = 32  # app processes at once; a page load beyond gets 503
QUIT_GRACE = 3.0  # seconds an app may take to quit when its tab closes or the server stops
WILDCARDS = ("", "0.0.0.0", "::")
SHUTDOWN_TIMEOUT = 5.0  # seconds aiohttp waits for handlers once the server stops
# A Host header as the page may repeat it: a name or an address (IPv6 in brackets), an optional port.
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:[0-9]{1,5})?")


def app_arguments(argv: list[str]) -> list[str]:
    """`argv` without --web, --port and --host (and their values, abbreviations and `--opt=value` forms).

    argv has already parsed, so an abbreviation that names one of them names it alone; after `--`
    everything is positional and kept.
    """
    rest: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            rest.append(token)
            rest.extend(tokens)
            break
        name, equals, _ = token.partition("=")
        option = _web_option(name)
        if option is None:
            rest.append(token)
        elif option in TAKES_VALUE and not equals:
            next(tokens, None)  # its value
    return rest


def _web_option(name: str) -> str | None:
    if not name.startswith("--") or len(name) < 3:
        return None
    matches = [option for option in WEB_OPTIONS if option.startswith(name)]
    return matches[0] if len(matches) == 1 else None


def app_command(argv: list[str]) -> list[str]:
    """The command a browser session runs: this Python, the explorer module, the app's arguments."""
    return [sys.executable, "-m", "explorer", *app_arguments(argv)]


def run(args: argparse.Namespace, argv: list[str]) -> int:
    """Serve the app until Ctrl-C (or SIGTERM); 2 for a usage error, 1 when the port cannot be bound."""
    if not 0 <= args.port <= 65535:
        print(f"explorer: --port must be between 0 and 65535, not {args.port}.", file=sys.stderr)
        return 2
    from .options import UsageError, parse_options

    try:  # once here, rather than in every browser session
        parse_options(args, url_required=False)
    except UsageError as error:
        print(f"explorer: {error}", file=sys.stderr)
        return 2
    from .demo.guard import is_loopback

    loopback = is_loopback(args.host)
    if not loopback:
        print(f"explorer: warning: binding {args.host} lets anyone who can reach it use the app, "
              "with your environment's secrets and files.", file=sys.stderr)
    if args.output:
        print(f"explorer: warning: every browser session writes -o {args.output}"
              f"{' (each one appends)' if args.append else ', each one starting it afresh'}.", file=sys.stderr)
    command = app_command(argv)
    server = _make_server(command, args.host, args.port, check_host=loopback)
    try:
        asyncio.run(server.run_until_stopped())
    except KeyboardInterrupt:  # before the handlers were in place
        print("\nexplorer: stopped.", file=sys.stderr)
        return 130
    except OSError as error:
        print(f"explorer: cannot listen on {args.host}:{args.port}: {error.strerror or error}.", file=sys.stderr)
        return 1
    print("explorer: stopped.", file=sys.stderr)
    return 0


def page_url(host: str, port: int) -> str:
    """The URL to open for a server bound to `host`:`port` (this machine's loopback for a wildcard)."""
    if host in WILDCARDS[:2]:
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def _make_server(command: list[str], host: str, port: int, *, check_host: bool) -> Any:
    """The server (its classes are made here so that aiohttp.web and textual-serve load only for --web)."""
    import aiohttp_jinja2
    from aiohttp import web
    from aiohttp.typedefs import Handler
    from textual_serve.app_service import AppService
    from textual_serve.server import Server, to_int

    from .demo.guard import LOOPBACK_NAMES, loopback_authority

    class Session(AppService):
        """One app process, in its own process group, run without a shell."""

        async def _open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
            self._process = process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self._build_environment(width=width, height=height),
                start_new_session=True,
            )
            assert process.stdin is not None
            self._stdin = process.stdin
            return process

        async def stop(self) -> None:
            """Ask the app to quit; kill its process group if it has not within QUIT_GRACE seconds."""
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(super().stop()), QUIT_GRACE)
            process = self._process
            if process is not None and process.returncode is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError, AttributeError):
                    process.kill()
                await process.wait()

    class WebServer(Server):
        def __init__(self) -> None:
            super().__init__(shlex.join(command), host=host, port=port, title="explorer")
            self.sessions: set[Session] = set()
            self.websockets: set[web.WebSocketResponse] = set()

        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.middlewares.append(guard)
            return app

        async def on_startup(self, app: web.Application) -> None:
            """textual-serve prints its logo here; run_until_stopped prints the URL instead."""

        async def on_shutdown(self, app: web.Application) -> None:
            """Close every session's page and stop its app."""
            for websocket in list(self.websockets):
                await websocket.close(code=1001, message=b"explorer --web stopped")
            await asyncio.gather(*(session.stop() for session in list(self.sessions)), return_exceptions=True)

        @aiohttp_jinja2.template("app_index.html")
        async def handle_index(self, request: web.Request) -> dict[str, Any]:
            """The page, with URLs on the Host it was asked for (textual-serve uses the bound address)."""
            base = f"{request.scheme}://{request.host}"
            websocket_scheme = "wss" if request.scheme == "https" else "ws"
            return {
                "font_size": min(max(to_int(request.query.get("fontsize", "16"), 16), 6), 64),
                "app_websocket_url": f"{websocket_scheme}://{request.host}/ws",
                "config": {"static": {"url": f"{base}/static/"}},
                "application": {"name": self.title},
            }

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            """One browser session: its app process, for as long as the page's WebSocket is open."""
            if len(self.websockets) >= MAX_SESSIONS:
                raise web.HTTPServiceUnavailable(text=f"explorer --web runs at most {MAX_SESSIONS} sessions at once.\n")
            websocket = web.WebSocketResponse(heartbeat=15)
            width = min(max(to_int(request.query.get("width", "80"), 80), 1), 1000)
            height = min(max(to_int(request.query.get("height", "24"), 24), 1), 1000)
            session: Session | None = None

            async def close() -> None:  # what the app's exit does: the page says "Session ended"
                await websocket.close()

            self.websockets.add(websocket)
            try:
                await websocket.prepare(request)
                session = Session(self.command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                                  close=close, download_manager=self.download_manager)
                self.sessions.add(session)
                await session.start(width, height)
                await self._process_messages(websocket, session)
            except asyncio.CancelledError:
                await websocket.close()
            except Exception as error:  # a browser that went away mid-message, a bad message: this session only
                print(f"explorer: a browser session ended: {type(error).__name__}: {error}", file=sys.stderr)
            finally:
                self.websockets.discard(websocket)
                if session is not None:
                    self.sessions.discard(session)
                    await session.stop()
            return websocket

        async def run_until_stopped(self) -> None:
            """Serve until SIGINT or SIGTERM (or SIGHUP); print the URL once bound."""
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for name in ("SIGINT", "SIGTERM", "SIGHUP"):
                if hasattr(signal, name):
                    loop.add_signal_handler(getattr(signal, name), stop.set)
            runner = web.AppRunner(await self._make_app(), access_log=None, handle_signals=False,
                                   shutdown_timeout=SHUTDOWN_TIMEOUT)
            await runner.setup()
            try:
                if self.port == 0:  # one socket, so one port (a name may resolve to several addresses)
                    site: web.BaseSite = web.SockSite(runner, socket.create_server((self.host, 0)))
                else:
                    site = web.TCPSite(runner, self.host, self.port)
                await site.start()
                self.port = runner.addresses[0][1] if runner.addresses else self.port
                print(f"explorer: the app on {page_url(self.host, self.port)}  (Ctrl-C to stop)")
                if self.host in WILDCARDS:
                    print(f"  from other machines: http://{socket.gethostname()}:{self.port}/")
                print(f"  each browser tab runs its own: {self.command}", flush=True)
                await stop.wait()
            finally:
                await runner.cleanup()

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.headers.get("Host", "")
        if not _HOST.fullmatch(host):
            raise web.HTTPBadRequest(text="explorer --web needs a Host header naming this server.\n")
        if check_host and not loopback_authority(host):
            raise web.HTTPMisdirectedRequest(
                text=f"Host {host[:80]!r} does not name this server: bound to loopback, it answers only to "
                f"{LOOPBACK_NAMES} (start it with --host to serve other names).\n")
        origin = request.headers.get("Origin")
        upgrade = "websocket" in request.headers.get("Upgrade", "").lower()
        if upgrade and origin is not None and origin.partition("://")[2].lower() != host.lower():
            raise web.HTTPForbidden(text=f"WebSocket Origin {origin[:80]!r} is refused: explorer --web accepts "
                                    "sessions only from its own page.\n")
        return await handler(request)

    return WebServer()
