"""Fixed-width cells and word wrapping for the logs, measured in terminal cells (Rich's cell functions)."""

from __future__ import annotations

import re
from typing import NamedTuple

from rich.cells import cell_len, chop_cells, set_cell_size
from rich.segment import Segment
from rich.style import Style


class Wrapped(NamedTuple):
    """A row shown whole: `prefix` starts its first line, the text wraps under it, in a component class's style."""

    prefix: str
    text: str
    component: str


def cell(text: str, width: int, style: Style, right: bool = False) -> Segment:
    """A fixed-width column cell: `text` (already safe) padded or cut to `width` terminal cells.

    Cells, not characters: CJK, emoji sequences and combining marks take the columns they are drawn in.
    """
    length = cell_len(text)
    if length >= width:
        return Segment(set_cell_size(text, width) if length > width else text, style)
    pad = " " * (width - length)
    return Segment(pad + text if right else text + pad, style)


def wrap(prefix: str, text: str, width: int) -> list[str]:
    """`prefix` and `text` over lines of `width` cells, later lines indented under the text.

    Breaks at spaces, never between a number and its unit (`4.5 ms`) nor before a ` · ` separator; a word
    longer than a line is folded.
    Text is plain (never markup) and measured in cells.
    """
    indent = cell_len(prefix)
    room = max(width - indent, 1)
    lines: list[str] = []
    line, used = "", 0
    for spaces, word in _WORDS.findall(text):
        size = cell_len(word)
        if line and used + len(spaces) + size <= room:
            line += spaces + word
            used += len(spaces) + size
            continue
        if line:
            lines.append(line)
        pieces = chop_cells(word, room) if size > room else [word]
        lines += pieces[:-1]
        line = pieces[-1]
        used = cell_len(line)
    lines.append(line)
    pad = " " * indent
    return [(prefix if i == 0 else pad) + line for i, line in enumerate(lines)]


# A word: a number with its unit, or any run of non-spaces; a following " ·" separator stays with it.
_WORDS = re.compile(r"( *)((?:\S*\d (?:ms|s|B|KiB|MiB|GiB)(?=[\s,;:)]|$)[,;:)]*|\S+)(?: [·|](?= |$))?)")
