"""Keep CPython's cyclic garbage collector from holding the app's threads off.

A collection holds the GIL from start to end, and the embedded demo
server's thread needs it to send on time (streams are read in an engine
process, out of its reach since issue 12). Measured in the app when the
engine still read on a thread, on a 20 ms tick stream: full (generation 2)
collections took 10-30 ms each, about one a second, and they alone put the
99th percentile stamp error at 15-25 ms (bench/timing.py).
Two things made them that long and that frequent:

1. Textual's `Strip.divide` and `Strip.crop_extend` cache their result in the
   strip, and when no cut is needed the result is the strip itself: the
   strip (and its seven caches) becomes a reference cycle that only the
   collector can free. The compositor divides every line it draws, so about
   two thirds of the app's cyclic garbage was these. Here both methods
   return the strip itself before caching it; the answer is the same.
2. `gc.freeze()` after start-up (main_screen.py) empties the old
   generation, which makes CPython run a full collection as often as every
   ten young ones. While a stream runs, full collections now wait for a
   hundred young ones (about every 10-20 s in the app), and one runs at
   the end of every stream, when no stamp waits.
"""

from __future__ import annotations

import gc
from typing import Iterable, Sequence

from rich.style import Style
from textual.strip import Strip

FULL_EVERY = 100  # young collections between full ones while streaming (CPython's default is 10)

_divide = Strip.divide
_crop_extend = Strip.crop_extend


def _divide_without_cycle(self: Strip, cuts: Iterable[int]) -> Sequence[Strip]:
    cuts = list(cuts)
    length = self.cell_length
    if [cut for cut in cuts if cut <= length] == [length]:
        return [self]  # what `Strip.divide` returns here, without caching [self] in self
    return _divide(self, cuts)


def _crop_extend_without_cycle(self: Strip, start: int, end: int, style: Style | None) -> Strip:
    if start == 0 and end == self.cell_length:
        return self  # what `Strip.crop_extend` returns here, without caching self in self
    return _crop_extend(self, start, end, style)


def install() -> None:
    """Patch the two strip methods and make full collections rare (idempotent)."""
    Strip.divide = _divide_without_cycle  # type: ignore[method-assign]
    Strip.crop_extend = _crop_extend_without_cycle  # type: ignore[method-assign]
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_EVERY)


def collect_between_streams() -> None:
    """A full collection now, while no stream is being stamped."""
    gc.collect()
