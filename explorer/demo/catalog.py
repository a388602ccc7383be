"""The demo endpoint catalog: one list that the server, `explorer serve`, the
index page and the TUI all read.

Each endpoint names its handler ("tutorial.hello": a function of a module of
this package) instead of holding it: the handlers' modules need aiohttp.web,
which loads when a server is built (`Endpoint.load_handler`), not when the app
reads the catalog to draw its list.

`CATALOG` holds the built-in endpoints, then any added at run time
(`CATALOG.add`: `explorer serve --replay` adds a capture): an endpoint added
before a server starts is served, and listed by every face, like the others.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Iterator, Sequence, overload

from .params import Param, count, interval, jitter, seed

if TYPE_CHECKING:
    from aiohttp import web

    Handler = Callable[[web.Request, dict[str, float]], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Endpoint:
    """One demo endpoint: where it lives, what it shows, and its capped knobs."""

    route: str
    title: str
    mode: str
    watch: str
    handler: str  # "module.function" in this package: see load_handler
    params: tuple[Param, ...] = ()
    path: str = ""  # the example path to request, when it differs from route
    kind: str = "finite"  # finite, endless, fault or interactive
    group: str = "extras"
    methods: tuple[str, ...] = ("GET",)
    sample_body: bytes | None = None  # JSON the app sends when this entry is picked (a POST)

    @property
    def example(self) -> str:
        """The path a person requests to see this endpoint with its defaults."""
        return self.path or self.route

    def load_handler(self) -> Handler:
        """The handler function, its module imported on the first call (with aiohttp.web)."""
        module, name = self.handler.rsplit(".", 1)
        handler: Handler = getattr(importlib.import_module(f"{__package__}.{module}"), name)
        return handler

    def describe(self) -> dict[str, Any]:
        """The JSON catalog entry."""
        return {
            "path": self.example,
            "route": self.route,
            "title": self.title,
            "mode": self.mode,
            "watch": self.watch,
            "params": {p.name: p.describe() for p in self.params},
            "kind": self.kind,
            "group": self.group,
            "methods": list(self.methods),
        }


def _p(name: str, default: float, max: float, integer: bool = True, min: float = 0, help: str = "",
       exclude: tuple[float, ...] = ()) -> Param:
    return Param(name, default, max, min=min, integer=integer, help=help, exclude=exclude)


T, X, F, L = "tutorial", "extras", "faults", "llm"

# The knobs of every /llm/{shape} endpoint (llm_endpoints.py); times in milliseconds, as serving metrics are read.
LLM_PARAMS: tuple[Param, ...] = (
    _p("tokens", 60, 2000, min=1, help="answer tokens (thinking and tool-call steps come on top)"),
    seed(),
    _p("ttft", 350, 60_000, integer=False, help="ms before the first content delta (the preamble goes at once)"),
    _p("itl", 45, 10_000, integer=False, help="mean ms between deltas"),
    _p("jitter", 0.3, 1, integer=False, help="fraction: gaps are uniform in itl*(1-jitter)..itl*(1+jitter)"),
    _p("stall", 1500, 120_000, integer=False, help="ms of silence once in the stream; 0 = none"),
    _p("stall_at", 0, 10_000, help="the step the stall comes before; 0 = 60% through; past the last = none"),
    _p("thinking", 0, 1, help="1: thinking deltas first"),
    _p("tools", 0, 1, help="1: end with a get_weather tool call"),
    _p("usage", 1, 1, help="0: no usage report (a client counts deltas instead)"),
)

BUILTIN: tuple[Endpoint, ...] = (
    Endpoint("/hello", "Hello, World! in two writes", "wire", "Two HTTP chunks, 'Hello, ' then 'World!', half a second apart.",
             "tutorial.hello", (interval(0.5),), group=T),
    Endpoint("/chunks", "Chunk loop, no delay", "wire", "Every write is its own HTTP chunk even with no delay; 'any' mode may merge them into one read.",
             "tutorial.chunks", (count(10),), group=T),
    Endpoint("/async-chunks", "Chunks with a delay", "lines", "One 'Async Chunk i' per interval: the gaps match the interval.",
             "tutorial.async_chunks", (count(10), interval(0.3), jitter()), group=T),
    Endpoint("/generated", "Async generator feeding the response", "lines", "Each item the generator yields becomes one chunk as soon as it exists.",
             "tutorial.generated", (count(10), interval(0.2), jitter()), group=T),
    Endpoint("/ndjson", "NDJSON objects", "json", "One JSON object per line; the event view fills with ijson events as each line lands.",
             "tutorial.ndjson", (count(10), interval(0.2), jitter()), group=T),
    Endpoint("/sensor", "Temperature sensor", "lines", "A seeded reading per interval, like a device pushing measurements.",
             "tutorial.sensor", (count(10), interval(0.5), jitter(), seed()), group=T),
    Endpoint("/sensor-zlib", "Sensor, each reading zlib-compressed", "zlib", "Every chunk is its own zlib stream: compare compressed and decoded sizes.",
             "tutorial.sensor_zlib", (count(10), interval(0.5), jitter(), seed()), group=T),
    Endpoint("/cancellable", "Cancellable stream", "lines", "Stop reading midway: the server notices and records chunks sent and seconds in /events.",
             "tutorial.cancellable", (count(30), interval(0.3)), group=T),
    Endpoint("/rate-limited", "Token bucket rate limit", "lines", "A burst arrives at once, then items settle to the bucket's rate.",
             "tutorial.rate_limited", (count(30), _p("rate", 5, 1000, integer=False, min=0.1, help="items per second"),
                                       _p("burst", 5, 1000, help="bucket size")), group=T),
    Endpoint("/compare/chunked", "Chunked: lines as produced", "lines", "Rows arrive one by one; the first byte comes at once.",
             "tutorial.compare_chunked", (count(5), interval(0.5)), group=T),
    Endpoint("/compare/buffered", "Content-Length: lines held back", "lines", "Nothing for the whole delay, then every line in one burst: TTFB equals the total time.",
             "tutorial.compare_buffered", (count(5), interval(0.5)), group=T),
    Endpoint("/json-array", "JSON array, element by element", "json", "One array streamed over explicit chunked encoding: ijson emits each element's events as it lands.",
             "tutorial.json_array", (count(10), interval(0.2), jitter()), group=T),
    Endpoint("/json-nested", "Nested JSON written recursively", "json", "Token groups of a nested document trickle in; map keys and start/end events follow the writer.",
             "tutorial.json_nested", (_p("depth", 2, 6), _p("breadth", 2, 5), interval(0.05, max=5)), group=T),
    Endpoint("/ijson-events", "ijson events as text", "lines", "The server runs ijson over a document and streams 'prefix event value' lines.",
             "tutorial.ijson_events", (interval(0.05, max=5),), group=T),
    Endpoint("/ws/ticker", "WebSocket ticker", "ws", "N messages then a clean close 1000; every fourth message is binary.",
             "websocket.ws_ticker", (count(10, max=1_000_000), interval(0.3), jitter()), group=T),
    Endpoint("/ws/echo", "WebSocket echo", "ws", "Echoes what you send; stays open until you close it.",
             "websocket.ws_echo", (), kind="interactive", group=T),
    Endpoint("/sse", "Server-sent events", "sse", "Ids, event types, multi-line data, a retry field and comment keep-alives.",
             "extras.sse", (count(12), interval(0.3), jitter())),
    Endpoint("/llm", "LLM-style token stream", "sse", "Chat-completion deltas as SSE, ending in 'data: [DONE]'; gaps follow tokens per second.",
             "extras.llm", (_p("tokens", 60, 2000), _p("tps", 20, 10_000, integer=False, min=0.1, help="tokens per second"), seed())),
    Endpoint("/llm/openai-chat", "LLM: OpenAI Chat Completions", "sse", "chat.completion.chunk deltas: a role chunk at once, the first token after ttft, a stall 60% through, a usage chunk with choices [] and [DONE].",
             "llm_endpoints.llm_shape", LLM_PARAMS, group=L),
    Endpoint("/llm/openai-responses", "LLM: OpenAI Responses API", "sse", "Typed events with sequence numbers: response.created goes at once, output_text deltas follow ttft, usage arrives in response.completed.",
             "llm_endpoints.llm_shape", LLM_PARAMS, group=L),
    Endpoint("/llm/anthropic", "LLM: Anthropic Messages", "sse", "message_start and a ping before any token, then text_delta events; message_delta carries stop_reason and output_tokens. Try thinking=1&tools=1.",
             "llm_endpoints.llm_shape", LLM_PARAMS, group=L),
    Endpoint("/llm/gemini", "LLM: Gemini streamGenerateContent", "sse", "Data-only SSE, no preamble: TTFT is the first event. A tool call arrives whole in one event; usageMetadata rides on the last.",
             "llm_endpoints.llm_shape", LLM_PARAMS, group=L),
    Endpoint("/llm/ollama", "LLM: Ollama /api/chat", "json", "NDJSON message objects; the done object reports eval_count and eval_duration: compare its tokens/s with the measured one.",
             "llm_endpoints.llm_shape", LLM_PARAMS, group=L),
    Endpoint("/llm/ollama-generate", "LLM: Ollama /api/generate", "json", "NDJSON with a response field per token, then the done object with Ollama's own timing statistics.",
             "llm_endpoints.llm_shape", LLM_PARAMS, group=L),
    Endpoint("/gzip", "Gzip streamed live", "lines", "Content-Encoding gzip with a sync flush per line: decoded lines arrive live, not at the end.",
             "extras.gzip_stream", (count(10), interval(0.3), jitter())),
    Endpoint("/drip", "httpbin /drip", "any", "A Content-Length body dripped byte by byte: no chunk framing, reads follow the pacing.",
             "extras.drip", (_p("numbytes", 10, 10 * 1024 * 1024), _p("duration", 2, 60, integer=False),
                             _p("delay", 0, 10, integer=False),
                             _p("code", 200, 599, min=200, exclude=(204, 304),
                                help="response status; 1xx, 204 and 304 cannot carry a body"))),
    Endpoint("/stream/{n}", "httpbin /stream/{n}", "json", "n JSON lines describing your request, sent at once.",
             "extras.stream_n", (_p("n", 20, 100),), path="/stream/20"),
    Endpoint("/firehose", "Firehose", "any", "Bytes as fast as the loop allows: watch the rate, not the rows.",
             "extras.firehose", (_p("size", 65536, 1024 * 1024, min=1, help="bytes per write"),
                                 _p("total", 64 * 1024 * 1024, 1 << 40, help="bytes in all; 0 = endless"),
                                 _p("line", 0, 1024 * 1024, help="bytes per line; 0 = one line per write"))),
    Endpoint("/firehose/ndjson", "NDJSON firehose", "json", "Small JSON objects as fast as the loop allows: the parser's throughput, live.",
             "extras.ndjson_firehose", (_p("size", 65536, 1024 * 1024, min=64, help="bytes per write (whole lines)"),
                                        _p("total", 16 * 1024 * 1024, 1 << 40, help="bytes in all, rounded up to whole writes; 0 = endless"))),
    Endpoint("/echo", "Echo the request body", "chunked", "Send a body (-X POST -d ...): it comes back in chunks after a summary line.",
             "extras.echo", (_p("size", 1024, 1024 * 1024, min=1, help="bytes per chunk"),),
             methods=("GET", "POST", "PUT", "PATCH"), sample_body=b'{"hello": "explorer"}'),
    Endpoint("/tick", "Ticks with send time", "json", "Every chunk carries the server's send time: compare it with the arrival stamp.",
             "extras.tick", (count(20), interval(0.1), jitter())),
    Endpoint("/endless", "Endless counter", "lines", "Never ends: one line per interval until you stop it.",
             "extras.endless", (interval(0.5, max=60), jitter()), kind="endless"),
    Endpoint("/fault/truncated", "Fault: body cut mid-chunk", "wire", "Good chunks, then a chunk that promises 256 bytes and stops: a clear error, nothing lost.",
             "faults.truncated", (count(3), interval(0.2)), kind="fault", group=F),
    Endpoint("/fault/stall", "Fault: stall after some data", "lines", "Data, then silence for 'stall' seconds: a stall row appears as it passes; an idle timeout (F2 or --idle-timeout) ends it with a clear error.",
             "faults.stall", (count(3), interval(0.2), _p("stall", 30, 300, integer=False)), kind="fault", group=F),
    Endpoint("/fault/reset", "Fault: connection reset", "lines", "Data, then a TCP reset instead of a clean end.",
             "faults.reset", (count(3), interval(0.2)), kind="fault", group=F),
    Endpoint("/fault/long-line", "Fault: very long line", "lines", "One line of 2 MiB between short ones: the line cap reports it instead of crashing.",
             "faults.long_line", (_p("size", 2 * 1024 * 1024, 64 * 1024 * 1024),), kind="fault", group=F),
    Endpoint("/fault/status", "Fault: HTTP error status", "any", "A 503 with a JSON body: the status is shown and the body still read.",
             "faults.status", (_p("code", 503, 599, min=400),), kind="fault", group=F),
)


RESERVED = ("/", "/events", "/pairs")
"""Routes of the server itself (the index, the event log, the pairs): no endpoint may take them."""


class Catalog(Sequence[Endpoint]):
    """The endpoints in display order: the built-in ones, then those added at run time.

    One object every face reads (the server's routes, the index page, `explorer
    serve`, the TUI's list), so an endpoint added before a server starts is
    served and listed everywhere. Adding never changes a running server's routes.
    """

    def __init__(self, builtin: tuple[Endpoint, ...]) -> None:
        self.builtin = builtin
        self._entries = builtin

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Endpoint]:
        return iter(self._entries)

    @overload
    def __getitem__(self, index: int) -> Endpoint: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Endpoint, ...]: ...

    def __getitem__(self, index: int | slice) -> Endpoint | tuple[Endpoint, ...]:
        return self._entries[index]

    def __contains__(self, endpoint: object) -> bool:
        return endpoint in self._entries

    def route_taken(self, path: str) -> bool:
        """True when a request for `path` would reach the server itself or an endpoint already listed."""
        return path in RESERVED or any(_route_pattern(e.route).fullmatch(path) for e in self._entries)

    def add(self, endpoint: Endpoint) -> None:
        """List and serve `endpoint` after the others (raises ValueError when its route is taken)."""
        if self.route_taken(endpoint.route):
            raise ValueError(f"The path {endpoint.route} is taken by the demo server: choose another.")
        self._entries = (*self._entries, endpoint)

    def remove(self, endpoint: Endpoint) -> None:
        """Forget an endpoint added at run time (the built-in ones stay)."""
        self._entries = self.builtin + tuple(e for e in self._entries[len(self.builtin):] if e is not endpoint)


def _route_pattern(route: str) -> re.Pattern[str]:
    """The paths an aiohttp route matches: a `{name}` part matches one path segment."""
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part)
                              for part in re.split(r"(\{[^}]*\})", route)))


CATALOG = Catalog(BUILTIN)


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a demo path read in a mode."""

    path: str
    mode: str
    chunk_size: int = 1024


@dataclass(frozen=True)
class ComparePair:
    """Two streams worth watching side by side on one clock."""

    name: str
    title: str
    watch: str
    a: Side
    b: Side

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "watch": self.watch,
                "a": self.a.__dict__, "b": self.b.__dict__}


PAIRS: tuple[ComparePair, ...] = (
    ComparePair("chunked-vs-length", "Chunked vs Content-Length",
                "Left: rows arrive one by one from the first byte. Right: nothing for the whole delay, then all at once.",
                Side("/compare/chunked?count=6&interval=0.4", "lines"), Side("/compare/buffered?count=6&interval=0.4", "lines")),
    ComparePair("any-vs-wire", "Socket reads vs HTTP chunks",
                "The same 40 quick writes: 'any' sees whatever each socket read held, 'wire' sees every HTTP chunk.",
                Side("/chunks?count=40", "any"), Side("/chunks?count=40", "wire")),
    ComparePair("wire-vs-chunked16", "HTTP chunks vs 16-byte reads",
                "Each paced chunk is one row on the left; chunked(16) cuts the same bytes into small reads.",
                Side("/ndjson?count=8&interval=0.2", "wire"), Side("/ndjson?count=8&interval=0.2", "chunked", 16)),
    ComparePair("zlib-vs-gzip", "Per-chunk zlib vs a gzip stream",
                "Left: every reading is its own zlib stream. Right: one gzip stream, sync-flushed per line.",
                Side("/sensor-zlib?count=8&interval=0.25", "zlib"), Side("/gzip?count=8&interval=0.25", "lines")),
    ComparePair("sse-vs-ws", "SSE vs WebSocket",
                "The same cadence as server-sent events over HTTP and as WebSocket messages.",
                Side("/sse?count=8&interval=0.25", "sse"), Side("/ws/ticker?count=8&interval=0.25", "ws")),
    ComparePair("llm-fast-vs-slow", "Two models on one clock",
                "The same answer from a fast and a slow model: TTFT 0.2 s vs 0.9 s, 25 ms vs 70 ms between tokens, and a 1 s stall on the slow side.",
                Side("/llm/anthropic?tokens=40&ttft=200&itl=25&stall=0", "auto"),
                Side("/llm/anthropic?tokens=40&ttft=900&itl=70&stall=1000", "auto")),
)


def find_pair(name: str) -> ComparePair | None:
    return next((pair for pair in PAIRS if pair.name == name), None)


def catalog_entries() -> list[dict[str, Any]]:
    """The catalog as JSON-ready dicts, in display order."""
    return [endpoint.describe() for endpoint in CATALOG]


def find(path: str) -> Endpoint | None:
    """The endpoint whose example or route matches `path` (query ignored)."""
    bare = path.split("?", 1)[0]
    for endpoint in CATALOG:
        if bare in (endpoint.route, endpoint.example):
            return endpoint
    return None


def demo_url(base: str, path: str, mode: str = "auto") -> str:
    """The full URL of a demo path on the server at `base`: the one place paths become URLs.

    WebSocket endpoints (or mode ws) get ws://; a path without a leading slash gets one.
    """
    if not path.startswith("/"):
        path = "/" + path
    endpoint = find(path)
    if mode == "ws" or (mode == "auto" and endpoint is not None and endpoint.mode == "ws"):
        base = base.replace("http://", "ws://", 1)
    return base + path
