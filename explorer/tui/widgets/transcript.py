"""The transcript pane: an LLM stream's answer as it grows, per channel, wrapped to the pane's width.

Thinking is dimmed and labelled, the answer is plain, each tool call's
arguments are labelled with the tool's name (pretty-printed once they are
whole JSON, raw while they grow), and a `⏸ 1.600 s` mark shows where in the
text a token stall happened. The text itself lives in `TranscriptText`; this
widget wraps it into lines and draws only the visible ones (line API), so a
batch costs what it brought.

It shows itself when the first token arrives and hides again on `clear`, so a
stream without tokens never gives it room. Following: the newest text stays in
view unless the person scrolls up; scrolling back to the end (or End) follows
again.
"""

from __future__ import annotations

from typing import ClassVar, Iterable, NamedTuple

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollTo, ScrollUp
from textual.strip import Strip

from ...core import Record
from ...core.format import plural
from ..transcript_text import Block, Paragraph, TranscriptText

_COMPONENTS = {"thinking": "transcript--thinking", "text": "transcript--text", "tool": "transcript--tool"}


class Line(NamedTuple):
    """One line on screen: a piece of a paragraph in a block's style, or a heading or note."""

    paragraph: Paragraph
    start: int
    end: int
    component: str


class Transcript(ScrollView, can_focus=True):
    """The assembled answer of an LLM stream, fed token records in batches (`add`), cleared per run."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "transcript--label", "transcript--thinking", "transcript--text", "transcript--tool",
        "transcript--stall", "transcript--note",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("end", "follow", "Live", show=False),
    ]

    DEFAULT_CSS = """
    Transcript {
        border: round $panel;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        scrollbar-gutter: stable;
        padding: 0 1;
        &:focus { border: round $accent; }
        & > .transcript--label { color: $text-secondary; text-style: bold; }
        & > .transcript--thinking { color: $text-muted; text-style: italic; }
        & > .transcript--text { color: $foreground; }
        & > .transcript--tool { color: $text-accent; }
        & > .transcript--stall { background: $warning-muted; color: $text-warning; text-style: bold; }
        & > .transcript--note { background: $panel; color: $text; text-style: italic; }
    }
    """

    following: var[bool] = var(True)
    """Whether the newest text is kept in view; only the person turns it off (scrolling up)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = TranscriptText()
        self.lines: list[Line] = []
        self._width = 0
        self._views: dict[int, BlockView] = {}  # per block (by id): its lines, wrapped as it grows
        self.border_title = "Transcript"
        self.display = False

    def add(self, records: Iterable[Record]) -> None:
        """Add a batch's token records (others are skipped); the first token shows the pane."""
        if not self.text.add(records):
            return
        if not self.display:
            self.display = True
        self._relayout()

    def clear(self) -> None:
        """Forget the transcript and hide (a new run, or a clear)."""
        self.text.clear()
        self.lines = []
        self._views.clear()
        self.display = False
        self.following = True
        self._relayout()

    # -- layout --------------------------------------------------------------

    def _relayout(self) -> None:
        """The lines at the current width (a growing paragraph re-wraps from its last line), and follow."""
        width = self.scrollable_content_region.width or self._width or 80
        self._width = width
        lines: list[Line] = []
        for n, block in enumerate(self.text.blocks):
            if n:
                lines.append(Line(_BLANK, 0, 0, "transcript--text"))
            view = self._views.get(id(block))
            if view is None:
                view = self._views[id(block)] = BlockView(block)
            lines += view.lines(width)
        if self.text.unkept:
            note = f"… {plural(self.text.unkept, 'token')} of further tool calls not kept"
            lines.append(Line(Paragraph(note), 0, len(note), "transcript--note"))
        self.lines = lines
        self.virtual_size = Size(width, len(lines))
        self._show_state()
        if not self.is_mounted:  # deferred: drawn once mounted (on_resize)
            return
        if self.following:
            self._set_scroll(self.max_scroll_y)
            self.call_after_refresh(self._stick)  # once the new virtual size is laid out
        self.refresh()

    def on_resize(self) -> None:
        self._relayout()

    def _show_state(self) -> None:
        deltas = plural(self.text.tokens, "delta")  # token records: the provider's token count is on the status line
        self.border_subtitle = f"{deltas} · live" if self.following else f"{deltas} · paused · End: live"

    # -- following -----------------------------------------------------------

    def action_follow(self) -> None:
        """Back to the newest text."""
        self.following = True
        self._set_scroll(self.max_scroll_y)

    def _stick(self) -> None:
        if self.following:
            self._set_scroll(self.max_scroll_y)

    def _set_scroll(self, y: float) -> None:
        self.scroll_to(y=y, animate=False, immediate=True, force=True)

    def watch_following(self) -> None:
        self._show_state()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self.max_scroll_y:  # before Widget's own handler scrolls: the person scrolls away
            self.following = False

    def on_mouse_scroll_down(self) -> None:
        self.call_next(self._live_at_end)

    def on_scroll_up(self, message: ScrollUp) -> None:
        self.following = False

    def on_scroll_to(self, message: ScrollTo) -> None:
        if message.y is not None:
            self.following = message.y >= self.max_scroll_y

    def _live_at_end(self) -> None:
        if not self.following and self.scroll_y >= self.max_scroll_y:
            self.following = True

    def action_scroll_up(self) -> None:
        self.following = not self.max_scroll_y
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self.following = not self.max_scroll_y
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self.following = not self.max_scroll_y
        super().action_scroll_home()

    def action_scroll_down(self) -> None:
        super().action_scroll_down()
        self.call_after_refresh(self._live_at_end)

    def action_page_down(self) -> None:
        super().action_page_down()
        self.call_after_refresh(self._live_at_end)

    def action_scroll_end(self) -> None:
        self.action_follow()

    # -- drawing -------------------------------------------------------------

    def plain_lines(self) -> list[str]:
        """Every line's text as drawn (tests and screenshots read it)."""
        return [line.paragraph.text[line.start:line.end].rstrip(" ") for line in self.lines]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        index = round(self.scroll_y) + y
        if not 0 <= index < len(self.lines):
            return Strip.blank(width, base)
        line = self.lines[index]
        style = self.get_component_rich_style(line.component)
        text, start, end = line.paragraph.text, line.start, line.end
        segments: list[Segment] = []
        at = start
        for span in line.paragraph.spans:  # stall marks: few, and only where a stall happened
            if span.end <= start or span.start >= end:
                continue
            if span.start > at:
                segments.append(Segment(text[at:span.start], style))
            segments.append(Segment(text[max(at, span.start):min(end, span.end)],
                                    self.get_component_rich_style("transcript--" + span.style)))
            at = min(end, span.end)
        if at < end:
            segments.append(Segment(text[at:end], style))
        return Strip(segments).crop_extend(0, width, base)


