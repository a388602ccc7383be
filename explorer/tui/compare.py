"""Two streams side by side on one clock: each with its log, phases and timeline.

Both start at the same moment; their timelines are drawn on one shared time
axis, so "first byte at once" against "everything after the delay" is
visible without reading a number.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Label, OptionList, Sparkline, Static
from textual.widgets.option_list import Option

from ..core import StreamRequest
from ..core.format import fmt_bytes, fmt_ms, phases_line
from ..core.sanitize import sanitize
from ..demo.catalog import PAIRS, ComparePair, find_pair
from . import collector
from .feed import FLUSH_HZ, LiveFeed
from .session import StreamEnded, StreamSession
from .widgets.chunk_log import ChunkLog
from .widgets.status_bar import STATE_STYLES, silence_badge


class StreamPane(Vertical):
    """One side: what is streamed, a status line, the log, its timeline and phases."""

    DEFAULT_CSS = """
    StreamPane { width: 1fr; border: round $panel; }
    StreamPane .figures { height: 1; }
    StreamPane ChunkLog { height: 1fr; }
    StreamPane Sparkline { height: 3; }
    StreamPane .phases { height: auto; color: $text-muted; }
    """

    def __init__(self, label: str, request: StreamRequest, *, id: str) -> None:
        super().__init__(id=id)
        self.label = label
        self.request = request
        self.session = StreamSession()

    def compose(self) -> ComposeResult:
        self.border_title = f"{self.label}: {self.request.mode}"
        if self.request.mode == "chunked":
            self.border_title += f"({self.request.chunk_size})"
        yield Static(Text(sanitize(self.request.url, 200), style="bold"), classes="url")
        yield Static(classes="figures")
        yield ChunkLog(capacity=5_000)
        yield Label("arrivals on the shared clock")
        yield Sparkline([0])
        yield Static(classes="phases")

    def on_mount(self) -> None:
        self.feed = LiveFeed(self.session, self.query_one(ChunkLog))

    def on_unmount(self) -> None:
        self.session.close()

    def restart(self) -> None:
        self.query_one(ChunkLog).clear()
        self.query_one(".phases", Static).update("")
        self.session.start(self.request)

    def ended(self) -> None:
        """The stream ended: show what is left and its phases."""
        self.feed.flush()
        final = self.session.final
        if final is not None:
            self.query_one(".phases", Static).update(Text("phases: " + phases_line(final.summary.phases)))

    def show_figures(self) -> None:
        session, stats = self.session, self.session.stats
        self.query_one(".figures", Static).update(Text.assemble(
            (f" {session.state.upper()} ", STATE_STYLES.get(session.state, "")),
            silence_badge(session),
            "  TTFB ", (fmt_ms(stats.ttfb), "bold"),
            "  records ", (f"{stats.records:,}", "bold"),
            "  ", (fmt_bytes(stats.bytes), "bold"),
            "  elapsed ", (fmt_ms(session.elapsed), "bold"),
        ), layout=False)

    def show_timeline(self, span: float, columns: int) -> None:
        counts = self.session.stats.arrivals.rebin(span / columns, columns)
        self.query_one(Sparkline).data = counts


class CompareScreen(Screen[None]):
    """Stream A and stream B at once, side by side; its keys act on both sides and nothing else."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("ctrl+r", "restart", "Restart both", priority=True),
        Binding("ctrl+k", "stop", "Stop both", priority=True),
    ]

    DEFAULT_CSS = """
    CompareScreen #title { height: auto; padding: 0 1; }
    CompareScreen #sides { height: 1fr; }
    """

    def __init__(self, a: StreamRequest, b: StreamRequest, title: str = "", hint: str = "") -> None:
        super().__init__()
        self.requests = (a, b)
        self.heading = title or "Compare"
        self.hint = hint

    def compose(self) -> ComposeResult:
        text = Text(self.heading, style="bold")
        if self.hint:
            text.append("  " + self.hint, style="dim")
        yield Static(text, id="title")
        with Horizontal(id="sides"):
            yield StreamPane("A", self.requests[0], id="side-a")
            yield StreamPane("B", self.requests[1], id="side-b")
        yield Footer()

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
    PairPicker OptionList { width: 90; height: auto; max-height: 20; border: round $accent; }
    """

    def compose(self) -> ComposeResult:
        options = OptionList(*[Option(Text.assemble((pair.title, "bold"), "\n", (pair.watch, "dim")), id=pair.name)
                               for pair in PAIRS])
        options.border_title = "Compare two streams (Enter to open, Esc to cancel)"
        yield options

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(find_pair(event.option.id or ""))
