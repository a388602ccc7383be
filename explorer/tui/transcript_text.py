"""What the transcript pane shows: an LLM stream's answer assembled per channel, as text to wrap.

Token records (`Kind.TOKEN`) come in arrival order; each belongs to a channel:
"thinking", "text" (the answer) or "tool:NAME" with a call number. Each
channel (each tool call) is one block, in the order they first spoke. A token
that came after a token stall leaves a mark (`⏸ 1.600 s`) where it lands in
its block's text.

Memory is bounded on any stream: each block keeps `TEXT_CAP` characters and
counts the rest, and at most `BLOCK_CAP` blocks are kept. Text is sanitized
as it arrives, line breaks kept as paragraph breaks (tabs become spaces).

Wrapping is greedy over words, in terminal cells. Appending text never moves
an earlier line break, so a growing paragraph re-wraps only from the start of
its last line: a flush costs what arrived, not the length of the answer.
"""

from __future__ import annotations

import json
import re
from typing import Iterable, NamedTuple

from rich.cells import cell_len, chop_cells

from ..core import Kind, Record
from ..core.format import fmt_ms, plural
from ..core.sanitize import sanitize
from .inspector import pretty_json

TEXT_CAP = 65_536  # characters kept per channel (a tool call's arguments count as one channel)
BLOCK_CAP = 64  # channels and tool calls kept; tokens of later ones are counted
STALL = "stall"  # the style name of a stall mark
_WORD = re.compile(r"[^ ]*[ ]*")  # lines break at spaces only: a stall mark's no-break spaces hold it together


class Span(NamedTuple):
    """A styled range of a paragraph (a stall mark)."""

    start: int
    end: int
    style: str


class Paragraph:
    """One paragraph of a block: safe text, the stall marks in it, and where it wraps at one width."""

    __slots__ = ("text", "spans", "_width", "_starts", "_wrapped")

    def __init__(self, text: str = "") -> None:
        self.text = text
        self.spans: list[Span] = []
        self._width = 0
        self._starts: list[int] = []
        self._wrapped = 0  # the text's length when `_starts` was made

    def append(self, text: str, style: str | None = None) -> None:
        if style is not None:
            self.spans.append(Span(len(self.text), len(self.text) + len(text), style))
        self.text += text

    def starts(self, width: int) -> list[int]:
        """Where each line starts at `width` cells (re-wrapped from the last line only, as the text grows)."""
        width = max(1, width)
        if width != self._width or not self._starts:
            self._width, self._starts = width, line_starts(self.text, width)
        elif len(self.text) != self._wrapped:
            self._starts[-1:] = line_starts(self.text, width, self._starts[-1])
        self._wrapped = len(self.text)
        return self._starts


def stall_mark(gap: float) -> str:
    """The mark a token stall leaves in the text, `⏸ 1.600 s`, with no-break spaces: it never wraps apart."""
    return f"⏸\u00a0{fmt_ms(gap)}".replace(" ", "\u00a0")


def line_starts(text: str, width: int, start: int = 0) -> list[int]:
    """Greedy word wrap of `text` from `start` at `width` cells: the index where each line starts.

    Spaces after a word hang past the edge; a word longer than a line is folded.
    """
    starts, used = [start], 0
    for match in _WORD.finditer(text, start):
        word = match.group()
        if not word:
            continue
        size = cell_len(word.rstrip(" "))
        if used and used + size > width:
            starts.append(match.start())
            used = 0
        if size > width and not used:
            position = match.start()
            pieces = chop_cells(word.rstrip(" "), width)
            for piece in pieces[:-1]:
                position += len(piece)
                if position > starts[-1]:  # a character wider than the line is a line of its own
                    starts.append(position)
            used = cell_len(word[position - match.start():])
            continue
        used += cell_len(word)
    return starts