_BLANK = Paragraph()


class BlockView:
    """A block's lines at one width: its heading, its paragraphs wrapped, what its cap left out.

    Text only ever grows at the end of a block, so the lines of every paragraph but the last are kept and a
    change wraps only the last paragraph (and any new ones). A tool call's arguments turned pretty are few:
    they are wrapped anew.
    """

    def __init__(self, block: Block) -> None:
        self.block = block
        self._key = (-1, 0)  # (block version, width) of `_lines`
        self._lines: list[Line] = []
        self._closed: list[Line] = []  # lines of the paragraphs before `_done`
        self._done = 0
        self._width = 0

    def lines(self, width: int) -> list[Line]:
        block = self.block
        if self._key == (block.version, width):
            return self._lines
        shown = block.shown()
        if width != self._width or shown is not block.paragraphs:
            self._closed, self._done, self._width = [], 0, width
        component = _COMPONENTS[block.kind]
        for paragraph in shown[self._done:-1]:
            self._closed += _wrapped(paragraph, width, component)
        self._done = max(self._done, len(shown) - 1)
        lines = [*_wrapped(_heading(block), width, "transcript--label"), *self._closed,
                 *_wrapped(shown[-1], width, component)]
        if block.note:
            lines += _wrapped(Paragraph(block.note), width, "transcript--note")
        if shown is not block.paragraphs:  # pretty: nothing of it is kept for the next change
            self._closed, self._done = [], 0
        self._key, self._lines = (block.version, width), lines
        return lines


def _wrapped(paragraph: Paragraph, width: int, component: str) -> list[Line]:
    starts = paragraph.starts(width)
    ends = starts[1:] + [len(paragraph.text)]
    return [Line(paragraph, start, end, component) for start, end in zip(starts, ends)]


def _heading(block: Block) -> Paragraph:
    """`thinking`, `answer`, or `tool NAME · call N · arguments` (with `(JSON)` once they are whole JSON)."""
    label = block.label
    if block.kind == "tool":
        label += " · arguments" + (" (JSON)" if block.pretty else "")
    return Paragraph(label)
