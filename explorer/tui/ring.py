"""A fixed-capacity ring buffer with O(1) indexing, for the log widgets.

`collections.deque` indexes its middle in O(n); a log that renders rows by
index on every frame wants O(1). No Textual here.
"""

from __future__ import annotations

from typing import Generic, Iterable, Iterator, TypeVar

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
