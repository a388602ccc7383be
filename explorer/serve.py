"""`explorer serve`: the demo server standalone, until Ctrl-C.

The server's modules (aiohttp.web) load when it runs: `serve --help` needs none of them.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, loopback only)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default 0: a free port)")


def endpoint_listing(base_url: str) -> str:
    """One line per catalog entry: mode, full URL, title."""
    from .demo.catalog import CATALOG, demo_url

    rows = []
    for endpoint in CATALOG:
        url = demo_url(base_url, endpoint.example, endpoint.mode)
        note = f"  [{endpoint.kind}]" if endpoint.kind != "finite" else ""
        rows.append(f"  {endpoint.mode:<7} {url:<{len(base_url) + 20}}  {endpoint.title}{note}")
    return "\n".join(rows)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import signal

    from .demo.guard import is_loopback
    from .demo.runner import DemoServer

    if not 0 <= args.port <= 65535:
        print(f"explorer serve: --port must be between 0 and 65535, not {args.port}.", file=sys.stderr)
        return 2
    if not is_loopback(args.host):
        print(
            f"explorer serve: warning: binding {args.host} exposes the demo server beyond this machine.",
            file=sys.stderr,
        )
    server = DemoServer(args.host, args.port)

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
