"""Status and timing: state, TTFB, records, bytes, rate, elapsed, and a sparkline of sizes."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Sparkline, Static

from ...core.format import fmt_bytes, fmt_ms
from ..session import StreamSession

STATE_STYLES = {
    "idle": "dim",
    "connecting": "bold yellow",
    "streaming": "bold cyan",
    "done": "bold green",
    "error": "bold white on red",
    "stopped": "bold magenta",
}


class StatusBar(Horizontal):
    """One line of figures and a sparkline of recent record sizes."""

    DEFAULT_CSS = """
    StatusBar { height: 1; }
    StatusBar #figures { width: 1fr; }
    StatusBar Sparkline { width: 20; margin-left: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="figures")
        sparkline = Sparkline([], id="sizes")
        sparkline.tooltip = "sizes of recent records"
        yield sparkline

    def show(self, session: StreamSession) -> None:
        stats = session.stats
        gaps = session.timing.summary(stats.records)
        records_per_s, bytes_per_s = session.rate.rate()
        text = Text.assemble(
            (f" {session.state.upper()} ", STATE_STYLES.get(session.state, "")),
            silence_badge(session),
            " TTFB ", (fmt_ms(stats.ttfb), "bold"),
            " · ", (f"{stats.records:,}", "bold"), " rec · ", (fmt_bytes(stats.bytes), "bold"),
            " · ", (f"{records_per_s:,.0f}/s {fmt_bytes(bytes_per_s)}/s", "bold"),
            " · ", (fmt_ms(session.elapsed) if session.started else "-", "bold"),
            " · gap p50 ", (fmt_ms(gaps.gap_p50), "bold"),
        )
        if gaps.stalls:
            text.append(f"  {gaps.stalls} stalls", style="bold black on yellow")
        self.query_one("#figures", Static).update(text, layout=False)  # fixed width: no relayout
        self.query_one("#sizes", Sparkline).data = list(stats.sizes)


def silence_badge(session: StreamSession) -> tuple[str, str]:
    """`silent for 3.2 s` while a silence worth saying lasts (to a tenth of a second), else nothing."""
    silence = session.silence
    return (f" silent for {silence:.1f} s ", "bold black on yellow") if silence is not None else ("", "")