class Block:
    """One channel's text (or one tool call's arguments), capped, with its stall marks."""

    def __init__(self, channel: str, call: int | None) -> None:
        self.channel = channel
        self.call = call
        self.kind = "tool" if channel.startswith("tool:") else "thinking" if channel == "thinking" else "text"
        self.raw: list[str] = []  # the text as it came, up to the cap
        self.kept = 0
        self.lost = 0  # characters past the cap
        self.stalls: list[float] = []
        self.paragraphs = [Paragraph()]
        self.version = 0  # counts changes: a view re-wraps only the blocks that changed
        self._pretty: list[Paragraph] | None = None

    @property
    def label(self) -> str:
        """The block's heading: `thinking`, `answer`, or `tool NAME · call N`."""
        if self.kind == "tool":
            call = "" if self.call is None else f" · call {self.call + 1}"
            return f"tool {sanitize(self.channel[5:], 80)}{call}"
        return "thinking" if self.kind == "thinking" else "answer" if self.channel == "text" else sanitize(
            self.channel, 80)

    @property
    def text(self) -> str:
        """The text kept so far, as it came (not sanitized: never draw it)."""
        if len(self.raw) > 1:
            self.raw[:] = ["".join(self.raw)]
        return self.raw[0] if self.raw else ""

    def add(self, text: str, stall: float | None) -> None:
        """Append a token's text; `stall` is the silence before it when that was a stall."""
        self.version += 1
        if stall is not None and self.kept < TEXT_CAP:  # past the cap nothing is added, marks neither
            self.stalls.append(stall)
            last = self.paragraphs[-1]
            lead = " " if last.text and not last.text.endswith(" ") else ""
            last.append(lead)
            last.append(stall_mark(stall), STALL)
            if not text[:1].isspace():
                last.append(" ")
        room = TEXT_CAP - self.kept
        if len(text) > room:
            self.lost += len(text) - max(room, 0)
            text = text[:max(room, 0)]
        if not text:
            return
        self.raw.append(text)
        self.kept += len(text)
        lines = text.replace("\r\n", "\n").replace("\t", "    ").split("\n")
        self.paragraphs[-1].append(sanitize(lines[0], None))
        self.paragraphs += [Paragraph(sanitize(line, None)) for line in lines[1:]]
        self._pretty = None

    def shown(self) -> list[Paragraph]:
        """The paragraphs to draw: a tool call's arguments pretty-printed once they are whole JSON."""
        if self.kind != "tool" or self.lost:
            return self.paragraphs
        if self._pretty is None:
            self._pretty = self.paragraphs
            text = self.text.strip()
            if text[:1] in ("{", "[") and text[-1:] in ("}", "]") and (pretty := _pretty(text)) is not None:
                self._pretty = [Paragraph(line) for line in pretty.split("\n")]
                if self.stalls:
                    marks = Paragraph()
                    for stall in self.stalls:
                        marks.append(stall_mark(stall), STALL)
                        marks.append(" ")
                    self._pretty.append(marks)
        return self._pretty

    @property
    def pretty(self) -> bool:
        """Whether the arguments show pretty-printed (whole JSON)."""
        return self.shown() is not self.paragraphs

    @property
    def note(self) -> str | None:
        """What the cap left out, if anything."""
        return f"… {plural(self.lost, 'character')} not kept" if self.lost else None


def _pretty(text: str) -> str | None:
    try:
        json.loads(text)  # one whole value (not JSON lines, as `pretty_json` would also take)
    except (ValueError, RecursionError):
        return None
    return pretty_json(text)


class TranscriptText:
    """The blocks of one stream's transcript: fed token records in batches, cleared for a new run."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._index: dict[tuple[str, int | None], Block] = {}
        self.tokens = 0
        self.unkept = 0  # tokens of channels past `BLOCK_CAP`

    def clear(self) -> None:
        self.blocks.clear()
        self._index.clear()
        self.tokens = self.unkept = 0

    def add(self, records: Iterable[Record]) -> bool:
        """Add the token records of a batch (other kinds are skipped); True if any was a token."""
        added = False
        for record in records:
            if record.kind is not Kind.TOKEN:
                continue
            token = record.token
            key = (token.channel, token.call)
            block = self._index.get(key)
            if block is None:
                if len(self.blocks) >= BLOCK_CAP:
                    self.unkept += 1
                    continue
                block = self._index[key] = Block(*key)
                self.blocks.append(block)
            block.add(token.text, record.gap if record.stall else None)
            if record.cut and record.full_size is not None:  # the engine sent the UI its first PAYLOAD_CAP
                block.lost += record.full_size - len(token.text)
            self.tokens += 1
            added = True
        return added

    def text(self, channel: str = "text", call: int | None = None) -> str:
        """A channel's text as kept (as it came: never draw it)."""
        block = self._index.get((channel, call))
        return block.text if block is not None else ""
