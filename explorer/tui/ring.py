"""What the log widgets keep: a fixed-capacity ring of rows, the map from virtual lines to rows, search matches.

`collections.deque` indexes its middle in O(n); a log that renders rows by
index on every frame wants O(1). No Textual here.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Callable, Generic, Iterable, Iterator, TypeVar

T = TypeVar("T")


class Ring(Generic[T]):
    """The last `capacity` items appended; `dropped` counts items pushed out so far."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._items: list[T | None] = [None] * capacity
        self._start = 0
        self._len = 0
        self.dropped = 0

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, index: int) -> T:
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError(index)
        return self._items[(self._start + index) % self.capacity]  # type: ignore[return-value]

    def __iter__(self) -> Iterator[T]:
        for index in range(self._len):
            yield self[index]

    def items(self, start: int = 0) -> list[T]:
        """The items from index `start` (0 is the oldest) to the newest, as a list: two slice copies, no loop."""
        start = max(0, min(start, self._len))
        begin = self._start + start
        end = self._start + self._len
        capacity = self.capacity
        if end <= capacity:
            return self._items[begin:end]  # type: ignore[return-value]
        if begin >= capacity:
            return self._items[begin - capacity:end - capacity]  # type: ignore[return-value]
        return self._items[begin:] + self._items[:end - capacity]  # type: ignore[return-value]

    def extend(self, items: Iterable[T]) -> None:
        """Append items, pushing the oldest out; slice copies, not a Python loop per item."""
        batch = items if isinstance(items, list) else list(items)
        capacity = self.capacity
        if len(batch) >= capacity:
            self.dropped += self._len + len(batch) - capacity
            self._items = batch[-capacity:]
            self._start, self._len = 0, capacity
            return
        end = (self._start + self._len) % capacity
        first = min(len(batch), capacity - end)
        self._items[end:end + first] = batch[:first]
        self._items[:len(batch) - first] = batch[first:]
        overflow = self._len + len(batch) - capacity
        if overflow > 0:
            self._start = (self._start + overflow) % capacity
            self._len = capacity
            self.dropped += overflow
        else:
            self._len += len(batch)

    def clear(self) -> None:
        self._items = [None] * self.capacity
        self._start = self._len = 0
        self.dropped = 0


class LineMap:
    """Virtual lines over rows 0..n-1 when a few rows are taller than one line (a wrapped end or error row).

    Only the tall rows are kept, with their first line and height, so finding the row at a line is a
    bisect over them and rebuilding costs O(tall rows), however many rows there are.
    """

    def __init__(self) -> None:
        self.rows: list[int] = []  # the tall rows, ascending
        self.starts: list[int] = []  # the first line of each
        self.heights: list[int] = []
        self.extra = 0  # lines beyond one per row

    def build(self, tall: Iterable[tuple[int, int]]) -> None:
        """Take (row, height) for every row taller than one line, in row order."""
        rows, starts, heights = [], [], []
        extra = 0
        for row, height in tall:
            rows.append(row)
            starts.append(row + extra)
            heights.append(height)
            extra += height - 1
        self.rows, self.starts, self.heights, self.extra = rows, starts, heights, extra

    def locate(self, line: int) -> tuple[int, int]:
        """The row at virtual `line`, and which of its lines it is."""
        k = bisect_right(self.starts, line)
        if not k:
            return line, 0
        row, start, height = self.rows[k - 1], self.starts[k - 1], self.heights[k - 1]
        if line < start + height:
            return row, line - start
        return line - (start - row + height - 1), 0

    def first_line(self, row: int) -> int:
        """The virtual line `row` starts at."""
        k = bisect_left(self.rows, row)
        if not k:
            return row
        return row + self.starts[k - 1] - self.rows[k - 1] + self.heights[k - 1] - 1

    def height(self, row: int) -> int:
        k = bisect_left(self.rows, row)
        return self.heights[k] if k < len(self.rows) and self.rows[k] == row else 1


class Matches(Generic[T]):
    """The rows of a ring whose text contains a needle (ignoring case), kept between searches.

    Rows are named by absolute number (`ring.dropped` + index), which stays put as older rows are
    pushed out. Repeating a search scans only the rows that came since; a longer needle (typing on)
    scans only the last matches. Otherwise one linear pass.
    """

    def __init__(self, text: Callable[[T], str]) -> None:
        self.text = text
        self.needle = ""
        self.hits: list[int] = []
        self.scanned = 0  # the absolute number after the last row scanned

    def reset(self) -> None:
        """Forget the last search: which rows are shown changed (a filter, a clear)."""
        self.needle, self.hits, self.scanned = "", [], 0

    def find(self, needle: str, ring: Ring[T], shown: list[int] | None = None) -> list[int]:
        """Absolute numbers, ascending, of the rows (only those in `shown`, if given) whose text contains `needle`."""
        needle = needle.lower()
        if not needle:
            return []
        text = self.text
        dropped = ring.dropped
        rows = ring.items()
        if self.needle and self.needle in needle and self.scanned >= dropped:
            hits = self.hits[bisect_left(self.hits, dropped):]
            if self.needle != needle:
                hits = [n for n in hits if needle in text(rows[n - dropped]).lower()]
            start = self.scanned
        else:
            hits, start = [], dropped
        if shown is None:
            hits += [start + i for i, row in enumerate(rows[start - dropped:]) if needle in text(row).lower()]
        else:
            hits += [n for n in shown[bisect_left(shown, start):] if needle in text(rows[n - dropped]).lower()]
        self.needle, self.hits, self.scanned = needle, hits, dropped + len(rows)
        return hits
