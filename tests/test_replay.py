"""`explorer replay`: a capture played again in the real app, with no engine and no network.

Captures come from `explorer get --demo ... -o FILE`, run in-process; what
the app shows is compared with the capture's records as read back (which
tests/test_capture.py holds equal, byte for byte, to what the engine made).
Tests move the replay by its keys and by clicks, and wait on the player's
position and the rows, never on the clock.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from explorer.cli import main
from explorer.core import Kind, Record
from explorer.core.capture import read_capture
from explorer.core.modes import REGISTRY
from explorer.core.rows import event_rows
from explorer.tui.replay import ReplayPlayer, load_replay, next_speed
from explorer.tui.replay_screen import ReplayApp, ReplayScreen
from explorer.tui.widgets.chunk_log import LOG_KINDS
from explorer.tui.widgets.message_bar import MessageBar
from explorer.tui.widgets.replay_bar import ReplayBar

from .apps import records, until

SIZE = (100, 30)
EVENT_KINDS = (Kind.EVENT, Kind.SSE, Kind.TOKEN, Kind.MESSAGE)
GAPS = "/ndjson?count=8&interval=0.3"  # eight lines 300 ms apart: a replay at 1x takes 2.1 s


def capture(tmp_path: Path, path: str, mode: str, name: str = "run.jsonl") -> Path:
    """`explorer get --demo PATH -m MODE -o FILE`, in this process (called on a thread: it runs its own loop)."""
    file = tmp_path / name
    assert main(["get", "--demo", path, "-m", mode, "--format", "jsonl", "-o", str(file)]) == 0
    return file


async def captured(tmp_path: Path, path: str, mode: str) -> tuple[Path, list[Record]]:
    file = await asyncio.to_thread(capture, tmp_path, path, mode)
    return file, read_capture(file).runs[-1].records


def fields(rows: list[Record]) -> list[tuple[Any, ...]]:
    """What a row shows of a record (times to the microsecond, as captures keep them)."""
    return [(r.kind, r.seq, round(r.t, 6), round(r.gap, 6), r.size, r.data, r.flags) for r in rows]


def log_records(run: list[Record]) -> list[Record]:
    """The rows a live run's log holds: every record, or in a mode that derives records (events, tokens)
    only those of the stream itself."""
    response = next(r for r in run if r.kind is Kind.RESPONSE)
    derives = REGISTRY[response.response.mode].derives or any(r.kind is Kind.TOKEN for r in run)
    return [r for r in run if r.kind in LOG_KINDS] if derives else run


def event_fields(run: list[Record]) -> list[tuple[Any, ...]]:
    """The event view's rows of `run`'s records, without the record each points to."""
    return [(*row[:1], round(row.t, 6), round(row.gap, 6), *row[3:6])
            for r in run if r.kind in EVENT_KINDS for row in event_rows(r)]


def shown_events(screen: ReplayScreen) -> list[tuple[Any, ...]]:
    return [(*row[:1], round(row.t, 6), round(row.gap, 6), *row[3:6]) for row in screen.events_widget.rows]


def bar_text(app: ReplayApp) -> str:
    return str(app.query_one(ReplayBar).render())


async def until_replayed(pilot: Pilot[Any]) -> ReplayScreen:
    screen = pilot.app.main  # type: ignore[attr-defined]
    await until(pilot, lambda: screen.player.ended and screen.session.final is not None)
    await pilot.pause()
    return screen  # type: ignore[no-any-return]


@pytest.mark.parametrize("path, mode", [
    ("/ndjson?count=4&interval=0.01", "json"),
    ("/sse?count=4&interval=0.01", "sse"),
    ("/chunks?count=4", "wire"),
    ("/ws/ticker?count=3&interval=0.01", "ws"),
])
async def test_an_instant_replay_shows_the_records_of_the_live_run(path: str, mode: str, tmp_path: Path) -> None:
    file, run = await captured(tmp_path, path, mode)
    app = ReplayApp(load_replay(file, speed=0))
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_replayed(pilot)
        assert fields(records(screen.log_widget)) == fields(log_records(run))
        assert shown_events(screen) == event_fields(run)
        assert screen.session.final is not None and screen.session.final.summary == run[-1].summary
        assert screen.session.stats.records == run[-1].summary.records
        assert screen.session.elapsed == run[-1].summary.duration
        assert screen.session.engine.pid is None  # type: ignore[union-attr]  # no engine: nothing read the network
        assert "REPLAY" in bar_text(app) and "run.jsonl" in bar_text(app) and "instant" in bar_text(app)
        assert not screen.query_one(MessageBar).display  # a recorded WebSocket has nobody to talk to

        await pilot.press("ctrl+n", "ctrl+o", "f3")  # the demo server, comparisons, the request: off in a replay
        assert not app.server.running and app.screen is screen
        played = screen.session.run_number
        await pilot.press("ctrl+r")  # played again from the start: the same rows, once
        assert screen.session.run_number == played + 1
        await until_replayed(pilot)
        assert fields(records(screen.log_widget)) == fields(log_records(run))
        assert shown_events(screen) == event_fields(run)


async def test_the_replay_equals_what_the_app_showed_live(tmp_path: Path) -> None:
    """The app's own `-o` capture, played again: the same log and event rows as the live run had."""
    from explorer.core import StreamRequest
    from explorer.demo import DemoServer

    from .apps import app_for, until_ended

    server = DemoServer()
    await server.start()
    try:
        file = tmp_path / "live.jsonl"
        live = app_for(StreamRequest(server.url + "/ndjson?count=4&interval=0.01", mode="json"), output=str(file))
        async with live.run_test(size=SIZE) as pilot:
            await until_ended(pilot)
            live_log = fields(records(live.main.log_widget))
            live_events = [(*row[:1], round(row.t, 6), round(row.gap, 6), *row[3:6])
                           for row in live.main.events_widget.rows]
    finally:
        await server.stop()
    app = ReplayApp(load_replay(file, speed=0))
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_replayed(pilot)
        assert fields(records(screen.log_widget)) == live_log and len(live_log) >= 6
        assert shown_events(screen) == live_events and live_events


