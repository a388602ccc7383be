"""Timing: phases, gap statistics against known pacing, stalls, timeline buckets, compare."""

from __future__ import annotations

import asyncio
import json
import math
import random
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.cli import main
from explorer.core import Kind, Record, StreamRequest
from explorer.core.format import fmt_ms_down, fmt_ms_up, gaps_line
from explorer.core.record import Phases, Summary
from explorer.core.timing import GapStats, TimeBuckets, TimingStage
from explorer.demo.catalog import PAIRS, find_pair
from explorer.text_output import TextPrinter
from explorer.tui.app import ExplorerApp
from explorer.tui.compare import CompareScreen, StreamPane
from explorer.tui.widgets.chunk_log import ChunkLog
from explorer.tui.widgets.timeline import Timeline

from .apps import app_for, records, until, until_ended
from .helpers import of_kind, run_get

# Fields whose values are times (they differ between two runs; their presence and type must not).
TIMES = {"t", "gap", "duration", "ttfb", "phases", "started_at", "gap_p50", "gap_p90", "gap_p99", "gap_max", "headers"}


def test_paced_stream_reports_its_gap_and_no_stall(capsys: pytest.CaptureFixture[str]) -> None:
    status, records, _ = run_get(capsys, "--demo", "/async-chunks?count=10&interval=0.1", "--mode", "chunked")
    end = records[-1]
    assert status == 0 and end["gap_count"] == 9
    assert end["gap_p50"] == pytest.approx(0.1, abs=0.02) and end["gap_max"] < 0.2
    assert end["stalls"] == 0 and not any(r.get("stall") for r in records)
    phases = end["phases"]
    assert phases["dns"] is None  # an IP literal needs no lookup
    assert 0 < phases["connect"] <= phases["sent"] <= phases["headers"] <= phases["first_byte"] <= phases["last_byte"]
    assert phases["last_byte"] == pytest.approx(0.9, abs=0.1) and phases["total"] >= phases["last_byte"]


def test_held_back_body_has_late_first_byte(capsys: pytest.CaptureFixture[str]) -> None:
    status, records, _ = run_get(capsys, "--demo", "/compare/buffered?count=5&interval=0.25", "--mode", "lines")
    assert status == 0 and records[-1]["ttfb"] >= 0.9 and records[-1]["phases"]["headers"] >= 0.9


