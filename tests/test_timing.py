"""Timing: phases, gap statistics against known pacing, stalls, timeline buckets, compare."""

from __future__ import annotations

import random

import pytest

from explorer.core.record import Record
from explorer.core.timing import GapStats, TimeBuckets, TimingStats
from explorer.demo.catalog import PAIRS, find_pair
from explorer.tui.app import ExplorerApp
from explorer.tui.compare import CompareScreen, StreamPane
from explorer.tui.widgets.chunk_log import ChunkLog
from explorer.tui.widgets.timeline import Timeline

from .helpers import of_kind, run_get
from .test_tui import wait_for


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
    from explorer.cli import main

    assert main(["get", "--demo", path, "--mode", "lines", "--stats", "--stall", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "⏸ the server paused: 1.2" in out and "1 stalls" in out and "phases: DNS" in out and "peak 1 s" in out


def test_gap_percentiles_match_exact_within_histogram_precision() -> None:
    rng = random.Random(5)
    gaps = [rng.lognormvariate(-4, 1.5) for _ in range(20_000)]
    stats = GapStats()
    stats.add_many(gaps)
    ordered = sorted(gaps)
    for p in (50, 90, 99):
        exact = ordered[int(len(ordered) * p / 100) - 1]
        assert stats.percentile(p) == pytest.approx(exact, rel=0.03)
    assert stats.max == max(gaps) and stats.count == len(gaps)


def test_time_buckets_halve_and_keep_totals() -> None:
    buckets = TimeBuckets(size=8, width=0.1)
    for i in range(100):
        buckets.add(i * 0.05, 10)
    assert sum(buckets.records) == 100 and sum(buckets.bytes) == 1000
    assert buckets.width == pytest.approx(0.8) and buckets.used() <= 8
    records, sizes, seconds = buckets.resample(4)
    assert sum(records) == 100 and seconds == pytest.approx(1.6)
    assert sum(buckets.rebin(1.0, 5)) == 100


def test_batch_observation_matches_one_by_one() -> None:
    rng = random.Random(9)
    records, t = [], 0.0
    for i in range(3000):
        gap = rng.choice([0.0, 0.0, 0.002, 0.05, 2.0]) if i else 0.01
        t += gap
        records.append(Record("line", i, t, gap, 20))
    one, batched = TimingStats(), TimingStats()
    for record in records:
        one.observe(Record(record.kind, record.seq, record.t, record.gap, record.size))
    for start in range(0, 3000, 250):
        batched.observe_batch([Record(r.kind, r.seq, r.t, r.gap, r.size) for r in records[start:start + 250]])
    assert one.summary() == batched.summary()
    assert one.timeline.records == batched.timeline.records


async def test_timeline_tab_draws_from_buckets_and_log_marks_stalls(demo_url: str) -> None:
    from explorer.core import StreamRequest

    app = ExplorerApp(StreamRequest(demo_url + "/fault/stall?count=3&interval=0.05&stall=1.1", mode="lines"),
                      start=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.session.stats.state == "done")
        await pilot.pause(0.1)
        log = app.query_one("#log", ChunkLog)
        text = "\n".join(log.render_line(y).text for y in range(log.size.height))
        assert "⏸ +1.1" in text and "phases: DNS" in text
        app.query_one("#tabs").active = "timeline-tab"
        await pilot.pause(0.2)
        timeline = app.query_one(Timeline)
        arrivals = timeline.query_one("#arrivals").data
        busy = [i for i, n in enumerate(arrivals) if n]
        assert sum(arrivals) == 4 and arrivals[busy[-1]] == 1
        assert busy[-1] - busy[-2] > len(arrivals) // 2  # the stall is the long empty stretch
        histogram = str(timeline.query_one("#gap-histogram").render())
        assert "1 stalls" in histogram and "3 gaps" in histogram


async def test_compare_chunked_vs_content_length() -> None:
    pair = find_pair("chunked-vs-length")
    assert pair is not None and {p.name for p in PAIRS} >= {"any-vs-wire", "zlib-vs-gzip", "sse-vs-ws"}
    app = ExplorerApp(compare=pair)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen))
        a, b = app.screen.query(StreamPane)
        await wait_for(pilot, lambda: a.session.stats.records >= 2)
        assert b.session.stats.records == 0  # the held-back side has nothing yet
        await wait_for(pilot, lambda: a.session.stats.state == b.session.stats.state == "done")
        await pilot.pause(0.1)
        assert a.session.stats.records == b.session.stats.records == 6
        assert a.session.stats.bytes == b.session.stats.bytes == a.session.stats.final.get("bytes") == 174
        assert b.session.stats.ttfb > a.session.stats.ttfb + 1.5
        spark_a = a.query_one("Sparkline").data
        spark_b = b.query_one("Sparkline").data
        assert len(spark_a) == len(spark_b) and sum(spark_a) == sum(spark_b) == 6
        assert sum(1 for n in spark_a if n) >= 5 and sum(1 for n in spark_b if n) == 1
        await pilot.press("ctrl+r")  # restarts both sides, not the main stream
        assert app.session.stats.state == "idle" and a.session.stats.state in ("connecting", "streaming")
        assert b.session.stats.records == 0
        await pilot.press("ctrl+k")
        assert a.session.stats.state == b.session.stats.state == "stopped"
        await pilot.press("escape")
        assert not isinstance(app.screen, CompareScreen)
