"""The explorer app: a live, safe, fast window on a stream.

The stream runs in an exclusive worker that only appends records to the
session's pending list; a timer drains it 20 times a second into the
widgets. A UI call per record would cap a stream at about a thousand records
a second.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from pathlib import Path
from time import perf_counter
from typing import Any, Iterable

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Select, TabbedContent, TabPane

from ..core import Record, StreamRequest
from ..core.format import phases_line
from ..core.jsonl import JsonlRecorder, jsonl_lines
from ..demo import DemoServer
from ..demo.catalog import CATALOG, ComparePair
from ..options import demo_url
from .compare import CompareScreen, PairPicker, pair_requests
from .ring import Ring
from .session import PAYLOAD_CAP, StreamSession, cap_payload, pump
from .widgets.chunk_log import LOG_KINDS, ChunkLog
from .widgets.demo_panel import DemoPanel
from .widgets.event_view import EventView, event_rows
from .widgets.headers_view import HeadersView
from .widgets.request_bar import RequestBar
from .widgets.status_bar import StatusBar
from .widgets.timeline import Timeline

FLUSH_HZ = 20
KEEP_RECORDS = 10_000
EVENT_MODES = frozenset(("json", "sse", "ws"))
TIMELINE_EVERY = 5  # flushes between timeline redraws (4 a second)


class ServerEvent(Message):
    """The demo server finished a stream (or saw a client leave)."""

    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__()
        self.event = event


class ExplorerApp(App[int]):
    """Choose a URL and a read mode, then watch every arrival live."""

    TITLE = "explorer"
    SUB_TITLE = "watch a stream arrive"
    CSS_PATH = Path(__file__).parent / "app.tcss"
    BINDINGS = [
        Binding("ctrl+r", "start", "Start", priority=True),
        Binding("ctrl+k", "stop", "Stop", priority=True),
        Binding("ctrl+l", "clear", "Clear", priority=True),
        Binding("ctrl+f", "toggle_follow", "Follow", priority=True),
        Binding("ctrl+d", "toggle_server", "Demo server", priority=True),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+o", "compare", "Compare", priority=True),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, request: StreamRequest | None = None, *, demo: bool = False,
                 demo_path: str | None = None, start: bool = False,
                 compare: ComparePair | tuple[StreamRequest, StreamRequest] | None = None,
                 record_to: str | None = None) -> None:
        super().__init__()
        self.record_to = record_to
        self.recorder: JsonlRecorder | None = None
        self.initial_compare = compare
        self.template = request or StreamRequest(url="", mode="auto")
        self.start_demo = demo
        self.demo_path = demo_path
        self.start_now = start
        self.server = DemoServer()
        self.server.event_log.subscribe(lambda event: self.post_message(ServerEvent(event)))
        self.session = StreamSession()
        self.kept: Ring[Record] = Ring(KEEP_RECORDS)
        self._frames = 0
        self.streaming_mode = ""
        self.history: list[str] = []

    # -- layout ----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield DemoPanel(id="demo")
            with Vertical(id="main"):
                yield RequestBar(self.template.url, self.template.mode, self.template.chunk_size)
                yield StatusBar()
                with TabbedContent(id="tabs"):
                    with TabPane("Stream", id="stream-tab"):
                        yield ChunkLog(id="log")
                        yield EventView(id="events")
                    with TabPane("Timeline", id="timeline-tab"):
                        yield Timeline(id="timeline")
                    with TabPane("Headers", id="headers-tab"):
                        yield HeadersView(id="headers")
        yield Footer()

    async def on_mount(self) -> None:
        if self.record_to:
            try:
                self.recorder = JsonlRecorder(self.record_to)
            except OSError as error:
                self.notify(f"Cannot record to {self.record_to}: {error.strerror}.", severity="error", markup=False)
        self.query_one("#log", ChunkLog).border_title = "Arrivals  (#, time since request, +gap, size, preview)"
        self.query_one("#events", EventView).border_title = "Events  (ijson / SSE / WebSocket messages)"
        self.query_one(RequestBar).suggest(self._catalog_urls())
        self.set_interval(1 / FLUSH_HZ, self.flush)
        self.query_one(StatusBar).show(self.session.stats)
        # Everything built so far lives as long as the app: keep it out of the
        # cyclic collector's scans, which otherwise grow with every record ingested.
        gc.freeze()
        if self.start_demo:
            await self.start_server()
            if self.demo_path:
                self.query_one(RequestBar).fill(demo_url(self.server.url, self.demo_path, self.template.mode),
                                                self.template.mode)
            self.query_one("#catalog").focus()
        if self.start_now:
            self.action_start()
        if isinstance(self.initial_compare, ComparePair):
            await self.open_pair(self.initial_compare)
        elif self.initial_compare is not None:
            a, b = self.initial_compare
            if self.start_demo:
                a = dataclasses.replace(a, url=demo_url(self.server.url, a.url, a.mode))
                b = dataclasses.replace(b, url=demo_url(self.server.url, b.url, b.mode))
            self.push_screen(CompareScreen(a, b, "Compare"))

    # -- the stream ------------------------------------------------------------

    def current_request(self) -> StreamRequest:
        bar = self.query_one(RequestBar)
        return dataclasses.replace(self.template, url=bar.url, mode=bar.mode, chunk_size=bar.chunk_size)

    def action_start(self) -> None:
        """Start (or restart) streaming the URL in the request bar (on a compare screen: both sides)."""
        if isinstance(self.screen, CompareScreen):
            self.screen.action_restart()
            return
        request = self.current_request()
        if request.insecure:
            self.notify("TLS certificates are not verified (--insecure).", title="Warning", severity="warning",
                        markup=False)
        self.action_clear()
        self.session.start()
        self.streaming_mode = request.mode
        if request.url and request.url not in self.history:
            self.history.insert(0, request.url)
            self.query_one(RequestBar).suggest([request.url])
        self.run_stream(request)

    @work(exclusive=True, group="stream")
    async def run_stream(self, request: StreamRequest) -> None:
        """Read the stream into the session (the flush timer shows it)."""
        await pump(request, self.session, self.recorder)

    def action_stop(self) -> None:
        """Stop the running stream; what arrived stays on screen."""
        if isinstance(self.screen, CompareScreen):
            self.screen.action_stop()
            return
        stats = self.session.stats
        if stats.state not in ("connecting", "streaming"):
            return
        self.workers.cancel_group(self, "stream")
        self.flush()
        stats.state = "stopped"
        stats.finished = perf_counter()
        note = Record("note", 0, stats.elapsed, 0.0, 0, None,
                      {"text": f"■ stopped by you after {stats.records:,} records and {stats.elapsed:.2f} s"})
        self.query_one("#log", ChunkLog).add_rows([note])
        self.query_one(StatusBar).show(stats)

    def action_clear(self) -> None:
        """Clear the log, the events and the kept records."""
        self.query_one("#log", ChunkLog).clear()
        self.query_one("#events", EventView).clear()
        self.kept.clear()

    def action_toggle_follow(self) -> None:
        """Pause following the newest rows, or jump back to live."""
        log = self.query_one("#log", ChunkLog)
        log.toggle_follow()
        events = self.query_one("#events", EventView)
        if events.following != log.following:
            events.toggle_follow()

    def flush(self) -> None:
        """Move what the worker produced into the widgets: one batch, one refresh."""
        session = self.session
        batch = session.drain()
        stats = session.stats
        if batch:
            log = self.query_one("#log", ChunkLog)
            events = self.query_one("#events", EventView)
            tail = batch[-log.rows.capacity:]  # older rows would be pushed out at once
            for record in tail:
                if record.data is not None and len(record.data) > PAYLOAD_CAP:
                    cap_payload(record)
            self.kept.extend(tail)
            mode = stats.response.get("mode") if stats.response is not None else None
            derived = mode in ("json", "sse")  # only these interleave records the log does not show
            log.add_rows([record for record in tail if record.kind in LOG_KINDS] if derived else tail)
            if mode in EVENT_MODES:
                events.add_rows(self._event_rows(tail, events.rows.capacity))
            if batch[0].kind == "response":
                self.query_one(HeadersView).show(stats.response)
            if stats.final is batch[-1]:
                if self.recorder is not None:
                    self.recorder.write(stats.final)
                log.add_rows([Record("note", 0, 0.0, 0.0, 0, None, {"text": "phases: " + phases_line(stats.final)})])
        if batch or stats.state in ("connecting", "streaming"):
            self._frames += 1
            if self._frames % TIMELINE_EVERY == 0 or (batch and stats.final is batch[-1]):
                self.show_timeline()
        if batch or stats.state in ("connecting", "streaming"):
            self.query_one(StatusBar).show(stats)

    def show_timeline(self) -> None:
        """Redraw the timeline tab, only while it is the one on screen."""
        if self.query_one("#tabs", TabbedContent).active != "timeline-tab":
            return
        final = self.session.stats.final
        self.query_one(Timeline).show(self.session.stats.timing, final.get("phases") if final else None,
                                      final.extra if final else None)

    @on(TabbedContent.TabActivated)
    def tab_activated(self) -> None:
        self.show_timeline()

    @staticmethod
    def _event_rows(batch: list[Record], limit: int) -> Iterable[Any]:
        newest_first: list[list[Any]] = []
        count = 0
        for record in reversed(batch):
            if record.kind in ("event", "sse", "message"):
                newest_first.append(list(event_rows(record, limit - count)))
                count += len(newest_first[-1])
                if count >= limit:
                    break
        return [row for rows in reversed(newest_first) for row in rows]

    # -- input -----------------------------------------------------------------

    @on(Input.Submitted, "#url")
    def url_submitted(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#start")
    def start_pressed(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#stop")
    def stop_pressed(self) -> None:
        self.action_stop()

    @on(Select.Changed, "#mode")
    def mode_changed(self, event: Select.Changed) -> None:
        """A new mode restarts a running stream (Select also reports its first value: ignore that)."""
        running = self.session.stats.state in ("connecting", "streaming")
        if running and event.value != self.streaming_mode:
            self.action_start()

    @on(Button.Pressed, "#server-toggle")
    async def server_toggle_pressed(self) -> None:
        await self.action_toggle_server()

    async def on_demo_panel_entry_chosen(self, message: DemoPanel.EntryChosen) -> None:
        if not self.server.running:
            await self.start_server()
        self.query_one(RequestBar).fill(demo_url(self.server.url, message.endpoint.example, message.endpoint.mode),
                                        message.endpoint.mode)
        self.query_one("#url", Input).focus()

    def on_server_event(self, message: ServerEvent) -> None:
        self.query_one(DemoPanel).log_event(message.event)

    # -- the demo server -------------------------------------------------------

    async def start_server(self) -> None:
        try:
            await self.server.start()
        except OSError as error:
            self.notify(f"The demo server could not start: {error.strerror or error}.", severity="error",
                        markup=False)
            return
        self.query_one(DemoPanel).show_server(self.server.url)
        self.query_one(RequestBar).suggest(self._catalog_urls())

    async def action_toggle_server(self) -> None:
        """Start or stop the embedded demo server."""
        if self.server.running:
            await self.server.stop()
            self.query_one(DemoPanel).show_server(None)
        else:
            await self.start_server()

    def _catalog_urls(self) -> list[str]:
        if not self.server.running:
            return []
        return [demo_url(self.server.url, endpoint.example, endpoint.mode) for endpoint in CATALOG]

    # -- comparing -------------------------------------------------------------

    def action_compare(self) -> None:
        """Pick a ready-made pair of demo streams and watch them side by side."""
        async def chosen(pair: ComparePair | None) -> None:
            if pair is not None:
                await self.open_pair(pair)

        self.push_screen(PairPicker(), chosen)

    async def open_pair(self, pair: ComparePair) -> None:
        """Start the demo server if needed and open the comparison."""
        if not self.server.running:
            await self.start_server()
        a, b = pair_requests(self.template, demo_url(self.server.url, pair.a.path, pair.a.mode), pair.a.mode,
                             demo_url(self.server.url, pair.b.path, pair.b.mode), pair.b.mode,
                             pair.a.chunk_size, pair.b.chunk_size)
        self.push_screen(CompareScreen(a, b, pair.title, pair.watch))

    # -- saving and quitting ---------------------------------------------------

    def action_save(self) -> None:
        """Write the kept records as JSONL (the `explorer get` contract)."""
        path = Path.cwd() / time.strftime("explorer-%Y%m%d-%H%M%S.jsonl")
        try:
            with path.open("w", encoding="utf-8") as out:
                for record in self.kept:
                    if record.kind == "note":
                        continue
                    out.write("\n".join(jsonl_lines(record)) + "\n")
        except OSError as error:
            self.notify(f"Could not save: {error.strerror or error}.", severity="error", markup=False)
            return
        self.notify(f"Saved {len(self.kept):,} records to {path}", title="Saved", markup=False)
        self.saved_path = path

    async def action_quit(self) -> None:
        """Stop the stream and the demo server, then exit."""
        self.workers.cancel_group(self, "stream")
        await self.server.stop()
        self.exit(0)

    async def on_unmount(self) -> None:
        await self.server.stop()
        if self.recorder is not None:
            self.recorder.close()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Start stream", "Start or restart the URL in the request bar", self.action_start)
        yield SystemCommand("Stop stream", "Stop the running stream", self.action_stop)
        yield SystemCommand("Clear log", "Clear arrivals and events", self.action_clear)
        yield SystemCommand("Toggle follow", "Pause following, or jump back to live", self.action_toggle_follow)
        yield SystemCommand("Start/stop demo server", "Toggle the embedded demo server", self.action_toggle_server)
        yield SystemCommand("Save records", "Write the kept records as JSONL", self.action_save)
        yield SystemCommand("Compare two streams", "Pick a demo pair to watch side by side", self.action_compare)
