"""Status and timing: state, TTFB, records, bytes, rate, elapsed, gap p50, stalls, and a sparkline of sizes.

For an LLM stream the serving figures come first after the state: its shape,
TTFT, ITL p50, tokens and tokens/s (deltas when the provider reported no
usage), token stalls, then ITL p99; live from the session's meter, from the
end record's once the stream is over.

The figures come in an order of importance. When the line is too narrow
for all of them, the least important go first, whole, so what is shown is
never cut in the middle of a number or its unit; a resize draws them again
for the new width.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Sparkline, Static

from ...core.format import fmt_bytes, fmt_ms, plural
from ...core.record import LlmSummary
from ..session import StreamSession

STATE_STYLES = {
    "idle": "dim",
    "connecting": "bold yellow",
    "streaming": "bold cyan",
    "done": "bold green",
    "error": "bold white on red",
    "stopped": "bold magenta",
}
BADGE = "bold black on yellow"
SEPARATOR = " · "
SPARKLINE_FROM = 100  # cells: a narrower status line keeps its width for figures


class Figure(NamedTuple):
    """One figure of the status line; a badge (state, silence, stalls) is padded and stands apart."""

    text: Text
    badge: bool = False


def figures(session: StreamSession, *, rate: bool = True, gaps: bool = True, llm: bool = True) -> list[Figure]:
    """The figures of a session, most important first: state, silence, (LLM figures,) TTFB, records, bytes,
    rate, elapsed, gap p50, stalls (`rate`, `gaps` and `llm` leave those out)."""
    stats = session.stats
    shown = [Figure(Text(f" {session.state.upper()} ", style=STATE_STYLES.get(session.state, "")), badge=True)]
    silence = session.silence
    if silence is not None:
        shown.append(Figure(Text(f" silent for {silence:.1f} s ", style=BADGE), badge=True))
    if llm and (served := session.llm.summary(session.final)) is not None:
        shown += llm_figures(served)
    shown += [
        Figure(Text.assemble("TTFB ", (fmt_ms(session.ttfb), "bold"))),
        Figure(Text(plural(stats.records, "record"), style="bold")),
        Figure(Text(fmt_bytes(stats.bytes), style="bold")),
    ]
    if rate:
        records_per_s, bytes_per_s = session.rate.rate()
        shown.append(Figure(Text(f"{records_per_s:,.0f}/s {fmt_bytes(bytes_per_s)}/s", style="bold")))
    shown.append(Figure(Text.assemble("elapsed ", (fmt_ms(session.elapsed) if session.started else "-", "bold"))))
    if gaps:
        summary = session.timing.summary(stats.records)
        shown.append(Figure(Text.assemble("gap p50 ", (fmt_ms(summary.gap_p50), "bold"))))
        if summary.stalls:
            shown.append(Figure(Text(f" {plural(summary.stalls, 'stall')} ", style=BADGE), badge=True))
    return shown


def llm_figures(summary: LlmSummary) -> list[Figure]:
    """An LLM stream's serving figures, most important first: shape, TTFT, ITL p50, tokens and tokens/s (deltas
    when the provider reported no usage), token stalls, ITL p99."""
    unit = "token" if summary.tokens_source == "usage" else "delta"
    count = Text.assemble((plural(summary.tokens, unit), "bold"))
    if summary.tokens_per_s is not None:
        count.append_text(Text.assemble(" ", (f"{summary.tokens_per_s:,.1f}/s", "bold")))
    shown = [
        Figure(Text(summary.shape or "LLM", style="bold italic")),
        Figure(Text.assemble("TTFT ", (fmt_ms(summary.ttft), "bold"))),
        Figure(Text.assemble("ITL p50 ", (fmt_ms(summary.itl_p50), "bold"))),
        Figure(count),
    ]
    if summary.stalls:
        shown.append(Figure(Text(f" {plural(summary.stalls, 'token stall')} ", style=BADGE), badge=True))
    shown.append(Figure(Text.assemble("ITL p99 ", (fmt_ms(summary.itl_p99), "bold"))))
    return shown


def fit(shown: list[Figure], width: int) -> Text:
    """As many figures as fit in `width` cells, from the first, each whole; the first alone is cut if it must be."""
    text = Text()
    previous: Figure | None = None
    for figure in shown:
        joint = "" if previous is None else " " if figure.badge or previous.badge else SEPARATOR
        if previous is not None and text.cell_len + len(joint) + figure.text.cell_len > width:
            break
        text.append(joint)
        text.append_text(figure.text)
        previous = figure
    text.truncate(max(0, width))
    return text


class StatusBar(Horizontal):
    """One line of figures and a sparkline of recent record sizes."""

    DEFAULT_CSS = """
    StatusBar { height: 1; }
    StatusBar #figures { width: 1fr; }
    StatusBar Sparkline { width: 20; margin-left: 1; }
    """

    _shown: StreamSession | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="figures")
        sparkline = Sparkline([], id="sizes")
        sparkline.tooltip = "sizes of recent records"
        yield sparkline

    def on_resize(self) -> None:
        self.query_one("#sizes", Sparkline).display = self.size.width >= SPARKLINE_FROM
        if self._shown is not None:
            self.call_after_refresh(self.show, self._shown)  # once the figures have their new width

    def show(self, session: StreamSession) -> None:
        """Draw the session's figures for the width the line has now."""
        self._shown = session
        line = self.query_one("#figures", Static)
        width = line.size.width
        if not width:  # not laid out yet: once it is
            self.call_after_refresh(self.show, session)
            return
        line.update(fit(figures(session), width), layout=False)  # fixed width: no relayout
        self.query_one("#sizes", Sparkline).data = list(session.stats.sizes)
