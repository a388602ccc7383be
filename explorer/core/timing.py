"""Fixed-size timing statistics: gap percentiles, stalls and arrivals over time.

Everything here has bounded memory however long the stream runs: gaps go
into a log-scale histogram (about 2% relative precision), arrivals into
time buckets that halve their resolution when the stream outgrows them.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from operator import attrgetter

from .record import Flag, GapSummary, Record

STALL_SECONDS = 1.0
STALL_FACTOR = 5.0  # a stall is also this many times the median gap so far

_MIN_GAP = 1e-6
_GROWTH = 1.02
_LOG_GROWTH = math.log(_GROWTH)
_BUCKETS = int(math.log(86_400 / _MIN_GAP) / _LOG_GROWTH) + 2


class GapStats:
    """Count, percentiles and max of the gaps between data records, in fixed-size log buckets."""

    def __init__(self) -> None:
        self._counts = [0] * _BUCKETS
        self.count = 0
        self.max = 0.0

    def add_many(self, gaps: list[float]) -> None:
        """Add gaps in bulk: sorted once, then each bucket's run counted with a bisection (C speed)."""
        if not gaps:
            return
        ordered = sorted(gaps)
        counts, n, i = self._counts, len(ordered), 0
        while i < n:
            index = bisect_left(_BOUNDS, ordered[i])
            if index >= _BUCKETS:
                index, j = _BUCKETS - 1, n
            else:
                j = bisect_right(ordered, _BOUNDS[index], i)
            counts[index] += j - i
            i = j
        self.count += n
        if ordered[-1] > self.max:
            self.max = ordered[-1]

    def add_zeros(self, n: int) -> None:
        self._counts[0] += n
        self.count += n

    def percentile(self, p: float) -> float | None:
        """The p-th percentile (0-100), from the histogram; None without gaps."""
        if not self.count:
            return None
        rank = max(1, math.ceil(self.count * p / 100))
        seen = 0
        for index, n in enumerate(self._counts):
            seen += n
            if seen >= rank:
                return min(_value(index), self.max)
        return self.max

    def histogram(self, bins: int) -> list[tuple[float, int]]:
        """(upper gap, count) in `bins` log-spaced bins between the smallest and largest gap."""
        used = [i for i, n in enumerate(self._counts) if n]
        if not used:
            return []
        low, high = used[0], used[-1] + 1
        step = max(1, math.ceil((high - low) / bins))
        return [(_value(min(start + step, high) - 1), sum(self._counts[start:start + step]))
                for start in range(low, high, step)]


# Bucket 0 holds gaps up to _MIN_GAP; bucket i holds (_MIN_GAP * G^(i-1), _MIN_GAP * G^i].
_BOUNDS = [_MIN_GAP * _GROWTH ** i for i in range(_BUCKETS)]


def _value(index: int) -> float:
    """A representative gap for a bucket (its geometric middle)."""
    if index == 0:
        return 0.0
    return _MIN_GAP * _GROWTH ** (index - 0.5)


