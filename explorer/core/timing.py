"""Fixed-size timing statistics: gap percentiles, stalls and arrivals over time.

Everything here has bounded memory however long the stream runs: gaps go
into a log-scale histogram (1% wide buckets, each with its count, sum,
smallest and largest gap, so percentiles are within 1% and the maximum is
exact), arrivals into time buckets that halve their resolution when the
stream outgrows them.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left, bisect_right
from itertools import accumulate
from operator import attrgetter
from time import perf_counter

from .record import Flag, GapSummary, Record
from .request import STALL_FACTOR, STALL_SECONDS

_MIN_GAP = 1e-6  # bucket 0 holds every gap up to this (zeros included): percentiles there are within 1 µs
_MAX_GAP = 86_400.0  # the last bucket also holds every gap above its bound: percentiles there are within its spread
_GROWTH = 1.01  # each bucket's upper bound over its lower bound: the relative precision of a percentile
_BUCKETS = int(math.log(_MAX_GAP / _MIN_GAP) / math.log(_GROWTH)) + 2
_LAST = _BUCKETS - 1

# Bucket 0 holds gaps up to _MIN_GAP; bucket i holds (_BOUNDS[i-1], _BOUNDS[i]]; _BOUNDS[-1] > _MAX_GAP.
_BOUNDS = [_MIN_GAP * _GROWTH ** i for i in range(_BUCKETS)]


class GapStats:
    """Count, percentiles, min and max of the gaps between data records, in fixed-size log buckets.

    Each bucket keeps its count, the sum of its gaps and its smallest and
    largest gap. A percentile is the mean of the bucket that holds the
    nearest-rank gap, clamped to that bucket's smallest and largest gap (or
    one of those when the rank is the bucket's first or last): the true
    value lies in the same range, so the error is less than the bucket's
    width, under 1% of the value (under 1 µs for gaps up to 1 µs). A bucket
    that holds one distinct value (a single gap, equal gaps, a sparse tail)
    gives it exactly.

    One thread adds (`add_many`, `add_zeros`); others may read at any time
    (`percentile`, `histogram` write nothing). The adder writes a bucket's
    smallest, largest and sum before its count, and the counts before the
    total, so a reader never meets a counted bucket without its range.
    """

    def __init__(self) -> None:
        self._counts = [0] * _BUCKETS
        self._sums = [0.0] * _BUCKETS
        self._lows = [math.inf] * _BUCKETS
        self._highs = [-math.inf] * _BUCKETS
        self.count = 0
        self.min = 0.0  # 0.0 until the first gap, as max
        self.max = 0.0

    def add_many(self, gaps: list[float]) -> None:
        """Add gaps in bulk: sorted once, then each bucket's run found with a bisection (C speed)."""
        if not gaps:
            return
        ordered = sorted(gaps)
        counts, sums, lows, highs = self._counts, self._sums, self._lows, self._highs
        n, i = len(ordered), 0
        if not self.count or ordered[0] < self.min:
            self.min = ordered[0]
        if ordered[-1] > self.max:
            self.max = ordered[-1]
        while i < n:
            low = ordered[i]
            index = bisect_left(_BOUNDS, low)
            if index >= _LAST:
                index, j = _LAST, n
            else:
                j = bisect_right(ordered, _BOUNDS[index], i)
            high = ordered[j - 1]
            if low < lows[index]:
                lows[index] = low
            if high > highs[index]:
                highs[index] = high
            sums[index] += sum(ordered[i:j])
            counts[index] += j - i
            i = j
        self.count += n

    def add_zeros(self, n: int) -> None:
        """Add `n` gaps of exactly 0 (the records after the first of one read)."""
        if n <= 0:
            return
        if self._lows[0] > 0.0:
            self._lows[0] = 0.0
        if self._highs[0] < 0.0:
            self._highs[0] = 0.0
        if not self.count or self.min > 0.0:
            self.min = 0.0
        self._counts[0] += n
        self.count += n

    def __getstate__(self) -> tuple[int, float, float, list[tuple[int, int, float, float, float]]]:
        """The buckets in use only (a few hundred of the thousands), for the copy sent with each batch."""
        counts, sums, lows, highs = self._counts, self._sums, self._lows, self._highs
        used = [(i, counts[i], sums[i], lows[i], highs[i]) for i, n in enumerate(counts) if n]
        return self.count, self.min, self.max, used

    def __setstate__(self, state: tuple[int, float, float, list[tuple[int, int, float, float, float]]]) -> None:
        self.__init__()  # type: ignore[misc]
        self.count, self.min, self.max, used = state
        for i, count, total, low, high in used:
            self._counts[i], self._sums[i], self._lows[i], self._highs[i] = count, total, low, high

    def percentile(self, p: float) -> float | None:
        """The p-th percentile (0-100) by nearest rank, within 1% (1 µs up to 1 µs); None without gaps."""
        count = self.count  # read before the counts: they hold at least this many gaps
        if not count:
            return None
        rank = max(1, math.ceil(count * p / 100))
        cumulative = list(accumulate(self._counts))
        index = bisect_left(cumulative, rank)
        if index >= _BUCKETS:
            return self.max  # not reached: the counts hold at least `count` gaps
        low, high = self._lows[index], self._highs[index]
        before = cumulative[index - 1] if index else 0
        if rank == before + 1:
            return low  # the bucket's first gap
        if rank == cumulative[index]:
            return high  # its last
        mean = self._sums[index] / (self._counts[index] or 1)
        return min(max(mean, low), high)

    def histogram(self, bins: int) -> list[tuple[float, float, int]]:
        """(smallest gap, largest gap, count) of at most `bins` log-spaced bins between the smallest and largest gap.

        The bounds are those of the gaps counted (the last bin's largest is
        the maximum); bins that hold no gap are left out.
        """
        counts = self._counts[:]
        used = [i for i, n in enumerate(counts) if n]
        if not used:
            return []
        first, end = used[0], used[-1] + 1
        step = max(1, math.ceil((end - first) / max(1, bins)))
        out = []
        for start in range(first, end, step):
            inside = [i for i in range(start, min(start + step, end)) if counts[i]]
            if inside:
                out.append((self._lows[inside[0]], self._highs[inside[-1]], sum(counts[i] for i in inside)))
        return out


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

    Live figures (`summary`, `silence`) may be read on another thread while
    the stream runs (the app gets a pickled copy from its engine process,
    tests a shared one): `catch_up` takes a lock, and takes only the pending
    gaps it saw, since the modes append without one.
    """

    PENDING = 4096

    def __init__(self, stall_seconds: float = STALL_SECONDS) -> None:
        self.stall_seconds = stall_seconds
        self.gaps = GapStats()
        self.pending: list[float] = []
        self.stalls = 0
        self.origin: float | None = None  # perf_counter() at t = 0, set when the request is sent
        self._lock = threading.RLock()

    def note(self, gap: float, seq: int) -> int:
        """Account for the gap before data record `seq`; `Flag.STALL` when it is a stall, else 0."""
        if seq == 0:
            return 0  # the first record's gap is time to first byte, not a pause
        self.catch_up(seq)
        stall = self.would_stall(gap)
        self.pending.append(gap)
        if stall:
            self.stalls += 1
            return Flag.STALL
        return 0

    def judged(self, gap: float, seq: int, stall: bool) -> None:
        """Account for the gap before data record `seq` as judged already (a record's own stall mark): for a
        consumer of records made elsewhere, or a replay of them."""
        if seq:
            if len(self.pending) >= self.PENDING:
                self.catch_up(seq)
            self.pending.append(gap)
        if stall:
            self.stalls += 1

    def catch_up(self, seq: int) -> None:
        """Bring the histogram up to date with every gap before data record `seq`."""
        with self._lock:
            pending = self.pending
            count = len(pending)
            self.gaps.add_many(pending[:count])
            del pending[:count]
            zeros = seq - 1 - self.gaps.count
            if zeros > 0:
                self.gaps.add_zeros(zeros)

    def would_stall(self, gap: float) -> bool:
        """Whether a gap this long is a stall: past the threshold and five times the median so far."""
        return gap >= self.stall_seconds and self.is_stall(gap)

    def is_stall(self, gap: float) -> bool:
        """A long gap is a stall only against a median of at least two earlier gaps."""
        if self.gaps.count < 2:
            return False
        median = self.gaps.percentile(50) or 0.0
        return gap >= STALL_FACTOR * median

    def summary(self, records: int) -> GapSummary:
        """Gap figures over a stream of `records` data records (also mid-stream, for live figures)."""
        with self._lock:
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

    def __getstate__(self) -> dict[str, object]:
        """Everything but the lock: the engine process sends the UI a copy with every batch."""
        with self._lock:
            return {name: value for name, value in self.__dict__.items() if name != "_lock"}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def silence(self, last: float) -> float | None:
        """Seconds from `last` (a stamp, seconds since t = 0) to now; None before t = 0."""
        if self.origin is None:
            return None
        return perf_counter() - self.origin - last


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

    def copy(self) -> TimeBuckets:
        other = TimeBuckets(self.size, self.width)
        other.records, other.bytes, other.last = self.records[:], self.bytes[:], self.last
        return other

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
