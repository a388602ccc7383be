"""A line-API log over a bounded ring buffer: the base of the chunk log and the event view.

Rows are kept as data and rendered only when visible (`render_line`), so
adding a batch costs a list extend, not a widget per row. Scrolling up
pauses following; new rows keep arriving and are counted in the border
until the person jumps back to live.
"""

from __future__ import annotations

from typing import Generic, Iterable, TypeVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...core.format import fmt_clock, fmt_ms
from ..ring import Ring

Row = TypeVar("Row")
DEFAULT_CAPACITY = 10_000


class RingLog(ScrollView, Generic[Row], can_focus=True):
    """Rows of type Row in a ring; subclasses turn a row into segments."""

    BINDINGS = [
        Binding("end", "follow", "Live", show=False),
        Binding("home", "scroll_home", "Top", show=False),
    ]

    DEFAULT_CSS = """
    RingLog {
        border: round $panel;
        background: $surface;
        overflow-x: hidden;
    }
    RingLog:focus {
        border: round $accent;
    }
    """

    following: var[bool] = var(True)
    """Whether the newest row is kept in view; only the person scrolling away turns it off."""
    unseen: var[int] = var(0)
    """Rows that arrived while not following."""
    absolute: var[bool] = var(False)
    """Show arrival times as the time of day (from `started_at`) rather than time since the request."""
    started_at: float | None = None
    """Epoch seconds at t = 0: the response's `started_at`."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: Ring[Row] = Ring(capacity)
        self._adjusting = False

    # -- feeding -------------------------------------------------------------

    def add_rows(self, rows: Iterable[Row]) -> None:
        """Append a batch of rows; follow the end unless the person scrolled away."""
        batch = list(rows)
        if not batch:
            return
        dropped_before = self.rows.dropped
        self.rows.extend(batch)
        dropped = self.rows.dropped - dropped_before
        self.virtual_size = Size(self.size.width, len(self.rows))
        if self.following:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        else:
            self.unseen += len(batch)
            if dropped:  # keep the rows in view where they are
                self._adjusting = True
                try:
                    self.scroll_to(y=max(0, self.scroll_y - dropped), animate=False, immediate=True)
                finally:
                    self._adjusting = False
        self._show_count()
        self.refresh()

    def clear(self) -> None:
        self.rows.clear()
        self._adjusting = True
        try:
            self.virtual_size = Size(self.size.width, 0)
            self.scroll_to(y=0, animate=False, immediate=True)
        finally:
            self._adjusting = False
        self.following = True
        self.unseen = 0
        self._show_count()
        self.refresh()

    # -- following -----------------------------------------------------------

    def action_follow(self) -> None:
        """Jump to the newest row and follow again."""
        self.following = True
        self.unseen = 0
        self.scroll_end(animate=False, immediate=True, x_axis=False)

    def pause(self) -> None:
        self.following = False

    def toggle_follow(self) -> None:
        if self.following:
            self.pause()
        else:
            self.action_follow()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if new < old and not self._adjusting:
            self.following = False  # the person scrolled up: pause, keep counting
        elif not self.following and new >= self.max_scroll_y and self.max_scroll_y > 0 and self.unseen:
            self.following = True  # scrolled back down to the end: live again
            self.unseen = 0

    def watch_absolute(self) -> None:
        self.refresh()

    @property
    def time_width(self) -> int:
        return 16 if self.absolute else 11  # a time of day is 15 cells: one more keeps a space before it

    def time_text(self, t: float) -> str:
        """An arrival time as the time column shows it."""
        if self.absolute and self.started_at is not None:
            return fmt_clock(self.started_at + t)
        return fmt_ms(t)

    def watch_following(self) -> None:
        self._show_count()

    def watch_unseen(self) -> None:
        self._show_count()

    def _show_count(self) -> None:
        if self.following:
            self.border_subtitle = f"{len(self.rows):,} rows · live"
        else:
            self.border_subtitle = f"paused · {self.unseen:,} new rows · End or ctrl+f for live"

    # -- rendering -----------------------------------------------------------

    def row_segments(self, row: Row) -> list[Segment]:
        raise NotImplementedError

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        style = self.rich_style
        if index >= len(self.rows):
            return Strip.blank(width, style)
        strip = Strip(self.row_segments(self.rows[index]))
        return strip.crop_extend(scroll_x, scroll_x + width, style)


def cell(text: str, width: int, style: Style, right: bool = False) -> Segment:
    """A fixed-width column cell (text is already safe)."""
    text = text[:width]
    return Segment(text.rjust(width) if right else text.ljust(width), style)
