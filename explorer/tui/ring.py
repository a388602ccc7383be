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
        batch = list(items)
        if len(batch) > self.capacity:
            self.dropped += len(batch) - self.capacity
            batch = batch[-self.capacity:]
        capacity, items_ = self.capacity, self._items
        for item in batch:
            if self._len < capacity:
                items_[(self._start + self._len) % capacity] = item
                self._len += 1
            else:
                items_[self._start] = item
                self._start = (self._start + 1) % capacity
                self.dropped += 1

    def clear(self) -> None:
        self._items = [None] * self.capacity
        self._start = self._len = 0
        self.dropped = 0