def _rounded(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


class TimingStage:
    """The one place gaps are judged: stall marks as records are made, gap statistics for the summary.

    Modes call it per read from their hot loops. The cheap path is theirs:
    a gap under the stall threshold is appended to `pending` (while it holds
    fewer than `PENDING` gaps); anything else goes through `note`, which
    judges stalls against the median of the earlier gaps. Records a read
    produced beyond its first (lines split from one read) have gap 0 and are
    never passed in: `catch_up` counts them from the record index.
    """

    PENDING = 4096

    def __init__(self, stall_seconds: float = STALL_SECONDS) -> None:
        self.stall_seconds = stall_seconds
        self.gaps = GapStats()
        self.pending: list[float] = []
        self.stalls = 0

    def note(self, gap: float, seq: int) -> int:
        """Account for the gap before data record `seq`; `Flag.STALL` when it is a stall, else 0."""
        if seq == 0:
            return 0  # the first record's gap is time to first byte, not a pause
        self.catch_up(seq)
        stall = gap >= self.stall_seconds and self.is_stall(gap)
        self.pending.append(gap)
        if stall:
            self.stalls += 1
            return Flag.STALL
        return 0

    def catch_up(self, seq: int) -> None:
        """Bring the histogram up to date with every gap before data record `seq`."""
        self.gaps.add_many(self.pending)
        self.pending.clear()
        zeros = seq - 1 - self.gaps.count
        if zeros > 0:
            self.gaps.add_zeros(zeros)

    def is_stall(self, gap: float) -> bool:
        """A long gap is a stall only against a median of at least two earlier gaps."""
        if self.gaps.count < 2:
            return False
        median = self.gaps.percentile(50) or 0.0
        return gap >= STALL_FACTOR * median

    def summary(self, records: int) -> GapSummary:
        """Gap figures over a stream of `records` data records (also mid-stream, for live figures)."""
        self.catch_up(records)
        gaps = self.gaps
        return GapSummary(
            gap_count=gaps.count,
            gap_p50=_rounded(gaps.percentile(50)),
            gap_p90=_rounded(gaps.percentile(90)),
            gap_p99=_rounded(gaps.percentile(99)),
            gap_max=_rounded(gaps.max) if gaps.count else None,
            stalls=self.stalls,
        )


class TimeBuckets:
    """Records and bytes per time slice, in at most `size` slices (resolution halves as needed)."""

    def __init__(self, size: int = 512, width: float = 0.01) -> None:
        self.size = size
        self.width = width
        self.records = [0] * size
        self.bytes = [0] * size
        self.last = 0.0

    def add(self, t: float, size: int) -> None:
        index = int(t / self.width)
        while index >= self.size:
            self._halve()
            index = int(t / self.width)
        self.records[index] += 1
        self.bytes[index] += size
        if t > self.last:
            self.last = t

    def add_run(self, records: list[Record]) -> None:
        """Add records in arrival order, a bucket's worth at a time."""
        if not records:
            return
        while int(records[-1].t / self.width) >= self.size:
            self._halve()
        start = 0
        while start < len(records):
            index = int(records[start].t / self.width)
            limit = (index + 1) * self.width
            end = _first_at_or_after(records, limit, start)
            self.records[index] += end - start
            self.bytes[index] += sum(map(_size, records[start:end]))
            start = end
        if records[-1].t > self.last:
            self.last = records[-1].t

    def _halve(self) -> None:
        self.records = [a + b for a, b in zip(self.records[::2], self.records[1::2])] + [0] * (self.size // 2)
        self.bytes = [a + b for a, b in zip(self.bytes[::2], self.bytes[1::2])] + [0] * (self.size // 2)
        self.width *= 2

    def rebin(self, seconds: float, columns: int) -> list[int]:
        """Records per column of `seconds` each, from time 0: for a time axis shared with another stream."""
        out = [0] * columns
        for index in range(self.used()):
            n = self.records[index]
            if n:
                out[min(columns - 1, int(index * self.width / seconds))] += n
        return out

    def used(self) -> int:
        """How many slices hold the stream so far."""
        return min(self.size, int(self.last / self.width) + 1)

    def resample(self, columns: int) -> tuple[list[int], list[int], float]:
        """(records, bytes, seconds per column) over the used span, in `columns` columns."""
        used = self.used()
        per = max(1, math.ceil(used / max(1, columns)))
        records = [sum(self.records[i:i + per]) for i in range(0, used, per)]
        sizes = [sum(self.bytes[i:i + per]) for i in range(0, used, per)]
        return records, sizes, per * self.width


_size = attrgetter("size")


def _first_at_or_after(records: list[Record], t: float, start: int) -> int:
    """Index of the first record at or after time t (records are in time order)."""
    low, high = start, len(records)
    while low < high:
        middle = (low + high) // 2
        if records[middle].t < t:
            low = middle + 1
        else:
            high = middle
    return low
