"""The app's engine process: every record counted however few are sent, its loss a sentence, its end with the app."""

from __future__ import annotations

import json
import os
import pickle
import signal
from pathlib import Path

from explorer.core import Kind, Record, Response, StreamRequest
from explorer.core.record import Token
from explorer.core.request import DEFAULT_CHUNK_SIZE
from explorer.core.timing import TimingStage
from explorer.demo import BackgroundDemoServer
from explorer.engine import Batch, StreamStats
from explorer.engine.outbox import SHIP_TAIL, Outbox
from explorer.engine.process import EngineProcess

from .apps import app_for, records, until, until_ended

LINES, LINE = 20_000, 64


async def test_a_firehose_is_counted_whole_while_only_the_newest_records_are_sent(tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl"
    async with BackgroundDemoServer() as server:
        request = StreamRequest(f"{server.url}/firehose?size=65536&line={LINE}&total={LINES * LINE}", mode="lines")
        app = app_for(request, output=str(capture))
        async with app.run_test() as pilot:
            await until_ended(pilot)
            session = app.main.session
            assert session.state == "done"
            assert session.response is not None and session.response.response.status == 200
            assert session.stats.records == session.final.summary.records == LINES
            assert session.stats.bytes == LINES * LINE
            shown = [r for r in records(app.main.log_widget) if r.kind is Kind.LINE]
            assert 0 < len(shown) < LINES  # a screen's worth, not all twenty thousand
            assert [r.seq for r in shown] == sorted(r.seq for r in shown)
            assert shown[-1].seq == LINES - 1
    # the capture holds every record, written in the engine process
    kinds = [json.loads(line)["kind"] for line in capture.read_text().splitlines()]
    assert kinds.count("line") == LINES and kinds[0] == "response" and kinds[-1] == "end"


async def test_a_lost_engine_ends_the_stream_with_a_sentence_and_keeps_what_came(tmp_path: Path) -> None:
    async with BackgroundDemoServer() as server:
        request = StreamRequest(server.url + "/tick?count=500&interval=0.02", mode="lines")
        app = app_for(request)
        async with app.run_test() as pilot:
            session = app.main.session
            await until(pilot, lambda: session.stats.records >= 3)
            engine = session.engine
            assert isinstance(engine, EngineProcess) and engine.pid is not None
            os.kill(engine.pid, signal.SIGKILL)
            await until_ended(pilot)
            assert session.state == "error"
            assert session.final is not None and "engine process ended unexpectedly" in session.final.summary.error
            assert session.stats.records >= 3
            assert any(r.kind is Kind.LINE for r in records(app.main.log_widget))
            app.main.action_start()  # a new run starts a new engine
            await until(pilot, lambda: session.state == "streaming" and session.stats.records >= 2)
            assert app.is_running


async def test_the_engine_process_ends_with_the_app() -> None:
    async with BackgroundDemoServer() as server:
        app = app_for(StreamRequest(server.url + "/tick?count=500&interval=0.02", mode="lines"))
        async with app.run_test() as pilot:
            session = app.main.session
            await until(pilot, lambda: session.stats.records >= 2)
            pid = session.engine.pid  # type: ignore[union-attr]
            assert pid is not None
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_a_batch_keeps_the_response_and_the_newest_records_and_counts_them_all() -> None:
    sent: list[object] = []
    request = StreamRequest("http://example.invalid/", mode="lines")
    outbox = Outbox(1, request, TimingStage(), sent.append, lambda: True, copy_figures=True)
    response = Response(200, "OK", "1.1", {}, request.url, "lines", 0.0)
    outbox.pending.append(Record(Kind.RESPONSE, 0, 0.001, 0.001, 0, None, response))
    count = 3 * SHIP_TAIL
    outbox.pending.extend(Record(Kind.LINE, i, 0.01 + i * 1e-6, 1e-6, 64, b"x" * 64) for i in range(count))
    outbox.flush()
    (batch,) = sent
    assert isinstance(batch, Batch) and isinstance(batch.stats, StreamStats)
    assert batch.records[0].kind is Kind.RESPONSE
    assert [r.seq for r in batch.records[1:]] == list(range(count - SHIP_TAIL, count))
    assert batch.skipped == count - SHIP_TAIL
    assert (batch.stats.records, batch.stats.bytes) == (count, count * 64)


def test_a_batch_survives_the_trip_between_processes() -> None:
    """What the reader thread unpickles is what the engine sent: records, payload caps and figures."""
    timing = TimingStage()
    timing.note(0.02, 1)
    timing.note(0.5, 2)
    stats = StreamStats()
    whole = Record(Kind.CHUNK, 1, 0.52, 0.5, DEFAULT_CHUNK_SIZE, b"y" * 5000)
    record = whole.capped(4096)
    assert whole.data == b"y" * 5000 and not whole.cut  # a capture may still be writing it
    stats.take([record], only_data_inside=True)
    copy = pickle.loads(pickle.dumps(Batch(7, [record], stats, timing, 3, True)))
    assert copy.run == 7 and copy.skipped == 3 and copy.done
    (back,) = copy.records
    assert (back.kind, back.seq, back.t, back.gap, back.size, back.data, back.flags, back.full_size) == \
        (record.kind, record.seq, record.t, record.gap, record.size, record.data, record.flags, 5000)
    assert copy.stats.records == 2 and copy.stats.arrivals.last == 0.52
    assert copy.timing.summary(3) == timing.summary(3)


async def test_a_capture_ends_with_an_end_record_when_the_stream_is_stopped_or_the_app_quits(tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl"
    async with BackgroundDemoServer() as server:
        app = app_for(StreamRequest(server.url + "/tick?count=500&interval=0.02", mode="lines"), output=str(capture))
        async with app.run_test() as pilot:
            session = app.main.session
            await until(pilot, lambda: session.stats.records >= 3)
            await pilot.press("ctrl+g")
            await until(pilot, lambda: capture.read_text().rstrip().endswith("}") and
                        json.loads(capture.read_text().splitlines()[-1])["kind"] == "end")
            app.main.action_start()
            await until(pilot, lambda: session.state == "streaming" and session.stats.records >= 2)
        # the app quit mid-stream: its engine ended the second run in the capture before exiting
    ends = [r for r in map(json.loads, capture.read_text().splitlines()) if r["kind"] in ("end", "error")]
    assert [(r["kind"], r["stopped"]) for r in ends] == [("end", "interrupted"), ("end", "interrupted")]
    assert all(r["records"] >= 2 for r in ends)


def test_a_burst_of_tokens_reaches_the_ui_whole_and_lines_with_tokens_count_only_lines() -> None:
    """The transcript needs every token: token records older than the newest batch are shipped anyway. In
    lines mode the token records among the lines are not counted as arrivals."""
    sent: list[object] = []
    request = StreamRequest("http://example.invalid/", mode="lines")
    outbox = Outbox(1, request, TimingStage(), sent.append, lambda: True, copy_figures=True)
    outbox.pending.append(Record(Kind.RESPONSE, 0, 0.001, 0.001, 0, None,
                                 Response(200, "OK", "1.1", {}, request.url, "lines", 0.0)))
    count = 3 * SHIP_TAIL
    for i in range(count):
        outbox.pending.append(Record(Kind.LINE, i, 0.01 + i * 1e-6, 1e-6, 64, b"{}"))
        outbox.pending.append(Record(Kind.TOKEN, i, 0.01 + i * 1e-6, 1e-6, 0, None, Token(f"w{i}")))
    outbox.flush()
    (batch,) = sent
    assert isinstance(batch, Batch)
    tokens = [r.token.text for r in batch.records if r.kind is Kind.TOKEN]
    assert tokens == [f"w{i}" for i in range(count)]
    lines = [r for r in batch.records if r.kind is Kind.LINE]
    assert batch.skipped == count - len(lines) and len(lines) == SHIP_TAIL // 2
    assert (batch.stats.records, batch.stats.bytes) == (count, count * 64)
