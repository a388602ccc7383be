"""Two streams side by side on one clock: each with its log, phases and timeline (and, for an LLM stream,
its serving figures and its transcript growing).

Both start at the same moment; their timelines are drawn on one shared time
axis, so "first byte at once" against "everything after the delay" is
visible without reading a number.

The screen owns its keys: restart, stop, clear, follow and save act on both
sides (save writes one file per side), ctrl+o puts another pair in this
screen's place instead of stacking one, and the demo server is not stopped
under a comparison still reading from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Protocol

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Label, OptionList, Sparkline, Static
from textual.widgets.option_list import Option

from ..core import Record, StreamRequest
from ..core.format import phases_line, plural
from ..core.sanitize import sanitize
from ..demo.catalog import PAIRS, ComparePair, find_pair
from . import collector
from .feed import FLUSH_HZ, LiveFeed
from .ring import Ring
from .save import SaveScreen, default_name, shown_path, side_paths, write_jsonl
from .session import StreamEnded, StreamSession
from .widgets.chunk_log import ChunkLog
from .widgets.status_bar import figures, fit, llm_figures
from .widgets.transcript import Transcript

KEEP_RECORDS = 5_000  # per side, as its log


class CompareHost(Protocol):
    """What a comparison asks of the screen that opened it (the main screen)."""

    async def open_pair(self, pair: ComparePair) -> None:
        """Open `pair` in place of the comparison on screen."""

    async def action_toggle_server(self) -> None:
        """Start or stop the demo server."""

    def streams_from_demo_server(self, requests: Iterable[StreamRequest]) -> bool:
        """Whether any of `requests` reads from the embedded demo server."""


class StreamPane(Vertical):
    """One side: what is streamed, a status line, the log, its timeline and phases; for an LLM stream, a line of
    serving figures and the transcript under the log."""

    DEFAULT_CSS = """
    StreamPane { width: 1fr; border: round $panel; }
    StreamPane .figures { height: 1; }
    StreamPane .llm-figures { height: 1; display: none; }
    StreamPane ChunkLog { height: 1fr; }
    StreamPane Transcript { height: 1fr; }
    StreamPane.-llm Transcript { height: 2fr; }
    StreamPane Sparkline { height: 3; }
    StreamPane .phases { height: auto; color: $text-muted; }
    """

    def __init__(self, label: str, request: StreamRequest, *, id: str) -> None:
        super().__init__(id=id)
        self.label = label
        self.request = request
        self.session = StreamSession()
        self.kept: Ring[Record] = Ring(KEEP_RECORDS)

    def compose(self) -> ComposeResult:
        self.border_title = f"{self.label}: {self.request.mode}"
        if self.request.mode == "chunked":
            self.border_title += f"({self.request.chunk_size})"
        yield Static(Text(sanitize(self.request.url, 200), style="bold"), classes="url")
        yield Static(classes="figures")
        yield Static(classes="llm-figures")
        yield ChunkLog(capacity=KEEP_RECORDS)
        yield Transcript()
        yield Label("arrivals on the shared clock")
        yield Sparkline([0])
        yield Static(classes="phases")

    def on_mount(self) -> None:
        self.feed = LiveFeed(self.session, self.query_one(ChunkLog), kept=self.kept,
                             transcript=self.query_one(Transcript))

    def on_unmount(self) -> None:
        self.session.close()

    def on_resize(self) -> None:
        self.show_figures()

    @property
    def chunk_log(self) -> ChunkLog:
        return self.query_one(ChunkLog)

    def clear(self) -> None:
        """Clear the log, the phases and the kept records (a running stream goes on filling them)."""
        self.chunk_log.clear()
        self.query_one(Transcript).clear()
        self.kept.clear()
        self.query_one(".phases", Static).update("")

    def restart(self) -> None:
        self.clear()
        self.session.start(self.request)

    def ended(self) -> None:
        """The stream ended: show what is left, its final figures and its phases."""
        self.feed.flush()
        self.show_figures()
        final = self.session.final
        if final is not None:
            self.query_one(".phases", Static).update(Text("phases: " + phases_line(final.summary.phases)))

    def show_figures(self) -> None:
        """State, silence, TTFB, records, bytes and elapsed, as many as the pane's width holds; for an LLM
        stream, its shape, TTFT, ITL and tokens/s on a line of their own."""
        line = self.query_one(".figures", Static)
        line.update(fit(figures(self.session, rate=False, gaps=False, llm=False), line.size.width), layout=False)
        served = self.session.llm.summary(self.session.final)
        llm = self.query_one(".llm-figures", Static)
        self.set_class(served is not None, "-llm")
        if served is not None:
            llm.display = True
            shown = llm_figures(served)
            shown.append(shown.pop(0))  # the shape last: TTFT, ITL and tokens/s are what the sides compare
            llm.update(fit(shown, llm.size.width or max(0, self.size.width - 2)), layout=False)
        elif llm.display:
            llm.display = False

    def show_timeline(self, span: float, columns: int) -> None:
        counts = self.session.stats.arrivals.rebin(span / columns, columns)
        self.query_one(Sparkline).data = counts


class CompareScreen(Screen[None]):
    """Stream A and stream B at once, side by side; its keys act on both sides and nothing else."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("ctrl+r", "restart", "Start", priority=True),
        Binding("ctrl+g", "stop", "Stop", priority=True),
        Binding("ctrl+l", "clear", "Clear", priority=True, show=False),
        Binding("ctrl+y", "toggle_follow", "Follow", priority=True, show=False),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+o", "compare", "Pairs", priority=True),
        Binding("ctrl+n", "toggle_server", "Demo server", priority=True, show=False),
    ]

    DEFAULT_CSS = """
    CompareScreen #title { height: auto; padding: 0 1; }
    CompareScreen #sides { height: 1fr; }
    CompareScreen.-short StreamPane.-llm ChunkLog { display: none; }
    """
    # On a short terminal an LLM side has room for its transcript or its log, not both: the transcript is what
    # two models are compared by (the log is in the saved records, ctrl+s).
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    def __init__(self, a: StreamRequest, b: StreamRequest, title: str = "", hint: str = "", *,
                 host: CompareHost | None = None) -> None:
        super().__init__()
        self.requests = (a, b)
        self.heading = title or "Compare"
        self.hint = hint
        self.host = host
        self.saved_paths: tuple[Path, Path] | None = None

    def compose(self) -> ComposeResult:
        text = Text(self.heading, style="bold")
        if self.hint:
            text.append("  " + self.hint, style="dim")
        yield Static(text, id="title")
        with Horizontal(id="sides"):
            yield StreamPane("A", self.requests[0], id="side-a")
            yield StreamPane("B", self.requests[1], id="side-b")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.set_interval(1 / FLUSH_HZ, self.flush)
        self.call_after_refresh(self.action_restart)  # once drawn: the first frame's work would slow the connects

    def panes(self) -> list[StreamPane]:
        return list(self.query(StreamPane))

    def action_restart(self) -> None:
        """Start both streams at the same moment."""
        self.workers.cancel_group(self, "compare")
        for pane in self.panes():
            pane.restart()
            self.run_side(pane)

    def action_stop(self) -> None:
        """Stop both sides; what arrived stays."""
        for pane in self.panes():
            pane.feed.flush()
            if pane.session.stop():
                pane.feed.flush()
                pane.show_figures()
        self.workers.cancel_group(self, "compare")

    def action_clear(self) -> None:
        """Clear both sides' logs, phases and kept records."""
        for pane in self.panes():
            pane.clear()

    def action_toggle_follow(self) -> None:
        """Pause following both logs, or jump both back to live."""
        logs = [pane.chunk_log for pane in self.panes()]
        logs[0].toggle_follow()
        for log in logs[1:]:
            if log.following != logs[0].following:
                log.toggle_follow()

    def action_save(self) -> None:
        """Ask where, then write each side's kept records as JSONL: `NAME-a.jsonl` and `NAME-b.jsonl`."""
        a, b = (list(pane.kept) for pane in self.panes())
        if not a and not b:
            self.notify("Nothing to save: no records since the last start or clear.", timeout=3)
            return

        def save(path: Path) -> str:
            path_a, path_b = side_paths(path)
            written = write_jsonl(path_a, a), write_jsonl(path_b, b)
            return (f"Saved A: {plural(written[0], 'record')} to {shown_path(path_a)}; "
                    f"B: {plural(written[1], 'record')} to {shown_path(path_b)}")

        def saved(path: Path | None) -> None:
            if path is not None:
                self.saved_paths = side_paths(path)

        self.app.push_screen(SaveScreen("Save both sides", save, default=default_name("explorer-compare"),
                                        targets=lambda path: list(side_paths(path))), saved)

    def action_compare(self) -> None:
        """Pick another pair: it takes this comparison's place."""
        host = self.host
        if host is None:
            return

        async def chosen(pair: ComparePair | None) -> None:
            if pair is not None:
                await host.open_pair(pair)

        self.app.push_screen(PairPicker(), chosen)

    async def action_toggle_server(self) -> None:
        """Start or stop the demo server, but not under a side still reading from it."""
        if self.host is None:
            return
        running = [pane.request for pane in self.panes() if pane.session.running]
        if running and self.host.streams_from_demo_server(running):
            self.notify("This comparison is reading from the demo server: stopping it now would cut the streams "
                        "short. Stop both first (ctrl+g), then ctrl+n stops the server.",
                        title="Demo server kept running", severity="warning", markup=False)
            return
        await self.host.action_toggle_server()

    def system_commands(self) -> Iterable[SystemCommand]:
        """What this screen offers in the command palette."""
        yield SystemCommand("Restart both", "Start both streams again at the same moment", self.action_restart)
        yield SystemCommand("Stop both", "Stop both streams; what arrived stays", self.action_stop)
        yield SystemCommand("Clear both", "Clear both logs and their kept records", self.action_clear)
        yield SystemCommand("Toggle follow", "Pause following both logs, or jump back to live",
                            self.action_toggle_follow)
        yield SystemCommand("Save both sides", "Write NAME-a.jsonl and NAME-b.jsonl", self.action_save)
        yield SystemCommand("Another pair", "Pick a ready-made pair to compare instead", self.action_compare)

    @work(group="compare")
    async def run_side(self, pane: StreamPane) -> None:
        await pane.session.run(pane.request, self.post_message)
        pane.feed.flush()

    def on_stream_ended(self, message: StreamEnded) -> None:
        for pane in self.panes():
            if pane.session is message.session:
                pane.ended()
        if not any(pane.session.running for pane in self.panes()):
            collector.collect_between_streams()

    def flush(self) -> None:
        panes = self.panes()
        for pane in panes:
            pane.feed.flush()
            pane.show_figures()
        span = max((p.session.stats.arrivals.last for p in panes), default=0.0)
        if span > 0:
            columns = max(10, panes[0].size.width - 2)
            for pane in panes:
                pane.show_timeline(span * 1.02, columns)

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, "compare")


class PairPicker(ModalScreen[ComparePair | None]):
    """Pick one of the demo catalog's ready-made comparisons."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]
    DEFAULT_CSS = """
    PairPicker { align: center middle; }
    PairPicker OptionList { width: 90; max-width: 100%; height: auto; max-height: 100%; border: round $accent; }
    """

    def compose(self) -> ComposeResult:
        options = OptionList(*[Option(Text.assemble((pair.title, "bold"), "\n", (pair.watch, "dim")), id=pair.name)
                               for pair in PAIRS])
        options.border_title = "Compare two streams (Enter to open, Esc to cancel)"
        yield options

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(find_pair(event.option.id or ""))
