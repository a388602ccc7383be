"""The main screen: the request bar, the demo panel, the live log and event view, and their keys.

It owns its bindings and reacts to its widgets' messages (start, stop, mode
changed, server toggled, catalog entry chosen) and to the session's
lifecycle messages (response, ended). Bulk records reach the widgets in
batches, on a timer (`LiveFeed`).

Its keys never clash with a text field's editing keys (ctrl+a, ctrl+e,
ctrl+d, ctrl+k, ctrl+u, ctrl+w, ctrl+x, ctrl+v, ctrl+c...), so they can be
priority bindings that work from the URL field too, and the footer stays
the same whatever has focus. The layout follows the terminal's size
through breakpoint classes (`-narrow`, `-wide`, `-short`, see app.tcss);
the demo panel can be hidden (ctrl+b) and starts hidden without `--demo`.
"""

from __future__ import annotations

import dataclasses
import gc
from contextlib import suppress
from pathlib import Path
from typing import Any, Iterable

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Footer, Header, Input, TabbedContent, TabPane

from ..core import Record, StreamRequest
from ..core.format import fmt_ms, phases_line, plural
from ..core.history import History
from ..core.jsonl import JsonlRecorder
from ..core.modes import REGISTRY
from ..core.secrets import SecretError
from ..demo.catalog import CATALOG, ComparePair, demo_url
from ..options import Options
from . import collector
from .compare import CompareScreen, PairPicker
from .composer import Composer
from .feed import FLUSH_HZ, LiveFeed
from .find_bar import FindBar
from .limits import LimitsScreen
from .request_screen import RequestScreen
from .ring import Ring
from .save import SaveScreen, saved_sentence, shown_path, write_jsonl
from .session import RecordingFailed, StreamEnded, StreamResponded, StreamSession
from .widgets.chunk_log import ChunkLog, Note, arrivals_title
from .widgets.deferred import Deferred, mount_deferred
from .widgets.demo_panel import DemoPanel
from .widgets.event_view import EventView
from .widgets.headers_view import HeadersView
from .widgets.message_bar import MessageBar
from .widgets.request_bar import RequestBar
from .widgets.request_view import RequestView
from .widgets.ring_log import RingLog
from .widgets.status_bar import StatusBar
from .widgets.timeline import Timeline
from .widgets.transcript import Transcript

KEEP_RECORDS = 10_000
TIMELINE_EVERY = 5  # flushes between timeline redraws (4 a second)


class ServerEvent(Message):
    """The demo server finished a stream (or saw a client leave)."""

    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__()
        self.event = event


