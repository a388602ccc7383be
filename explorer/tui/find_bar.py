"""The find and filter line under the logs: `/` finds text in the kept rows, `|` narrows the log to a filter.

A filter is words: `kind:NAME[,NAME]` keeps those kinds of rows (response,
chunk, line, sse, end, error, note ...), `-WORD` drops rows holding WORD,
and any other word must appear in the row (case-insensitive). The bar stays
visible while a filter is active, so a narrowed log never passes for the
whole stream.
"""

from __future__ import annotations

from typing import Any, Callable, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label

from ..core import Record
from ..core.format import plural
from ..core.rows import EventRow
from .widgets.chunk_log import Note
from .widgets.ring_log import RingLog

Mode = Literal["find", "filter"]
PROMPTS: dict[Mode, str] = {"find": "find /", "filter": "filter |"}
HINTS: dict[Mode, str] = {
    "find": "text to find · Enter next · n/N next/previous · Esc close",
    "filter": "words, -word, kind:line,sse · Enter apply · Esc clear",
}


def row_kind(row: Any) -> str:
    """The kind a filter matches: a record's kind, `note` for the app's own rows, the event's name."""
    if isinstance(row, Record):
        return row.kind.value
    if isinstance(row, Note):
        return "note"
    if isinstance(row, EventRow):
        return row.name.lower()
    return ""


def parse_filter(text: str, row_text: Callable[[Any], str]) -> Callable[[Any], bool] | None:
    """A row predicate for filter `text` (None for an empty filter: every row shows)."""
    kinds: set[str] = set()
    wanted: list[str] = []
    unwanted: list[str] = []
    for word in text.lower().split():
        if word.startswith("kind:"):
            kinds.update(name for name in word[5:].split(",") if name)
        elif word.startswith("-") and len(word) > 1:
            unwanted.append(word[1:])
        else:
            wanted.append(word)
    if not (kinds or wanted or unwanted):
        return None

    def keep(row: Any) -> bool:
        if kinds and row_kind(row) not in kinds:
            return False
        if wanted or unwanted:
            haystack = row_text(row).lower()
            return all(word in haystack for word in wanted) and not any(word in haystack for word in unwanted)
        return True

    return keep


class FindBar(Horizontal):
    """One line: a prompt, the text field, and the match count; its `finder` acts on what is typed."""

    DEFAULT_CSS = """
    FindBar {
        height: 1;
        display: none;
        background: $boost;
    }
    FindBar.-open {
        display: block;
    }
    FindBar #find-prompt {
        width: auto;
        padding: 0 1;
        color: $accent;
        text-style: bold;
    }
    FindBar Input, FindBar Input:focus {
        width: 1fr;
        height: 1;
        border: none;
        padding: 0;
    }
    FindBar #find-count {
        width: auto;
        padding: 0 1;
        color: $text-muted;
    }
    """

    BINDINGS = [Binding("escape", "close", "Close", show=False)]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode: Mode = "find"
        self.finder = Finder(self)  # what the typed text does to the log the bar was opened on

    def compose(self) -> ComposeResult:
        yield Label(PROMPTS["find"], id="find-prompt", markup=False)
        yield Input(id="find-input", placeholder=HINTS["find"], compact=True)
        yield Label("", id="find-count", markup=False)

    @property
    def text(self) -> str:
        return self.query_one(Input).value

    def open(self, mode: Mode, text: str | None = None) -> None:
        """Show the bar in `mode` with the cursor in its field."""
        self.mode = mode
        self.add_class("-open")
        self.query_one("#find-prompt", Label).update(PROMPTS[mode])
        field = self.query_one(Input)
        field.placeholder = HINTS[mode]
        if text is not None:
            field.value = text
        field.focus()

    def close(self) -> None:
        self.remove_class("-open")
        self.show_count("")

    def show_count(self, text: str) -> None:
        self.query_one("#find-count", Label).update(text)

    def action_close(self) -> None:
        self.finder.closed(self.mode)

    @on(Input.Changed, "#find-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.finder.changed(self.mode, event.value)

    @on(Input.Submitted, "#find-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.finder.submitted(self.mode, event.value)


def is_stall(row: Any) -> bool:
    return isinstance(row, Record) and row.stall


def is_error(row: Any) -> bool:
    """An error record, or a data record the stream broke inside."""
    return isinstance(row, Record) and (row.kind.value == "error" or row.partial)


class Finder:
    """What find, filter and the jumps do to a log: the screen's keys call these, the bar shows the outcome."""

    def __init__(self, bar: FindBar) -> None:
        self.bar = bar
        self.log: RingLog[Any] | None = None  # the log the bar was opened on
        self.text = ""  # the last text found
        self.filter_text = ""

    def open(self, mode: Mode, log: RingLog[Any]) -> None:
        self.log = log
        self.bar.open(mode, self.filter_text if mode == "filter" else self.text)

    def changed(self, mode: Mode, text: str) -> None:
        """Find as the person types; preview a filter as it is typed."""
        log = self.log
        if log is None:
            return
        if mode == "find":
            self.text = text
            found = log.find(text, include_cursor=True) if text else None
            self.bar.show_count(count_text(found, text))
        else:
            self.apply_filter(text)

    def submitted(self, mode: Mode, text: str) -> None:
        """Enter: the next match; the bar stays (with the count, or while a filter is on) and the log takes
        the keys, so n and N move between matches."""
        if mode == "find":
            self.next(forward=True)
            if self.log is not None:
                self.log.focus()
        else:
            self.apply_filter(text)
            if self.log is not None:
                self.log.focus()
            if not self.filter_text:
                self.bar.close()

    @property
    def showing(self) -> bool:
        return self.bar.has_class("-open")

    def closed(self, mode: Mode) -> None:
        """Esc: close the bar; a filter is cleared."""
        if mode == "filter" or self.filter_text:
            self.apply_filter("")
        self.bar.close()
        if self.log is not None:
            self.log.focus()

    def apply_filter(self, text: str) -> None:
        log = self.log
        if log is None:
            return
        self.filter_text = text.strip()
        log.set_filter(parse_filter(self.filter_text, log.row_text))
        self.bar.show_count(f"{log.shown_count:,} of {len(log.rows):,} rows" if self.filter_text else "")

    def next(self, forward: bool) -> str | None:
        """The next (previous) match of the last text; a sentence for the person when there is none."""
        log = self.log
        if log is None or not self.text:
            return "Nothing to find yet: press / and type."
        found = log.find(self.text, forward)
        self.bar.show_count(count_text(found, self.text))
        return None if found else f"No row holds '{self.text}'."

    @staticmethod
    def jump(log: RingLog[Any], what: str, forward: bool) -> str | None:
        """Move the cursor to the next stall or error; a sentence when there is none."""
        predicate = is_stall if what == "stall" else is_error
        if log.jump(predicate, forward):
            log.focus()
            return None
        return f"No other {what} in the rows shown."


def count_text(found: tuple[int, int] | None, text: str) -> str:
    if not text:
        return ""
    if found is None:
        return "no match"
    return f"{found[0]:,} of {plural(found[1], 'match', 'matches')}"