async def test_pause_holds_the_position_and_step_adds_one_record_at_a_time(tmp_path: Path) -> None:
    file, run = await captured(tmp_path, GAPS, "json")
    app = ReplayApp(load_replay(file, speed=1))
    async with app.run_test(size=SIZE) as pilot:
        screen: ReplayScreen = app.main  # type: ignore[assignment]
        player = screen.player
        await until(pilot, lambda: screen.session.state != "idle")
        await pilot.press("space")
        assert player.paused and "paused" in bar_text(app)
        index, position = player.index, player.position
        assert index + 2 < len(run)  # paused before its end (2.1 s at 1x)
        frames = screen._frames
        await until(pilot, lambda: screen._frames >= frames + 5)  # five flushes while paused
        assert (player.index, player.position) == (index, position)
        assert fields(records(screen.log_widget)) == fields(log_records(run[:index]))

        for _ in range(2):
            await pilot.press("full_stop")
        await pilot.pause()
        assert player.index == index + 2 and player.paused
        assert player.position == max(position, player.due[index + 1])
        assert fields(records(screen.log_widget)) == fields(log_records(run[:index + 2]))
        assert shown_events(screen) == event_fields(run[:index + 2])

        await pilot.press("comma")  # one back
        await pilot.pause()
        assert player.index == index + 1
        assert fields(records(screen.log_widget)) == fields(log_records(run[:index + 1]))

        await pilot.press("greater_than_sign")  # 2x, then 10x: the rest plays fast
        await pilot.press("greater_than_sign")
        assert player.speed == 10 and "10x" in bar_text(app)
        await pilot.press("space")
        assert not player.paused
        await until_replayed(pilot)
        assert fields(records(screen.log_widget)) == fields(log_records(run))
        assert shown_events(screen) == event_fields(run)
        assert "ended" in bar_text(app)


async def test_a_click_on_the_timeline_jumps_there(tmp_path: Path) -> None:
    file, run = await captured(tmp_path, GAPS, "json")
    app = ReplayApp(load_replay(file, speed=1))
    async with app.run_test(size=SIZE) as pilot:
        screen: ReplayScreen = app.main  # type: ignore[assignment]
        player = screen.player
        await until(pilot, lambda: screen.session.state != "idle")
        await pilot.press("space")
        await pilot.click("#--content-tab-timeline-tab")
        sparkline, timeline = screen.query_one("#arrivals"), screen.timeline
        # drawn on the replay's axis: one column per `_seconds`, across the whole capture (not the first frame's 1)
        await until(pilot, lambda: timeline._seconds > 0 and sparkline.region.width > 1
                    and sparkline.region.width == round(player.total / timeline._seconds))
        seconds = player.total / sparkline.region.width
        data_times = [r.t for r in run if r.kind is Kind.CHUNK]

        for column in (int(data_times[3] / seconds) + 1, int(data_times[1] / seconds)):  # ahead, then back
            await pilot.click("#arrivals", offset=(column, 1))
            target = (column + 1) * seconds  # the clicked column's end; a busy machine may take a while to get there
            await until(pilot, lambda target=target: abs(player.position - target) < 1e-6)
            assert player.position == pytest.approx(target)
            shown = [r for r in run if r.t <= player.position]
            assert fields(records(screen.log_widget)) == fields(log_records(shown))
            assert shown_events(screen) == event_fields(shown)
        assert player.paused  # a jump keeps the replay paused...
        assert sum(r.kind is Kind.CHUNK for r in records(screen.log_widget)) == 2

        await pilot.press("space")  # ... and it goes on from there
        await until_replayed(pilot)
        assert fields(records(screen.log_widget)) == fields(log_records(run))


