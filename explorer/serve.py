"""`explorer serve`: the demo server standalone, until Ctrl-C; `--replay FILE` adds a capture as an endpoint.

The server's modules (aiohttp.web) load when it runs: `serve --help` needs none of them.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .demo.runner import DemoServer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, loopback only)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default 0: a free port)")
    parser.add_argument("--replay", action="append", default=[], metavar="FILE",
                        help="serve a capture (get -o, the app's -o or save) at its recorded timing as an endpoint "
                        "(repeatable); its catalog entry says what the replay keeps and what the capture lacks")
    parser.add_argument("--path", action="append", default=[], metavar="/NAME",
                        help="where the replay is served (default /replay/<file name>); the n-th --path names the "
                        "n-th --replay")


def endpoint_listing(base_url: str) -> str:
    """One line per catalog entry: mode, full URL, title; then what each replay keeps and lacks."""
    import textwrap

    from .demo.catalog import CATALOG, demo_url

    rows, replays = [], []
    for endpoint in CATALOG:
        url = demo_url(base_url, endpoint.example, endpoint.mode)
        note = f"  [{endpoint.kind}]" if endpoint.kind != "finite" else ""
        rows.append(f"  {endpoint.mode:<7} {url:<{len(base_url) + 20}}  {endpoint.title}{note}")
        if endpoint.group == "replay":
            replays.append(f"  {url}\n" + textwrap.fill(endpoint.watch, 100, initial_indent="    ",
                                                       subsequent_indent="    "))
    if replays:
        rows += ["replays:", *replays]
    return "\n".join(rows)


def run(args: argparse.Namespace) -> int:
    from .demo.guard import is_loopback
    from .demo.runner import DemoServer

    if not 0 <= args.port <= 65535:
        print(f"explorer serve: --port must be between 0 and 65535, not {args.port}.", file=sys.stderr)
        return 2
    if args.path and not args.replay:
        print("explorer serve: --path names a --replay endpoint: give --replay FILE too.", file=sys.stderr)
        return 2
    if not is_loopback(args.host):
        print(
            f"explorer serve: warning: binding {args.host} exposes the demo server beyond this machine.",
            file=sys.stderr,
        )
    replays: list[Any] = []
    if args.replay:
        from .demo import replay

        try:
            replays = replay.add(args.replay, args.path)
        except replay.ReplayError as error:
            print(f"explorer serve: {error}", file=sys.stderr)
            return 2
    try:
        return _serve(args, DemoServer(args.host, args.port))
    finally:
        if replays:
            replay.remove(replays)


def _serve(args: argparse.Namespace, server: DemoServer) -> int:
    """Serve until Ctrl-C (or SIGTERM), the catalog printed once the port is bound."""
    import asyncio
    import signal

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await server.start()
        try:
            print(f"explorer demo server on {server.url}  (Ctrl-C to stop)")
            print(f"  catalog: {server.url}/   event log: {server.url}/events")
            print(endpoint_listing(server.url), flush=True)
            await stop.wait()
        finally:
            await server.stop()
        print("explorer serve: stopped.", file=sys.stderr)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        print("\nexplorer serve: stopped.", file=sys.stderr)
        return 130
    except OSError as error:
        print(f"explorer serve: cannot listen on {args.host}:{args.port}: {error.strerror or error}.", file=sys.stderr)
        return 1
    return 0