class MainScreen(RequestScreen):
    """Choose a URL and a read mode, then watch every arrival live."""

    BINDINGS = [
        Binding("ctrl+r", "start", "Start", priority=True),
        Binding("ctrl+g", "stop", "Stop", priority=True),
        Binding("ctrl+l", "clear", "Clear", priority=True, show=False),
        Binding("ctrl+y", "toggle_follow", "Follow", priority=True, show=False),
        Binding("ctrl+b", "toggle_panel", "Panel", priority=True),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+o", "compare", "Compare", priority=True),
        Binding("ctrl+n", "toggle_server", "Demo server", priority=True, show=False),
        Binding("ctrl+t", "toggle_clock", "Clock", priority=True, show=False),
        Binding("f3", "edit_request", "Edit", priority=True),
        Binding("f2", "limits", "Limits", show=False),
        Binding("f4", "copy_curl", "Copy as curl", show=False),
        Binding("slash", "find", "Find"),
        Binding("escape", "close_find", "Close find", show=False),
        Binding("n", "find_next", "Next match", show=False),
        Binding("N", "find_previous", "Previous match", show=False),
        Binding("f", "filter", "Filter", show=False),
        Binding("s", "jump('stall', True)", "Next stall", show=False),
        Binding("S", "jump('stall', False)", "Previous stall", show=False),
        Binding("e", "jump('error', True)", "Next error", show=False),
        Binding("E", "jump('error', False)", "Previous error", show=False),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-normal"), (160, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    def __init__(self, options: Options, *, start: bool = False,
                 compare: ComparePair | tuple[Options, Options] | None = None) -> None:
        super().__init__()
        self.options = options
        self.start_now = start
        self.initial_compare = compare
        self.session = StreamSession()
        self.composer = Composer(options, History())
        self.kept: Ring[Record] = Ring(KEEP_RECORDS)
        self.recorder: JsonlRecorder | None = None
        self.saved_path: Path | None = None
        self.comparing: CompareScreen | None = None  # the comparison on screen, if any
        self._frames = 0
        self._silence_noted: float | None = None  # the last arrival whose silence has its stall row
        # Hidden at first: they mount after the first frame (Deferred), and take what they are to show before.
        self.timeline = Timeline(id="timeline")
        self.headers_view = HeadersView(id="headers")
        self.request_view = RequestView(id="request-view")
        self.transcript = Transcript(id="transcript")  # shows itself when a token arrives

    @staticmethod
    def blank_request() -> StreamRequest:
        return StreamRequest(url="", mode="auto")

    # -- layout ----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield DemoPanel(id="demo", shown=self.options.demo)
            with Vertical(id="main"):
                request = self.options.request
                yield RequestBar(request.url, request.mode, request.chunk_size, request.method)
                yield StatusBar()
                with TabbedContent(id="tabs"):
                    with TabPane("Stream", id="stream-tab"):
                        yield ChunkLog(id="log")
                        yield Deferred(self.transcript)
                        yield EventView(id="events")
                        yield MessageBar(id="messages")
                    with TabPane("Timeline", id="timeline-tab"):
                        yield Deferred(self.timeline)
                    with TabPane("Headers", id="headers-tab"):
                        yield Deferred(self.headers_view)
                    with TabPane("Request", id="request-tab"):
                        yield Deferred(self.request_view)
                yield FindBar(id="find")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        if self.options.output:
            try:
                if not self.options.append:  # `-o` starts the file anew, as in `explorer get`; the engine appends
                    open(self.options.output, "w").close()
                self.recorder = JsonlRecorder(self.options.output)
            except OSError as error:
                self.notify(f"Cannot record to {shown_path(self.options.output)}: {error.strerror or error}.",
                            severity="error", markup=False)
        self.show_panel(self.options.demo)
        self.show_events_for(self.options.request.mode)
        self.log_widget.border_title = arrivals_title(absolute=False)
        self.events_widget.border_title = "Events  (ijson / SSE / WebSocket messages)"
        self.feed = LiveFeed(self.session, self.log_widget, self.events_widget, self.kept, self.transcript)
        self.finder = self.query_one(FindBar).finder
        self.set_interval(1 / FLUSH_HZ, self.flush)
        self.query_one(StatusBar).show(self.session)
        self.query_one(RequestBar).suggest(self.composer.history.urls())
        if self.options.demo:
            self.query_one("#catalog").focus()
        elif self.start_now:
            self.log_widget.focus()  # launched with a URL: what comes next is reading the log
        self.call_after_refresh(self.after_first_frame)
        await self.open_initial_compare()

    async def after_first_frame(self) -> None:
        """What the first frame does not wait for: the engine, the hidden parts, the demo server, the stream."""
        if self.initial_compare is None:
            self.session.warm()  # the engine process loads in its own process while the rest goes on
        await mount_deferred(self)
        # Everything built so far lives as long as the app: keep it out of the
        # cyclic collector's scans, which otherwise grow with every record ingested.
        gc.freeze()
        if self.options.demo:  # its modules (aiohttp.web) load now, not before the first frame
            base = await self.start_server()
            if base and self.options.demo_path:
                self.query_one(RequestBar).fill(self.options.on_demo(base).url, self.options.request.mode)
        if self.start_now:
            self.action_start()

    @property
    def log_widget(self) -> ChunkLog:
        return self.query_one("#log", ChunkLog)

    @property
    def events_widget(self) -> EventView:
        return self.query_one("#events", EventView)

    def show_panel(self, shown: bool) -> None:
        """Show or hide the demo panel; focus leaves it when it goes."""
        panel = self.query_one(DemoPanel)
        if shown:
            panel.reveal()  # built the first time (hidden from the start without --demo)
        else:
            panel.display = False
        if not shown and self.focused is not None and panel in self.focused.ancestors:
            self.query_one("#url").focus()

    def action_toggle_panel(self) -> None:
        """Show or hide the demo panel (its catalog, server controls and event log)."""
        shown = not self.query_one(DemoPanel).display
        self.show_panel(shown)
        if shown:
            self.query_one("#catalog").focus()

    def show_events_for(self, mode: str) -> None:
        """The event view takes room only in modes that have events (and in auto, until the response says)."""
        self.events_widget.display = mode == "auto" or REGISTRY[mode].events

    # -- the stream ------------------------------------------------------------

    @on(RequestBar.StartRequested)
    def start_requested(self, message: RequestBar.StartRequested) -> None:
        """Start exactly what is shown: the bar's URL and mode with the draft's method, headers and body."""
        request = self.composer.request(message.url, message.mode, message.chunk_size)
        try:
            resolved = self.composer.resolved(request)
        except SecretError as error:
            self.notify(str(error), severity="error", markup=False, timeout=8)
            return
        if request.url and not request.problem():
            self.remember(request)
        self.start_stream(resolved)

    def start_stream(self, request: StreamRequest) -> None:
        """Clear the view and stream `request` in a new session run."""
        if request.insecure:
            self.notify("TLS certificates are not verified (--insecure).", title="Warning", severity="warning",
                        markup=False)
        self.action_clear()
        self.show_events_for(request.mode)
        if self.has_class("-narrow") and self.query_one(DemoPanel).display:
            self.show_panel(False)  # on a narrow terminal the stream needs every column: ctrl+b brings it back
            self.log_widget.focus()
        self.session.start(request)
        self.request_view.show(None)
        self._silence_noted = None
        if request.url:
            self.query_one(RequestBar).suggest([request.url])
        self.run_stream(request)

    @work(exclusive=True, group="stream")
    async def run_stream(self, request: StreamRequest) -> None:
        """Read the stream into the session on its engine thread (the flush timer shows it)."""
        await self.session.run(request, self.post_message, self.recorder)
        with suppress(NoMatches):  # the app is closing and its widgets went first: nothing to show the end in
            self.flush()  # the end is on screen as soon as the stream is over

    def action_stop(self) -> None:
        """Stop the running stream; what arrived stays on screen."""
        self.post_message(RequestBar.StopRequested())

    @on(RequestBar.StopRequested)
    def stop_requested(self) -> None:
        self.flush()  # a stream that already ended says so, not "stopped"
        if not self.session.stop():
            return
        self.workers.cancel_group(self, "stream")
        self.query_one(MessageBar).display = False
        self.flush()  # what the engine made before the stop
        self.log_widget.add_rows([Note(f"■ stopped by you after {plural(self.session.stats.records, 'record')} "
                                       f"and {fmt_ms(self.session.elapsed)}")])
        self.query_one(StatusBar).show(self.session)

    @on(RequestBar.ModeChanged)
    def mode_changed(self, message: RequestBar.ModeChanged) -> None:
        """A new mode restarts a running stream (Select also reports its first value: that changes nothing)."""
        response = self.session.response
        if self.session.running and (response is None or response.response.mode != message.mode):
            self.action_start()
        elif not self.session.running:
            self.show_events_for(message.mode)

    def on_stream_responded(self, message: StreamResponded) -> None:
        if message.session is self.session:
            self.headers_view.show(message.response)
            self.request_view.show(message.response.response.request)
            websocket = message.response.response.mode == "ws"
            if websocket:
                self.query_one(MessageBar).display = True
                if self.focused is None or self.focused is self.log_widget:
                    self.query_one("#message", Input).focus()  # a conversation: what is typed next is a message
            else:
                self.query_one(MessageBar).display = False
            self.show_events_for(message.response.response.mode)
            for log in (self.log_widget, self.events_widget):
                log.started_at = message.response.response.started_at

    def on_recording_failed(self, message: RecordingFailed) -> None:
        """The `-o` capture could not be written: stop recording, say so, and keep streaming."""
        if self.recorder is not None and str(self.recorder.path) == message.path:
            self.recorder.close()
            self.recorder = None
        self.notify(f"Recording to {shown_path(message.path)} stopped: "
                    f"{message.error.strerror or message.error}.", severity="error", markup=False)

    def on_stream_ended(self, message: StreamEnded) -> None:
        if message.session is not self.session:
            return
        self.flush()
        self.query_one(MessageBar).display = False
        self.log_widget.add_rows([Note("phases: " + phases_line(message.final.summary.phases))])
        self.show_timeline()
        collector.collect_between_streams()

    def flush(self) -> None:
        """Move what the worker produced into the widgets: one batch, one refresh."""
        batch = self.feed.flush()
        if self.session.state == "streaming":
            self.note_silence()
        if self.session.llm.active and not self.events_widget.display:
            self.events_widget.display = True  # token rows, whatever the mode (an NDJSON stream read as lines)
        if batch or self.session.running:
            self._frames += 1
            if self._frames % TIMELINE_EVERY == 0:
                self.show_timeline()
            self.query_one(StatusBar).show(self.session)

    def note_silence(self) -> None:
        """Add the stall row as soon as a silence passes the stall threshold, not when data comes back."""
        session = self.session
        last = session.last_arrival
        if self._silence_noted == last:
            return
        silence = session.quiet_for
        if silence is not None and session.timing.would_stall(silence):
            self._silence_noted = last
            self.log_widget.add_rows([Note(f"⏸ a stall: nothing since {fmt_ms(last)}, "
                                           f"{fmt_ms(silence)} without data when this row was added")])

    def action_toggle_clock(self) -> None:
        """Show arrival times as time since the request, or as the time of day."""
        for log in (self.log_widget, self.events_widget):
            log.absolute = not log.absolute
        self.log_widget.border_title = arrivals_title(self.log_widget.absolute)
        self.notify("Times of day" if self.log_widget.absolute else "Times since the request", timeout=2)

    def action_limits(self) -> None:
        """Set the idle timeout, max time and stall threshold for the next start."""
        def chosen(request: StreamRequest | None) -> None:
            if request is not None:
                self.options = dataclasses.replace(self.options, request=request)
                self.composer.set_limits(request)
                self.notify("Time limits apply from the next start (ctrl+r).", timeout=3)

        self.app.push_screen(LimitsScreen(self.options.request), chosen)

    def action_clear(self) -> None:
        """Clear the log, the events and the kept records."""
        self.log_widget.clear()
        self.events_widget.clear()
        self.transcript.clear()
        self.kept.clear()

    def action_toggle_follow(self) -> None:
        """Pause following the newest rows, or jump back to live."""
        log, events = self.log_widget, self.events_widget
        log.toggle_follow()
        if events.following != log.following:
            events.toggle_follow()

    # -- find, filter, jump ------------------------------------------------------

    def searched_log(self) -> RingLog[Any]:
        """The log the person is in (the events view when it has focus), else the arrivals log."""
        focused = self.focused
        return focused if isinstance(focused, RingLog) else self.log_widget

    def action_find(self) -> None:
        """Find text in the kept rows (as you type; Enter, n and N move between matches)."""
        self.finder.open("find", self.searched_log())

    def action_filter(self) -> None:
        """Show only rows of some kinds or holding some words; the bar stays while the filter is on."""
        self.finder.open("filter", self.searched_log())

    def action_close_find(self) -> None:
        """Esc outside the bar closes it too (and clears a filter)."""
        if self.finder.showing:
            self.finder.closed(self.finder.bar.mode)

    def action_find_next(self) -> None:
        self._say(self.finder.next(forward=True))

    def action_find_previous(self) -> None:
        self._say(self.finder.next(forward=False))

    def action_jump(self, what: str, forward: bool) -> None:
        """Move the cursor to the next (previous) stall or error row."""
        self._say(self.finder.jump(self.searched_log(), what, forward))

    def _say(self, sentence: str | None) -> None:
        if sentence:
            self.notify(sentence, timeout=3, markup=False)

    def show_timeline(self) -> None:
        """Redraw the timeline tab, only while it is the one on screen."""
        if self.query_one("#tabs", TabbedContent).active == "timeline-tab":
            self.timeline.show(self.session)

    @on(TabbedContent.TabActivated)
    def tab_activated(self) -> None:
        self.show_timeline()

    # -- the demo server -------------------------------------------------------

    async def start_server(self) -> str | None:
        base = await self.app.start_server()  # type: ignore[attr-defined]
        self.query_one(DemoPanel).show_server(base)
        if base:
            self.query_one(RequestBar).suggest([demo_url(base, e.example, e.mode) for e in CATALOG])
        return base

    async def action_toggle_server(self) -> None:
        """Start or stop the embedded demo server (started, its panel shows)."""
        if self.app.server.running:  # type: ignore[attr-defined]
            await self.app.stop_server()  # type: ignore[attr-defined]
            self.query_one(DemoPanel).show_server(None)
            self.notify("Demo server stopped.", timeout=2)
        elif await self.start_server() and not self.query_one(DemoPanel).display:
            self.action_toggle_panel()  # shown, with the catalog under the keys

    async def on_demo_panel_toggle_server(self) -> None:
        await self.action_toggle_server()

    async def on_demo_panel_entry_chosen(self, message: DemoPanel.EntryChosen) -> None:
        base = await self.start_server()
        if base:
            endpoint = message.endpoint
            url, body = demo_url(base, endpoint.example, endpoint.mode), endpoint.sample_body
            method = "POST" if body is not None else "GET"
            self.composer.reset(url, endpoint.mode, method, body)
            self.query_one(RequestBar).fill(url, endpoint.mode, method)
            self.query_one("#url", Input).focus()

    def on_server_event(self, message: ServerEvent) -> None:
        self.query_one(DemoPanel).log_event(message.event)

    # -- comparing -------------------------------------------------------------

    def action_compare(self) -> None:
        """Pick a ready-made pair of demo streams and watch them side by side."""
        async def chosen(pair: ComparePair | None) -> None:
            if pair is not None:
                await self.open_pair(pair)

        self.app.push_screen(PairPicker(), chosen)

    async def open_pair(self, pair: ComparePair) -> None:
        """Start the demo server if needed and open the comparison (in place of one on screen)."""
        base = await self.start_server()
        if base is None:
            return
        a = dataclasses.replace(self.options.request, url=demo_url(base, pair.a.path, pair.a.mode), mode=pair.a.mode,
                                chunk_size=pair.a.chunk_size)
        b = dataclasses.replace(self.options.request, url=demo_url(base, pair.b.path, pair.b.mode), mode=pair.b.mode,
                                chunk_size=pair.b.chunk_size)
        await self.open_comparison(CompareScreen(a, b, pair.title, pair.watch, host=self))

    async def open_comparison(self, screen: CompareScreen) -> None:
        """Show a comparison; one already on screen gives way to it (comparisons never stack)."""
        if self.comparing is not None and self.comparing in self.app.screen_stack:
            while self.app.screen is not self.comparing:  # a picker or dialog above it
                await self.app.pop_screen()
            await self.app.switch_screen(screen)
        else:
            await self.app.push_screen(screen)
        self.comparing = screen

    def streams_from_demo_server(self, requests: Iterable[StreamRequest]) -> bool:
        """Whether any of `requests` reads from the embedded demo server."""
        base: str | None = self.app.server.url if self.app.server.running else None  # type: ignore[attr-defined]
        return base is not None and any(request.url == base or request.url.startswith(base + "/")
                                        for request in requests)

    async def open_initial_compare(self) -> None:
        compare = self.initial_compare
        if isinstance(compare, ComparePair):
            await self.open_pair(compare)
        elif compare is not None:
            a, b = compare
            if a.demo or b.demo:
                base = await self.start_server()
                if base is None:
                    return
                requests = (a.on_demo(base), b.on_demo(base))
            else:
                requests = (a.request, b.request)
            await self.open_comparison(CompareScreen(*requests, "Compare", host=self))

    # -- saving ----------------------------------------------------------------

    def action_save(self) -> None:
        """Ask where, then write the kept records as JSONL (the `explorer get` contract)."""
        if not self.kept:
            self.notify("Nothing to save: no records since the last start or clear.", timeout=3)
            return
        records = list(self.kept)  # what is on screen now, not what arrives while the dialog is open

        def save(path: Path) -> str:
            return saved_sentence(write_jsonl(path, records), path)

        def saved(path: Path | None) -> None:
            if path is not None:
                self.saved_path = path

        self.app.push_screen(SaveScreen(f"Save {plural(len(records), 'record')}", save), saved)

    def on_unmount(self) -> None:
        self.session.close()  # the engine closes the capture and exits before this returns
        if self.recorder is not None:
            with suppress(OSError):  # a last line the disk refused: too late to say so on screen
                self.recorder.close()

    def system_commands(self) -> Iterable[SystemCommand]:
        """What this screen offers in the command palette."""
        yield SystemCommand("Start stream", "Start or restart the URL in the request bar", self.action_start)
        yield SystemCommand("Stop stream", "Stop the running stream", self.action_stop)
        yield SystemCommand("Clear log", "Clear arrivals and events", self.action_clear)
        yield SystemCommand("Toggle follow", "Pause following, or jump back to live", self.action_toggle_follow)
        yield SystemCommand("Start/stop demo server", "Toggle the embedded demo server", self.action_toggle_server)
        yield SystemCommand("Show/hide demo panel", "The catalog, server controls and event log",
                            self.action_toggle_panel)
        yield SystemCommand("Save records", "Write the kept records as JSONL", self.action_save)
        yield SystemCommand("Toggle clock", "Arrival times since the request, or as the time of day",
                            self.action_toggle_clock)
        yield SystemCommand("Edit request", "Method, URL, query, headers and body (F3)", self.action_edit_request)
        yield SystemCommand("Copy as curl", "The request as a curl command, credentials as ${NAME} (F4)",
                            self.action_copy_curl)
        yield SystemCommand("Time limits", "Idle timeout, max time and stall threshold", self.action_limits)
        yield SystemCommand("Compare two streams", "Pick a demo pair to watch side by side", self.action_compare)
        yield SystemCommand("Find", "Find text in the kept rows (/, then n and N)", self.action_find)
        yield SystemCommand("Filter", "Show only some kinds of rows, or rows with some words (f)", self.action_filter)
        yield SystemCommand("Next stall", "Move the cursor to the next stall (s; S for the previous)",
                            lambda: self.action_jump("stall", True))
        yield SystemCommand("Next error", "Move the cursor to the next error or broken chunk (e; E for the previous)",
                            lambda: self.action_jump("error", True))
