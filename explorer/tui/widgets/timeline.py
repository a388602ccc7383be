"""The timeline tab: arrivals and throughput over time, the gap distribution, and the phases.

Drawn from the session's fixed-size aggregates (time buckets, gap
histogram), never from individual records, so it costs the same on a
firehose as on a trickle. Textual's Sparkline reads well in a terminal and
needs nothing beyond Textual.

In a replay the time axis spans the whole capture (`axis`), a row marks the
replay's position on it, and a click on the arrivals, the throughput or that
row posts `TimeClicked` with the time under the mouse: the screen jumps there.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Label, Sparkline, Static

from ...core.format import fmt_bytes, fmt_ms, fmt_ms_down, fmt_ms_up, gaps_line, plural
from ...core.record import Phases
from ...core.timing import TimeBuckets
from ..session import StreamSession

PHASES = (("dns", "DNS", "magenta"), ("connect", "connect", "blue"), ("sent", "request sent", "cyan"),
          ("headers", "headers", "green"), ("first_byte", "first byte", "yellow"),
          ("last_byte", "last byte", "red"), ("total", "total", "white"))


class Timeline(VerticalScroll):
    """Arrivals, throughput, gaps and phases of the current stream."""

    DEFAULT_CSS = """
    Timeline { padding: 0 1; }
    Timeline Label { margin-top: 1; text-style: bold; }
    Timeline Sparkline { height: 3; }
    Timeline #gap-histogram { height: auto; }
    Timeline #phases { height: auto; }
    Timeline #position { height: 1; display: none; }
    """

    class TimeClicked(Message):
        """A click on the time axis of a replay: `t` seconds since the request is the time under the mouse."""

        def __init__(self, t: float) -> None:
            super().__init__()
            self.t = t

    axis: float | None = None
    """Seconds the time axis spans (a replay: the whole capture); None: the stream so far."""
    position: float = 0.0
    """Where a replay is on the axis (seconds)."""
    _seconds = 0.0  # per column, as last drawn

    def compose(self) -> ComposeResult:
        yield Label("Arrivals over time (records per column)", id="arrivals-label")
        yield Sparkline([], id="arrivals")
        yield Label("Throughput over time (bytes per column)", id="throughput-label")
        yield Sparkline([], id="throughput")
        yield Static(id="position")
        yield Label("Gaps between records", id="gaps-label")
        yield Static(id="gap-histogram")
        yield Label("Phases")
        yield Static(id="phases")

    _shown: StreamSession | None = None

    def on_resize(self) -> None:
        if self._shown is not None:  # hidden tabs have no width: draw again once shown
            self.show(self._shown)

    def show(self, session: StreamSession) -> None:
        """Redraw from the session's aggregates (a few hundred numbers at most); unmounted, keep it for later."""
        self._shown = session
        if not self.is_mounted:  # the screen mounts it after its first frame: on_resize draws it then
            return
        width = max(10, self.size.width - 2)
        arrivals = session.stats.arrivals
        if self.axis:
            seconds = self.axis / width
            records, sizes = arrivals.rebin(seconds, width), rebin_bytes(arrivals, seconds, width)
        else:
            records, sizes, seconds = arrivals.resample(width)
        self._seconds = seconds
        marker = self.query_one("#position", Static)
        marker.display = bool(self.axis)
        if self.axis:
            marker.update(position_row(self.position, self.axis, seconds, width))
        span = len(records) * seconds
        for name, data in (("#arrivals", records), ("#throughput", sizes)):
            sparkline = self.query_one(name, Sparkline)
            sparkline.styles.width = max(1, len(data))  # one drawn column per figure: what the label says
            sparkline.data = data or [0]
        self.query_one("#arrivals-label", Label).update(Text(
            f"Arrivals over time: {plural(len(records), 'column')} of {fmt_ms(seconds)} each, "
            f"{fmt_ms(span)} in all"))
        peak = max(sizes, default=0)
        self.query_one("#throughput-label", Label).update(Text(
            f"Throughput over time: peak {fmt_bytes(peak / seconds if seconds else 0)}/s"))
        self.query_one("#gap-histogram", Static).update(gap_histogram(session))
        phases = session.final.summary.phases if session.final is not None else None
        self.query_one("#phases", Static).update(phase_bar(phases, width))

    def on_click(self, event: events.Click) -> None:
        """In a replay, a click on the arrivals, the throughput or the position row: the time at its column's end."""
        if not self.axis or event.widget is None or event.widget.id not in ("arrivals", "throughput", "position"):
            return
        event.stop()
        column = event.screen_x - self.query_one("#arrivals").region.x
        if column >= 0 and self._seconds:
            self.post_message(self.TimeClicked(min(self.axis, (column + 1) * self._seconds)))


def rebin_bytes(arrivals: TimeBuckets, seconds: float, columns: int) -> list[int]:
    """Bytes per column of `seconds` each, from time 0 (`TimeBuckets.rebin` for the bytes)."""
    out = [0] * columns
    for index in range(arrivals.used()):
        if arrivals.bytes[index]:
            out[min(columns - 1, int(index * arrivals.width / seconds))] += arrivals.bytes[index]
    return out


def position_row(position: float, axis: float, seconds: float, width: int) -> Text:
    """`▲` under the column the position is in, with the position and a hint beside it."""
    column = min(width - 1, max(0, math.ceil(position / seconds - 1e-9) - 1))
    label = f" {fmt_ms(position)} of {fmt_ms(axis)}: click to jump"
    text = Text()
    if column + 1 + len(label) <= width or column < len(label):
        text.append(" " * column)
        text.append("▲", style="bold yellow")
        text.append(label, style="dim")
    else:  # no room after the mark: the label goes before it
        text.append(" " * (column - len(label)))
        text.append(label.strip() + " ", style="dim")
        text.append("▲", style="bold yellow")
    return text


def gap_histogram(session: StreamSession) -> Text:
    text = Text()
    summary = session.timing.summary(session.stats.records)
    bins = session.timing.gaps.histogram(10)
    most = max((count for _, _, count in bins), default=0)
    for low, high, count in bins:  # the smallest and largest gap of each bin, rounded outwards
        bar = "█" * (round(40 * count / most) if most else 0)
        text.append(f"  {fmt_ms_down(low):>10} – {fmt_ms_up(high):>10} ", style="cyan")
        text.append(f"{count:>9,} ", style="bold")
        text.append(bar + "\n", style="green")
    text.append("  " + gaps_line(summary), style="dim")
    return text


def phase_bar(phases: Phases | None, width: int) -> Text:
    """A waterfall: where each phase ended on one time axis."""
    if not phases:
        return Text("  (after the stream ends)", style="dim")
    total = phases.total or 0.0
    text = Text()
    bar_width = max(10, width - 40)
    for key, label, color in PHASES:
        value = getattr(phases, key)
        text.append(f"  {label:<13}", style="bold")
        if value is None:
            text.append("-\n", style="dim")
            continue
        if key in ("dns", "connect"):
            text.append(f"{fmt_ms(value):>10} (duration)\n", style=color)
            continue
        filled = round(bar_width * value / total) if total else 0
        text.append(f"{fmt_ms(value):>10} ", style=color)
        text.append("━" * max(1 if value else 0, filled) + "\n", style=color)
    return text