async def test_an_llm_capture_replays_its_transcript(tmp_path: Path) -> None:
    file, run = await captured(tmp_path, "/llm/anthropic?tokens=12&ttft=0&itl=1&stall=0&thinking=1&tools=1", "auto")
    tokens = [r for r in run if r.kind is Kind.TOKEN]
    answer = "".join(t.value.text for t in tokens if t.value.channel == "text")
    thinking = "".join(t.value.text for t in tokens if t.value.channel == "thinking")
    assert answer and thinking
    app = ReplayApp(load_replay(file, speed=0))
    async with app.run_test(size=SIZE) as pilot:
        screen = await until_replayed(pilot)
        transcript = screen.transcript
        assert transcript.display and transcript.text.tokens == len(tokens)
        assert transcript.text.text("text") == answer and transcript.text.text("thinking") == thinking


def test_runs_speeds_and_what_is_no_capture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "two.jsonl"
    for count in (2, 3):
        assert main(["get", "--demo", f"/ndjson?count={count}&interval=0.01", "--format", "jsonl",
                     "-o", str(file), "--append"]) == 0
    last, first = load_replay(file), load_replay(file, run=1)
    assert (last.run, last.runs, first.run) == (2, 2, 1)
    assert sum(r.kind is Kind.LINE or r.kind is Kind.CHUNK for r in first.records) == 2
    capsys.readouterr()

    bad = tmp_path / "notes.txt"
    bad.write_text("not a capture\n")
    for argv, said in [([str(tmp_path / "missing.jsonl")], "Cannot read the capture"),
                       ([str(bad)], "is not JSON"),
                       ([str(file), "--run", "3"], "--run takes 1 to 2, not 3"),
                       ([str(file), "--speed", "-1"], "--speed takes 0")]:
        assert main(["replay", *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("explorer replay: ") and said in err and err.strip().endswith(".")
        assert err.count("\n") == 1

    assert [next_speed(s, 1) for s in (1, 2, 10, 0, 3)] == [2, 10, 0, 1, 10]
    assert [next_speed(s, -1) for s in (1, 2, 10, 0)] == [0, 1, 2, 10]


def test_the_player_follows_its_clock() -> None:
    """Due times never go back; paused, the position stands; a jump hands over everything up to it."""
    now = [0.0]
    run = [Record(Kind.RESPONSE, 0, 0.01, 0.01, 0), *(Record(Kind.LINE, i, 0.1 * (i + 1), 0.1, 3, b"abc")
                                                     for i in range(5)), Record(Kind.END, 0, 0.45, 0.0, 0)]
    player = ReplayPlayer(run, 2.0, clock=lambda: now[0])
    assert player.due[-1] == 0.5 == player.total  # the end's 0.45 is due after the line at 0.5
    assert player.tick() == []  # paused until played
    player.play()
    now[0] = 0.1  # 0.2 s at 2x
    assert player.tick() == run[:3]
    assert player.pause() == []
    now[0] = 5.0
    assert player.tick() == [] and player.position == pytest.approx(0.2)
    player.play()
    now[0] = 5.06  # paused 0.12 s (of the run) after the last tick: the line due then is handed over, no more
    assert player.pause() == [run[3]] and player.tick() == [] and player.position == pytest.approx(0.32)
    assert player.seek(0.2) == run[:3]
    assert player.rate(1.0) == pytest.approx((10.0, 30.0))  # two lines of 3 bytes in its first 0.2 s
    assert player.step() == [run[3]] and player.position == pytest.approx(0.3)
    assert player.seek(0.15) == run[:2] and player.index == 2
    player.set_speed(0)
    player.play()
    assert player.tick() == run[2:] and player.ended and player.position == 0.5
    twins = [Record(Kind.LINE, 0, 0.1, 0.1, 1, b"a"), Record(Kind.LINE, 1, 0.1, 0.0, 1, b"b")]
    player = ReplayPlayer(twins, clock=lambda: now[0])
    assert player.step() == twins[:1] and player.step() == twins[1:]  # one record a step, even at one time
