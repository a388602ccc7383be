"""A silence is visible while it happens: the status line, the decaying rate and the stall row.

The server holds its silence until the test has seen what the app shows
during it, then sends the rest: nothing depends on how long anything took.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from textual.widgets import Button, Input, Static

from explorer.core import Kind, StreamRequest
from explorer.core.format import fmt_clock
from explorer.tui.limits import LimitsScreen
from explorer.tui.widgets.chunk_log import Note

from .apps import app_for, screen_lines, until, until_ended
from .servers.raw import ThreadedServer

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
LINE = b"6\r\nline!\n\r\n"


class GatedServer(ThreadedServer):
    """Four lines at once, then silence until `release()`, then one line and the end."""

    def __init__(self) -> None:
        super().__init__()
        self._gate: asyncio.Event | None = None

    def release(self) -> None:
        def open_gate() -> None:
            assert self._gate is not None
            self._gate.set()
        self._loop.call_soon_threadsafe(open_gate)

    async def _answer(self, head: bytes, target: str, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        self._gate = asyncio.Event()
        writer.write(HEAD)
        for _ in range(4):
            writer.write(LINE)
            await writer.drain()
        await self._gate.wait()
        writer.write(LINE + b"0\r\n\r\n")
        await writer.drain()


def status_text(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.main.query_one("#figures", Static).render())


async def test_a_silence_shows_while_it_lasts_and_its_stall_row_comes_before_the_data(tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl"
    with GatedServer() as server:
        request = StreamRequest(server.url("/"), mode="lines", stall_seconds=0.3)
        app = app_for(request, output=str(capture))
        async with app.run_test(size=(160, 40)) as pilot:
            main = app.main
            await until(pilot, lambda: main.session.stats.records == 4)
            await until(pilot, lambda: "silent for" in status_text(app))
            await until(pilot, lambda: any(isinstance(row, Note) and "a stall: nothing since" in row.text
                                           for row in main.log_widget.rows))
            assert main.session.stats.records == 4  # all of it before the fifth line was sent
            await until(pilot, lambda: main.session.rate.rate() == (0.0, 0.0))  # the rate decays to nothing
            server.release()
            await until_ended(pilot)
            rows = list(main.log_widget.rows)
            assert main.session.state == "done" and "silent for" not in status_text(app)
    notes = [i for i, row in enumerate(rows) if isinstance(row, Note) and "a stall: nothing since" in row.text]
    stalled = [i for i, row in enumerate(rows) if not isinstance(row, Note) and row.kind is Kind.LINE and row.stall]
    assert len(notes) == 1 and stalled and notes[0] < stalled[0]  # the row came while waiting, once
    records = [json.loads(line) for line in capture.read_text().splitlines()]
    assert [r.get("stall", False) for r in records if r["kind"] == "line"] == [False] * 4 + [True]


async def test_the_clock_toggle_shows_times_of_day_from_started_at(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/chunks?count=3", mode="chunked"))
    async with app.run_test(size=(160, 40)) as pilot:
        await until_ended(pilot)
        log = app.main.log_widget
        started_at = app.main.session.response.response.started_at
        before = "\n".join(screen_lines(log))
        await pilot.press("ctrl+t")
        after = "\n".join(screen_lines(log))
        await pilot.press("ctrl+t")
        again = "\n".join(screen_lines(log))
        title = log.border_title
        first = [r for r in app.main.kept if r.kind is Kind.CHUNK][0]
    assert fmt_clock(started_at + first.t) in after and fmt_clock(started_at + first.t) not in before
    assert again == before and "time since request" in str(title)
    chunk_row = next(line for line in after.splitlines() if fmt_clock(started_at + first.t) in line)
    assert f" {fmt_clock(started_at + first.t)} " in chunk_row  # a space on each side: no column runs into it


async def test_time_limits_set_in_the_app_apply_to_the_next_start(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/tick?count=1000&interval=0.05", mode="lines"), start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, LimitsScreen))
        app.screen.query_one("#max_time", Input).value = "abc"
        await pilot.click("#apply")
        assert isinstance(app.screen, LimitsScreen)  # refused, with a sentence saying why
        assert "must be a number" in str(app.screen.query_one("#problem", Static).render())
        app.screen.query_one("#max_time", Input).value = "0.3"
        app.screen.query_one("#apply", Button).press()
        await until(pilot, lambda: not isinstance(app.screen, LimitsScreen))
        assert app.main.options.request.max_time == 0.3
        await pilot.press("ctrl+r")
        await until_ended(pilot)
        final = app.main.session.final
    assert final is not None and final.kind is Kind.END and final.summary.stopped == "max time of 0.3 s reached"
