"""A line-API log over a bounded ring buffer: the base of the chunk log and the event view.

Rows are kept as data and rendered only when visible (`render_line`), so
adding a batch costs a list extend, not a widget per row. A row cursor moves
through them; Enter posts `RowChosen` (the app opens the inspector).

Following: while `following`, the newest row is in view and under the cursor.
Only the person pauses it (wheel or scrollbar up, up/pageup/home, a click on
an older row), never a scroll position the layout changed: growing the
terminal shortens the scroll range, which lowers `scroll_y` by itself. While
paused, rows keep arriving and are counted in the border. While the log has
focus, the border also names its keys: the footer stays the same whatever has
focus, so its order never shifts under the person's eyes.

Rows wrap only where whole text matters (a subclass says which: end, error
and note rows). Such rows are rare, so the map from virtual lines to rows
keeps just their positions and heights, rebuilt on each batch and on width
changes: O(tall rows), never O(rows).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import chain
from typing import Any, Callable, ClassVar, Generic, Iterable, TypeVar

from rich.cells import cell_len
from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollTo, ScrollUp
from textual.strip import Strip

from ...core.format import fmt_clock, fmt_ms, plural
from ..ring import LineMap, Matches, Ring
from .cells import Wrapped, wrap

Row = TypeVar("Row")
DEFAULT_CAPACITY = 10_000


class RingLog(ScrollView, Generic[Row], can_focus=True):
    """Rows of type Row in a ring with a row cursor; subclasses turn a row into segments and searchable text.

    The API the screens use:

    - `add_rows(rows)`, `clear()`: feed it.
    - `following`, `action_follow()`, `pause()`, `toggle_follow()`: live or paused.
    - `cursor`, `cursor_row`: where the cursor is; Enter posts `RowChosen`.
    - `find(text, forward)`, `set_filter(predicate)`, `jump(predicate, forward)`: search, narrow, jump.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"ring-log--cursor"}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "cursor_page_up", "Page up", show=False),
        Binding("pagedown", "cursor_page_down", "Page down", show=False),
        Binding("home", "cursor_first", "Oldest", show=False),
        Binding("end", "follow", "Live", show=False),
        Binding("enter", "choose", "Inspect", show=False),  # said in the border while focused: the footer keeps still
    ]

    DEFAULT_CSS = """
    RingLog {
        border: round $panel;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        scrollbar-gutter: stable;
        & > .ring-log--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            border: round $accent;
            & > .ring-log--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    class RowChosen(Message):
        """The person pressed Enter on a row (or double-clicked it): show it whole."""

        def __init__(self, log: RingLog[Any], row: Any) -> None:
            super().__init__()
            self.log = log
            self.row = row
            """The row: what the log was given (a `Record`, a `Note`, an `EventRow`)."""

        @property
        def control(self) -> RingLog[Any]:
            return self.log

    following: var[bool] = var(True)
    """Whether the newest row is kept in view and under the cursor; only the person turns it off."""
    unseen: var[int] = var(0)
    """Rows shown since following paused."""
    absolute: var[bool] = var(False)
    """Show arrival times as the time of day (from `started_at`) rather than time since the request."""
    started_at: float | None = None
    """Epoch seconds at t = 0: the response's `started_at`."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: Ring[Row] = Ring(capacity)
        # Rows are named by absolute number (rows.dropped + index): stable while older rows are pushed out.
        self._cursor = -1
        self._filter: Callable[[Row], bool] | None = None
        self._shown: list[int] = []  # with a filter: the absolute numbers of the rows it lets through
        self._matches: Matches[Row] = Matches(self.row_text)
        self._tall: list[int] = []  # absolute numbers of rows that wrap (`wraps`)
        self._wrapped: dict[int, tuple[list[str], str]] = {}  # their lines at `_width`, and component class
        self._width = 0
        self._line_map = LineMap()  # virtual lines over the shown rows
        self._stick_pending = False

    # -- what subclasses say -------------------------------------------------

    def row_segments(self, row: Row) -> list[Segment]:
        """A one-line row as segments (styles from component classes; text already safe)."""
        raise NotImplementedError

    def row_text(self, row: Row) -> str:
        """The text `find` matches: what the row says (not escaped for display: never draw it)."""
        raise NotImplementedError

    def wraps(self, row: Row) -> bool:
        """Whether `row` is shown whole over as many lines as it needs (`wrapped_text`), not cut at the edge."""
        return False

    def wrapped_text(self, row: Row) -> Wrapped:
        """The whole text of a row that `wraps`."""
        raise NotImplementedError

    # -- feeding -------------------------------------------------------------

    def add_rows(self, rows: Iterable[Row]) -> None:
        """Append a batch of rows (the filter applies to them); follow the newest unless paused."""
        batch = rows if isinstance(rows, list) else list(rows)
        if not batch:
            return
        first = self.rows.dropped + len(self.rows)  # the absolute number of batch[0]
        dropped_before = self.rows.dropped
        top = None if self.following else self._top()
        self.rows.extend(batch)
        dropped = self.rows.dropped
        skip = max(0, dropped - first)  # rows of the batch pushed out at once
        if dropped != dropped_before:
            del self._tall[:bisect_left(self._tall, dropped)]
            for number in [n for n in self._wrapped if n < dropped]:
                del self._wrapped[number]
        wraps = self.wraps
        self._tall += [first + i for i in range(skip, len(batch)) if wraps(batch[i])]
        if self._filter is not None:
            keep = self._filter
            del self._shown[:bisect_left(self._shown, dropped)]
            added = [first + i for i in range(skip, len(batch)) if keep(batch[i])]
            self._shown += added
            new = len(added)
        else:
            new = len(batch) - skip
        self._relayout()
        if self.following:
            self._go_live()
        else:
            self.unseen += new
            if self._cursor < dropped or (self._filter is not None and self._view_of(self._cursor) is None):
                self._cursor = self._abs(0) if self.shown_count else -1
            if dropped != dropped_before and top is not None:  # keep the rows in view where they are
                self._restore_top(*top)
        self._show_count()
        self.refresh()

    def clear(self) -> None:
        """Drop every row (a filter stays set) and follow again."""
        self.rows.clear()
        self._shown = []
        self._tall = []
        self._wrapped.clear()
        self._cursor = -1
        self._matches.reset()
        self._relayout()
        self._set_scroll(0)
        self.following = True
        self.unseen = 0
        self._show_count()
        self.refresh()

    # -- the view: shown rows, absolute numbers, virtual lines ---------------

    @property
    def shown_count(self) -> int:
        """How many rows are shown: every kept row, or those the filter lets through."""
        return len(self._shown) if self._filter is not None else len(self.rows)

    @property
    def filtered(self) -> bool:
        """Whether a filter is set (`set_filter`)."""
        return self._filter is not None

    @property
    def cursor(self) -> int | None:
        """The cursor's position among the shown rows (0 is the oldest), None when nothing is shown."""
        if self._cursor < 0 or not self.shown_count:
            return None
        return self._view_at(self._cursor)

    @property
    def cursor_row(self) -> Row | None:
        """The row under the cursor."""
        view = self.cursor
        return None if view is None else self._row(self._abs(view))

    def _abs(self, view: int) -> int:
        return self._shown[view] if self._filter is not None else self.rows.dropped + view

    def _row(self, number: int) -> Row:
        return self.rows[number - self.rows.dropped]

    def _view_at(self, number: int) -> int:
        """The view index of the shown row `number`, or of the first shown row after it (clamped)."""
        if self._filter is not None:
            view = bisect_left(self._shown, number)
        else:
            view = number - self.rows.dropped
        return max(0, min(view, self.shown_count - 1))

    def _view_of(self, number: int) -> int | None:
        """The view index of row `number` if it is shown."""
        if self._filter is not None:
            view = bisect_left(self._shown, number)
            return view if view < len(self._shown) and self._shown[view] == number else None
        view = number - self.rows.dropped
        return view if 0 <= view < len(self.rows) else None

    def _relayout(self) -> None:
        """Heights of the shown tall rows at the current width, and the virtual size (O(tall rows))."""
        width = self.scrollable_content_region.width or self._width or 80  # hidden or not laid out yet: as before
        if width != self._width:
            self._width = width
            self._wrapped.clear()
        tall = []
        for number in self._tall:
            view = self._view_of(number)
            if view is not None and (height := len(self._lines(number)[0])) > 1:
                tall.append((view, height))
        self._line_map.build(tall)
        self.virtual_size = Size(width, self.shown_count + self._line_map.extra)

    def _lines(self, number: int) -> tuple[list[str], str]:
        """A tall row's lines at the current width (cached) and its component class."""
        cached = self._wrapped.get(number)
        if cached is None:
            wrapped = self.wrapped_text(self._row(number))
            cached = self._wrapped[number] = (wrap(wrapped.prefix, wrapped.text, self._width), wrapped.component)
        return cached

    def _top(self) -> tuple[int, int] | None:
        """The row at the top of the view (absolute number) and how many of its lines are above it."""
        if not self.shown_count:
            return None
        view, line = self._line_map.locate(round(self.scroll_y))
        return (self._abs(view), line) if view < self.shown_count else None

    def _restore_top(self, number: int, line: int) -> None:
        view = self._view_of(number)
        self._set_scroll(0 if view is None else self._line_map.first_line(view) + line)

    # -- following -----------------------------------------------------------

    def action_follow(self) -> None:
        """Put the cursor on the newest row and follow again."""
        self.following = True
        self.unseen = 0
        self._go_live()
        self.refresh()

    def pause(self) -> None:
        """Stop following: the view and the cursor stay where they are while rows arrive."""
        self.following = False

    def toggle_follow(self) -> None:
        """Pause, or go live again."""
        if self.following:
            self.pause()
        else:
            self.action_follow()

    def _go_live(self) -> None:
        """Cursor on the newest row, view at the end; again after the next refresh, once layout has settled
        (a batch can land before the log's size or scrollbar are known, and Textual refuses to scroll a
        widget whose scrollbar it has not shown yet: hence force=True)."""
        count = self.shown_count
        self._cursor = self._abs(count - 1) if count else -1
        self._set_scroll(self.max_scroll_y)
        self._stick_later()

    def _stick_later(self) -> None:
        if not self._stick_pending and self.is_attached:
            self._stick_pending = True
            self.call_after_refresh(self._stick)

    def _stick(self) -> None:
        self._stick_pending = False
        if self.following:
            self._set_scroll(self.max_scroll_y)

    def _set_scroll(self, y: float) -> None:
        self.scroll_to(y=y, animate=False, immediate=True, force=True)
        if self.show_vertical_scrollbar:  # a scrollbar shown after the scroll would keep its first position
            self.vertical_scrollbar.position = self.scroll_y

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self.following and new < self.max_scroll_y:
            self._stick_later()  # the layout moved the view (a resize, a maximize): following means the end

    def on_resize(self) -> None:
        self._relayout()
        self._show_count()
        if self.following:
            self._go_live()
        elif self.cursor is not None:
            self._scroll_to_cursor()

    def on_show(self) -> None:
        if self.following:
            self._go_live()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        # Runs before Widget's own handler scrolls: the person scrolls away, so pause first.
        if self.max_scroll_y and not (event.ctrl or event.shift):
            self.pause()

    def on_mouse_scroll_down(self) -> None:
        self.call_next(self._live_at_end)

    def on_scroll_up(self, message: ScrollUp) -> None:
        """The person clicked the scrollbar above its handle."""
        self.pause()

    def on_scroll_to(self, message: ScrollTo) -> None:
        """The person dragged the scrollbar: up pauses, to the very end goes live."""
        if message.y is None:
            return
        if message.y < self.max_scroll_y:
            self.pause()
        elif not self.following:
            self.action_follow()

    def _live_at_end(self) -> None:
        if not self.following and self.max_scroll_y and self.scroll_y >= self.max_scroll_y:
            self.action_follow()

    def watch_absolute(self) -> None:
        self.refresh()

    def watch_following(self) -> None:
        self._show_count()
        self.refresh()

    def watch_unseen(self) -> None:
        self._show_count()

    def _show_count(self) -> None:
        """The border subtitle: rows, live or paused, and while focused the keys (dropped first when narrow)."""
        total = len(self.rows)
        count = f"{self.shown_count:,} of {plural(total, 'row')} match" if self.filtered else plural(total, "row")
        if self.following:
            state = f"{count} · live"
        else:  # End works while the log has focus; ctrl+y (the screen's follow key) anywhere
            new = f" · {plural(self.unseen, 'new row')}" if self.unseen else ""
            state = f"{count} · paused{new} · {'End' if self.has_focus else 'ctrl+y'}: live"
        keys = f"{state} · ↑↓ move · Enter inspect"
        room = self.outer_size.width - 6  # the corners and a space either side of the subtitle
        self.border_subtitle = keys if self.has_focus and cell_len(keys) <= room else state

    @property
    def time_width(self) -> int:
        return 16 if self.absolute else 11  # a time of day is 15 cells: one more keeps a space before it

    def time_text(self, t: float) -> str:
        """An arrival time as the time column shows it."""
        if self.absolute and self.started_at is not None:
            return fmt_clock(self.started_at + t)
        return fmt_ms(t)

    # -- the cursor ----------------------------------------------------------

    def action_cursor_up(self) -> None:
        """Cursor to the row above (pauses following)."""
        self._move(-1)

    def action_cursor_down(self) -> None:
        """Cursor to the row below (on the newest, follows again)."""
        self._move(1)

    def action_cursor_page_up(self) -> None:
        self._move(-max(1, self.scrollable_content_region.height - 1))

    def action_cursor_page_down(self) -> None:
        self._move(max(1, self.scrollable_content_region.height - 1))

    def action_cursor_first(self) -> None:
        """Cursor to the oldest shown row (pauses following)."""
        if self.shown_count:
            self.move_cursor(0)

    def action_choose(self) -> None:
        """Post `RowChosen` for the row under the cursor."""
        row = self.cursor_row
        if row is not None:
            self.post_message(self.RowChosen(self, row))

    def _move(self, delta: int) -> None:
        count = self.shown_count
        if not count:
            return
        view = self.cursor
        self.move_cursor(max(0, min((count - 1 if view is None else view) + delta, count - 1)))

    def move_cursor(self, view: int) -> None:
        """Put the cursor on shown row `view` (0 is the oldest) and scroll it into view.

        The newest row means live: following resumes. Any other pauses following.
        """
        count = self.shown_count
        if view >= count - 1:
            self.action_follow()
            return
        self._cursor = self._abs(max(view, 0))
        self.pause()
        self._scroll_to_cursor()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        view = self.cursor
        if view is None:
            return
        top, height = self._line_map.first_line(view), self._line_map.height(view)
        room = self.scrollable_content_region.height
        y = round(self.scroll_y)
        if top < y:
            y = top
        elif top + height > y + room:
            y = min(top, top + height - room)
        self._set_scroll(y)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        view, _ = self._line_map.locate(round(self.scroll_y) + offset.y)
        if view >= self.shown_count:
            return
        self.move_cursor(view)
        if event.chain == 2:
            self.action_choose()

    def watch_has_focus(self, has_focus: bool) -> None:
        # Not on_focus: that runs before Widget's own handler sets `has_focus`.
        super().watch_has_focus(has_focus)
        self._show_count()  # the keys show in the border while the log has focus
        self.refresh()

    # -- find, filter, jump --------------------------------------------------

    def find(self, text: str, forward: bool = True, *, include_cursor: bool = False) -> tuple[int, int] | None:
        """Move the cursor to the next (or previous) shown row whose `row_text` contains `text`, ignoring case.

        The search starts after the cursor (before it when not `forward`; at it with `include_cursor`, for
        search-as-you-type) and wraps around. Returns (the match's number, 1 for the oldest match; how many
        shown rows match), or None when none does (the cursor stays). Moving off the newest row pauses
        following. Linear in the rows on the first search; repeating it (n, N) scans only rows that came since,
        and a longer text scans only the previous matches.
        """
        hits = self._find(text)
        if not hits:
            return None
        mark = self._cursor if self._cursor >= 0 else self._abs(self.shown_count - 1)
        if forward:
            i = bisect_left(hits, mark) if include_cursor else bisect_right(hits, mark)
            i = 0 if i == len(hits) else i
        else:
            i = (bisect_right(hits, mark) if include_cursor else bisect_left(hits, mark)) - 1
            i = len(hits) - 1 if i < 0 else i
        view = self._view_of(hits[i])
        assert view is not None
        self.move_cursor(view)
        return i + 1, len(hits)

    def match_count(self, text: str) -> int:
        """How many shown rows contain `text` (ignoring case), without moving the cursor."""
        return len(self._find(text))

    def _find(self, text: str) -> list[int]:
        return self._matches.find(text, self.rows, self._shown if self._filter is not None else None)

    def set_filter(self, predicate: Callable[[Row], bool] | None) -> None:
        """Show only the rows `predicate` accepts (None shows all again), including rows that arrive later.

        Following goes on among the shown rows; paused, the cursor stays on its row, or moves to the
        nearest shown row after it. Linear in the kept rows: one predicate call each.
        """
        self._filter = predicate
        self._matches.reset()
        if predicate is not None:
            dropped = self.rows.dropped
            self._shown = [dropped + i for i, row in enumerate(self.rows.items()) if predicate(row)]
        else:
            self._shown = []
        self._relayout()
        if self.following:
            self._go_live()
        elif self.shown_count:
            self._cursor = self._abs(self._view_at(max(self._cursor, 0)))
            self._scroll_to_cursor()
        else:
            self._cursor = -1
        self._show_count()
        self.refresh()

    def jump(self, predicate: Callable[[Row], bool], forward: bool = True) -> bool:
        """Move the cursor to the next (previous) shown row `predicate` accepts, wrapping around.

        For "next stall", "next error". Returns False, leaving the cursor, when no other row matches.
        """
        count = self.shown_count
        if not count:
            return False
        here = self.cursor
        here = count - 1 if here is None else here
        rows = self.rows.items()
        dropped = self.rows.dropped
        if self._filter is not None:
            shown = self._shown
            rows = [rows[n - dropped] for n in shown]
        order = chain(range(here + 1, count), range(here)) if forward else \
            chain(range(here - 1, -1, -1), range(count - 1, here, -1))
        for view in order:
            if predicate(rows[view]):
                self.move_cursor(view)
                return True
        return False

    # -- rendering -----------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        view, line = self._line_map.locate(round(self.scroll_y) + y)
        if view >= self.shown_count:
            return Strip.blank(width, base)
        number = self._abs(view)
        row = self._row(number)
        if self.wraps(row):
            lines, component = self._lines(number)
            style = self.get_component_rich_style(component)
            strip = Strip([Segment(lines[line] if line < len(lines) else "", style)]).crop_extend(0, width, style)
        else:
            strip = Strip(self.row_segments(row)).crop_extend(0, width, base)
        if number == self._cursor and (self.has_focus or not self.following):
            cursor = self.get_component_rich_style("ring-log--cursor", partial=True)
            strip = Strip(list(Segment.apply_style(strip, post_style=cursor)), width)
        return strip
