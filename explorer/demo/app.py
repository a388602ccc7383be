"""The demo aiohttp application: catalog routes behind one guard, the index and /events."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time

from aiohttp import web

from .catalog import CATALOG, PAIRS, Endpoint, catalog_entries
from .faults import Abandoned
from .guard import request_guard
from .params import ParamError, parse_all
from .streaming import STREAM, EventLog
from .websocket import OPEN_SOCKETS, close_open_sockets

EVENT_LOG = web.AppKey("event_log", EventLog)
ACTIVE_TASKS: web.AppKey[set[asyncio.Task[object]]] = web.AppKey("active_tasks")

log = logging.getLogger("explorer.demo")


def _guard(endpoint: Endpoint):  # type: ignore[no-untyped-def]
    """Wrap a handler: validate parameters, track the task, record how the stream ended.

    A client that leaves shows up as CancelledError (handler_cancellation) or
    as ConnectionError at the next write; both are recorded, never logged as
    tracebacks.
    """
    handler = endpoint.load_handler()

    async def handle(request: web.Request) -> web.StreamResponse:
        sources = {**request.query, **request.match_info}
        try:
            values = parse_all(endpoint.params, sources)
        except ParamError as error:
            raise web.HTTPBadRequest(text=f"{error}\n") from None
        tasks = request.app[ACTIVE_TASKS]
        task = asyncio.current_task()
        assert task is not None  # a handler always runs in a task
        tasks.add(task)
        started = time.perf_counter()
        outcome = "completed"
        try:
            return await handler(request, values)
        except asyncio.CancelledError:
            outcome = "cancelled (client left or server stopping)"
            raise
        except ConnectionError as error:
            outcome = f"connection ended: {error}" if isinstance(error, Abandoned) else \
                f"client disconnected ({error.__class__.__name__})"
            stream = request.get(STREAM)
            return stream.response if stream is not None else web.Response(status=499)
        finally:
            tasks.discard(task)
            stream = request.get(STREAM)
            if stream is not None:
                request.app[EVENT_LOG].add(
                    path=request.path_qs,
                    outcome=outcome,
                    chunks=stream.chunks,
                    bytes=stream.bytes,
                    seconds=round(time.perf_counter() - started, 3),
                )

    handle.__doc__ = handler.__doc__
    return handle


async def index(request: web.Request) -> web.Response:
    """The catalog as JSON."""
    return web.json_response(catalog_entries(), dumps=_dumps)


async def pairs(request: web.Request) -> web.Response:
    """Ready-made comparisons for `explorer compare --pair NAME`, as JSON."""
    return web.json_response([pair.describe() for pair in PAIRS], dumps=_dumps)


async def events(request: web.Request) -> web.Response:
    """The server-side event log (how streams ended, client disconnects) as JSON."""
    return web.json_response(request.app[EVENT_LOG].snapshot(), dumps=_dumps)


_dumps = functools.partial(json.dumps, indent=2, ensure_ascii=False)


async def _cancel_streams(app: web.Application) -> None:
    """on_shutdown: cancel streaming handlers so shutdown never waits on endless streams."""
    active = app[ACTIVE_TASKS]
    for task in list(active):
        task.cancel()


def create_app(event_log: EventLog | None = None, check_host: bool = True) -> web.Application:
    """Build the demo application. Pass an `EventLog` to watch it from outside.

    `check_host=False` serves any Host header (a server bound beyond loopback);
    see guard.py.
    """
    event_log = event_log or EventLog()
    app = web.Application(middlewares=[request_guard(event_log, check_host)])
    app[EVENT_LOG] = event_log
    app[ACTIVE_TASKS] = set()
    app[OPEN_SOCKETS] = set()
    app.router.add_get("/", index)
    app.router.add_get("/events", events)
    app.router.add_get("/pairs", pairs)
    for endpoint in CATALOG:
        handler = _guard(endpoint)
        for method in endpoint.methods:
            if method == "GET":
                app.router.add_get(endpoint.route, handler)
            else:
                app.router.add_route(method, endpoint.route, handler)
    app.on_shutdown.append(close_open_sockets)
    app.on_shutdown.append(_cancel_streams)
    return app