def test_stall_marked_in_jsonl_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    path = "/fault/stall?count=4&interval=0.05&stall=1.2"
    status, records, _ = run_get(capsys, "--demo", path, "--mode", "lines")
    stalled = [r for r in of_kind(records, "line") if r.get("stall")]
    assert status == 0 and [r["data"] for r in stalled] == ["Line after the stall"] and records[-1]["stalls"] == 1
    assert main(["get", "--demo", path, "--mode", "lines", "--stats", "--stall", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "⏸ the server paused: 1." in out and "· 1 stall\n" in out and "phases: DNS" in out and "peak 1 s" in out


def test_gap_percentiles_match_exact_within_histogram_precision() -> None:
    rng = random.Random(5)
    gaps = [rng.lognormvariate(-4, 1.5) for _ in range(20_000)]
    stats = GapStats()
    stats.add_many(gaps)
    ordered = sorted(gaps)
    for p in (50, 90, 99):
        exact = ordered[int(len(ordered) * p / 100) - 1]
        assert stats.percentile(p) == pytest.approx(exact, rel=0.01)
    assert stats.max == max(gaps) and stats.count == len(gaps)


def nearest_rank(ordered: list[float], p: float) -> float:
    return ordered[max(1, math.ceil(len(ordered) * p / 100)) - 1]


def within_bound(estimate: float, exact: float) -> bool:
    """The bound GapStats proves: under 1% of the value above 1 µs (its log buckets are 1% wide and the
    estimate stays between the smallest and largest gap of the bucket holding the true value), at most
    1 µs up to 1 µs (bucket 0, which holds 0 to 1 µs). The 1e-9 only absorbs float rounding of the bounds."""
    if exact <= 1e-6:
        return abs(estimate - exact) <= 1e-6
    return abs(estimate - exact) <= 0.01 * exact * (1 + 1e-9)


def printed_seconds(text: str) -> float:
    """`501.7 ms` or `2.004 s` read back as the float nearest the printed decimal number of seconds."""
    number, unit = text.split()
    return float(Decimal(number) / 1000) if unit == "ms" else float(Decimal(number))


def snapshot(stats: GapStats) -> tuple[object, ...]:
    return (stats.count, stats.min, stats.max, *(list(v) for v in vars(stats).values() if isinstance(v, list)))


gap_values = st.one_of(st.just(0.0), st.floats(0, 86_400), st.floats(0, 1e-3), st.floats(0.01, 10))
gap_lists = st.one_of(
    st.lists(gap_values, min_size=1, max_size=2000),
    # few distinct values, many repeats (paced streams, lines split from one read)
    st.lists(gap_values, min_size=1, max_size=5).flatmap(
        lambda pool: st.lists(st.sampled_from(pool), min_size=1, max_size=2000)),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(gap_lists, st.lists(st.integers(0, 2000), max_size=6), st.integers(1, 12))
def test_gap_stats_are_within_their_stated_bounds(gaps: list[float], cuts: list[int], bins: int) -> None:
    """Any gaps, added in any batches (zeros through `add_zeros`, as the timing stage does): percentiles
    within the proven bound of the exact nearest rank, min and max exact, and every histogram bin's printed
    range holding each gap it counts; asking changes nothing."""
    stats, last = GapStats(), 0
    for cut in sorted(cuts) + [len(gaps)]:
        batch = gaps[last:cut]
        stats.add_many([g for g in batch if g])
        stats.add_zeros(batch.count(0.0))
        last = max(last, cut)
    ordered = sorted(gaps)
    before = snapshot(stats)
    assert stats.count == len(gaps) and stats.min == ordered[0] and stats.max == ordered[-1]
    for p in (0, 50, 90, 99, 100):
        estimate = stats.percentile(p)
        assert estimate is not None and within_bound(estimate, nearest_rank(ordered, p)), (p, estimate)
    assert stats.percentile(100) == ordered[-1] and stats.percentile(0) == ordered[0]
    histogram = stats.histogram(bins)
    assert 1 <= len(histogram) <= bins and sum(count for _, _, count in histogram) == len(gaps)
    assert histogram[-1][1] == ordered[-1] and histogram[0][0] == ordered[0]
    start = 0
    for low, high, count in histogram:  # bins are in order: bin k counts the next `count` gaps
        counted = ordered[start:start + count]
        start += count
        assert count > 0 and (low, high) == (counted[0], counted[-1])
        shown_low, shown_high = printed_seconds(fmt_ms_down(low)), printed_seconds(fmt_ms_up(high))
        assert all(shown_low <= gap <= shown_high for gap in counted), (fmt_ms_down(low), fmt_ms_up(high))
    assert snapshot(stats) == before


def test_a_single_gap_and_equal_gaps_come_out_exact() -> None:
    """Measured: one 501.7 ms gap showed as `p50 498.4 ms` (a bucket's middle)."""
    stage = TimingStage()
    assert stage.note(0.0, 0) == 0 and stage.note(0.5017, 1) == 0
    summary = stage.summary(2)
    assert (summary.gap_p50, summary.gap_p90, summary.gap_p99, summary.gap_max) == (0.5017,) * 4
    assert "p50 501.7 ms" in gaps_line(summary)
    stats = GapStats()
    stats.add_many([0.1] * 1000)
    stats.add_many([0.1] * 24)
    assert [stats.percentile(p) for p in (0, 50, 90, 99, 100)] == [0.1] * 5 and stats.min == stats.max == 0.1
    assert stats.histogram(8) == [(0.1, 0.1, 1024)]
    stats.add_zeros(1024)
    assert stats.percentile(50) == 0.0 and stats.percentile(51) == 0.1 and stats.min == 0.0


def test_stats_histogram_bound_covers_the_longest_gap() -> None:
    """Measured: `get --stats` printed "gaps up to 1.994 s: 1" for a 2.004 s gap."""
    stage = TimingStage()
    printer, text = TextPrinter(stage), ""
    stream = [(0.01, 0.0), (0.02, 0.01), (2.024, 2.004)]  # (t, gap): the last gap is the 2.004 s one
    for seq, (t, gap) in enumerate(stream):
        text += printer.render(Record(Kind.LINE, seq, t, gap, 2, b"x\n", None, stage.note(gap, seq)))
    summary = Summary(records=3, bytes=6, duration=2.03, ttfb=0.01, phases=Phases(), gaps=stage.summary(3))
    text += printer.render(Record(Kind.END, 0, 2.03, 0.0, 0, None, summary))
    bins = re.findall(r"^  gaps +(\S+ m?s) to +(\S+ m?s): +(\d+)", text, re.M)
    assert [count for _, _, count in bins] == ["1", "1"], text
    low, high, _ = bins[-1]
    assert printed_seconds(low) <= 2.004 <= printed_seconds(high) and high == "2.004 s", text
    assert "max 2.004 s" in text


def test_time_buckets_halve_and_keep_totals() -> None:
    buckets = TimeBuckets(size=8, width=0.1)
    for i in range(100):
        buckets.add(i * 0.05, 10)
    assert sum(buckets.records) == 100 and sum(buckets.bytes) == 1000
    assert buckets.width == pytest.approx(0.8) and buckets.used() <= 8
    records, sizes, seconds = buckets.resample(4)
    assert sum(records) == 100 and seconds == pytest.approx(1.6)
    assert sum(buckets.rebin(1.0, 5)) == 100


def test_timing_stage_fast_path_matches_noting_every_gap() -> None:
    """Modes append short gaps to `pending` and never pass the zero gaps of lines split from one read:
    the stall marks and figures must be those of judging every gap one by one."""
    rng = random.Random(9)
    gaps = [rng.choice([0.0, 0.0, 0.002, 0.05, 2.0]) for _ in range(3000)]
    each = TimingStage(1.0)
    marks_each = [each.note(gap, seq) for seq, gap in enumerate(gaps)]
    fast, marks_fast = TimingStage(1.0), []
    for seq, gap in enumerate(gaps):
        if gap == 0.0 and seq:
            marks_fast.append(0)  # a line after the first of its read: never passed in
        elif gap < fast.stall_seconds and len(fast.pending) < fast.PENDING and seq:
            fast.pending.append(gap)
            marks_fast.append(0)
        else:
            marks_fast.append(fast.note(gap, seq))
    assert marks_each == marks_fast and any(marks_each)
    assert each.summary(len(gaps)) == fast.summary(len(gaps))
    assert each.summary(len(gaps)).gap_count == len(gaps) - 1


async def test_timeline_tab_draws_from_buckets_and_log_marks_stalls(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/fault/stall?count=3&interval=0.05&stall=1.1", mode="lines"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ended(pilot)
        assert app.main.session.state == "done"
        log = app.query_one("#log", ChunkLog)
        text = "\n".join(log.render_line(y).text for y in range(log.size.height))
        stalled = [r.data for r in records(log) if r.stall]
        assert stalled == [b"Line after the stall"] and "⏸ +1." in text and "phases: DNS" in text, text
        app.query_one("#tabs").active = "timeline-tab"
        await pilot.pause()
        await pilot.pause()
        timeline = app.query_one(Timeline)
        arrivals = timeline.query_one("#arrivals").data
        busy = [i for i, n in enumerate(arrivals) if n]
        assert sum(arrivals) == 4 and arrivals[busy[-1]] == 1
        assert busy[-1] - busy[-2] > len(arrivals) // 2  # the stall is the long empty stretch
        histogram = str(timeline.query_one("#gap-histogram").render())
        assert "· 1 stall" in histogram and "1 stalls" not in histogram and "3 gaps" in histogram


async def test_compare_chunked_vs_content_length() -> None:
    pair = find_pair("chunked-vs-length")
    assert pair is not None and {p.name for p in PAIRS} >= {"any-vs-wire", "zlib-vs-gzip", "sse-vs-ws"}
    app = ExplorerApp(compare=pair)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        a, b = app.screen.query(StreamPane)
        await until(pilot, lambda: a.session.stats.records >= 2)
        assert b.session.stats.records == 0  # the held-back side has nothing yet
        await asyncio.wait_for(app.workers.wait_for_complete(), 60)
        await pilot.pause()
        assert a.session.state == b.session.state == "done"
        assert a.session.stats.records == b.session.stats.records == 6
        assert a.session.stats.bytes == b.session.stats.bytes == a.session.final.summary.bytes == 174
        assert b.session.stats.ttfb > a.session.stats.ttfb  # the buffered side waits for the whole body
        # a flush draws the sparklines (on a busy machine it may take a while to come)
        def drawn(pane: StreamPane) -> float:
            return sum(pane.query_one("Sparkline").data or [])

        await until(pilot, lambda: drawn(a) == drawn(b) == 6)
        spark_a = a.query_one("Sparkline").data
        spark_b = b.query_one("Sparkline").data
        assert len(spark_a) == len(spark_b) and sum(spark_a) == sum(spark_b) == 6
        assert sum(1 for n in spark_a if n) >= 2 and sum(1 for n in spark_b if n) == 1
        await pilot.press("ctrl+r")  # restarts both sides, not the main stream
        assert app.main.session.state == "idle" and a.session.state in ("connecting", "streaming")
        assert b.session.stats.records == 0
        await pilot.press("ctrl+n")  # the demo server is not stopped under a comparison reading from it
        assert app.server.running
        await pilot.press("ctrl+g")
        assert a.session.state == b.session.state == "stopped"
        await pilot.press("escape")
        assert not isinstance(app.screen, CompareScreen)


async def test_get_and_app_captures_agree_on_a_stall_stream(demo_url: str, tmp_path: Path) -> None:
    """One timing stage in core: `get -o` and the app's `-o` carry the same kinds, flags and end fields."""
    url = demo_url + "/fault/stall?count=3&interval=0.05&stall=1.1"
    from_get, from_app = tmp_path / "get.jsonl", tmp_path / "app.jsonl"
    status = await asyncio.to_thread(main, ["get", url, "--mode", "lines", "--format", "jsonl", "-o", str(from_get)])
    app = app_for(StreamRequest(url, mode="lines"), output=str(from_app))
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ended(pilot)
    captures = [[json.loads(line) for line in path.read_text().splitlines()] for path in (from_get, from_app)]
    assert status == 0
    for capture in captures:
        assert [r["kind"] for r in capture] == ["response", "line", "line", "line", "line", "end"]
        assert [r.get("stall", False) for r in capture] == [False, False, False, False, True, False]
        assert capture[-1]["stalls"] == 1 and capture[-1]["gap_count"] == 3
    shape = [[(key, type(value)) for key, value in r.items() if key not in TIMES] for r in captures[0]]
    assert shape == [[(key, type(value)) for key, value in r.items() if key not in TIMES] for r in captures[1]]
    assert [r.get("data") for r in captures[0]] == [r.get("data") for r in captures[1]]
