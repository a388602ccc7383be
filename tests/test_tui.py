"""The real app under run_test and Pilot, against the real demo server and raw servers."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from explorer.core import StreamRequest
from explorer.tui.app import ExplorerApp
from explorer.tui.widgets.chunk_log import ChunkLog
from explorer.tui.widgets.event_view import EventView

from .rawserver import RawServer, chunked_response

SIZE = (120, 40)


async def wait_for(pilot: Pilot, condition: Callable[[], bool], timeout: float = 8.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")


def rows(log: ChunkLog) -> list:
    return list(log.rows)


def screen_lines(widget) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.size.height)]


async def test_demo_server_from_the_ui_then_ndjson_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = ExplorerApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#server-toggle")
        await wait_for(pilot, lambda: app.server.running)
        catalog = app.query_one("#catalog")
        index = next(i for i, e in enumerate(__import__("explorer.demo.catalog", fromlist=["CATALOG"]).CATALOG)
                     if e.route == "/ndjson")
        catalog.focus()
        catalog.highlighted = index
        await pilot.press("enter")
        url = app.query_one("#url", Input)
        assert url.value == app.server.url + "/ndjson" and url.has_focus
        assert app.query_one("#mode").value == "json"
        url.value += "?count=5&interval=0.05"
        await pilot.press("enter")
        log = app.query_one("#log", ChunkLog)
        await wait_for(pilot, lambda: any(r.kind == "end" for r in rows(log)))
        chunks = [r for r in rows(log) if r.kind == "chunk"]
        assert [json.loads(r.data)["id"] for r in chunks] == [0, 1, 2, 3, 4]
        assert all(0.03 < r.gap < 0.2 for r in chunks[1:])
        events = app.query_one("#events", EventView)
        assert [row.value for row in events.rows if row.label == "name"] == [f'"Item {i}"' for i in range(5)]
        text = "\n".join(screen_lines(log))
        assert "HTTP/1.1 200 OK" in text and '{"id": 4, "name"' in text and "✔ end" in text
        assert "STATUS" not in text
        await wait_for(pilot, lambda: "/ndjson" in "\n".join(
            str(line) for line in app.query_one("#server-log").lines))
        monkeypatch.chdir(tmp_path)
        await pilot.press("ctrl+s")
        saved = [json.loads(line) for line in app.saved_path.read_text().splitlines()]
        assert saved[0]["kind"] == "response" and saved[-1]["kind"] == "end"
        assert len([r for r in saved if r["kind"] == "event"]) == 30
        await pilot.press("ctrl+q")
    assert app.return_code == 0 and not app.server.running


async def test_follow_pauses_when_scrolled_up_and_resumes(demo_url: str) -> None:
    app = ExplorerApp(StreamRequest(demo_url + "/endless?interval=0.01", mode="lines"), start=True)
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one("#log", ChunkLog)
        await wait_for(pilot, lambda: len(log.rows) > 80)
        assert log.following
        log.focus()
        await pilot.press("pageup")
        await wait_for(pilot, lambda: not log.following)
        held = log.scroll_y
        await wait_for(pilot, lambda: log.unseen > 20)
        assert log.scroll_y == held and "paused" in str(log.border_subtitle)
        await pilot.press("ctrl+f")
        assert log.following and log.unseen == 0
        await wait_for(pilot, lambda: log.scroll_y == log.max_scroll_y and len(log.rows) > 150)
        await pilot.press("ctrl+k")
        assert app.session.stats.state == "stopped"
        assert rows(log)[-1].kind == "note"


async def test_refused_connection_shows_error_row() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = ExplorerApp(StreamRequest(f"http://127.0.0.1:{port}/"), start=True)
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one("#log", ChunkLog)
        await wait_for(pilot, lambda: app.session.stats.state == "error")
        assert [r.get("type") for r in rows(log) if r.kind == "error"] == ["connection_refused"]
        assert rows(log)[-1].kind == "note" and "phases:" in rows(log)[-1].get("text")
        assert "✖ error: Connection refused" in "\n".join(screen_lines(log))


async def test_truncated_stream_keeps_data_and_shows_error(demo_url: str) -> None:
    app = ExplorerApp(StreamRequest(demo_url + "/fault/truncated?interval=0.01", mode="wire"), start=True)
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one("#log", ChunkLog)
        await wait_for(pilot, lambda: app.session.stats.state == "error")
        text = "\n".join(screen_lines(log))
        assert text.count("⟦Line") == 3 and "partial" in text and "cut short" in text
        assert app.is_running


HOSTILE = (b"\x1b]0;owned title\x07\x1b[2J\x1b[31mred\x1b[0m [bold]not bold[/bold] "
           b"[link=http://evil.example]x[/link] [@click=app.quit]quit[/] \x00\x7f \xe2\x80\xaeevil\n")


async def test_hostile_text_is_inert() -> None:
    script = chunked_response(HOSTILE, HOSTILE, headers="Content-Type: application/x-weird")
    with RawServer(script) as server:
        app = ExplorerApp(StreamRequest(server.url, mode="lines"), start=True)
        async with app.run_test(size=(260, 30)) as pilot:
            log = app.query_one("#log", ChunkLog)
            await wait_for(pilot, lambda: app.session.stats.state == "done")
            text = "\n".join(screen_lines(log))
            assert "\x1b" not in text and "\x07" not in text and "\x00" not in text and "\u202e" not in text
            assert "␛]0;owned title␇" in text
            assert "[bold]not bold[/bold]" in text and "[@click=app.quit]quit[/]" in text
            assert "\\u202eevil" in text
            await pilot.click("#log", offset=(60, 2))  # clicking the text runs nothing
            await pilot.pause(0.1)
            assert app.is_running and app.title == "explorer"


async def test_recording_writes_every_record_as_it_arrives(demo_url: str, tmp_path: Path) -> None:
    target = tmp_path / "session.jsonl"
    app = ExplorerApp(StreamRequest(demo_url + "/async-chunks?count=5&interval=0.1", mode="lines"), start=True,
                      record_to=str(target))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: len(target.read_text().splitlines()) >= 3)
        assert app.session.stats.state == "streaming"  # written while the stream runs
        await wait_for(pilot, lambda: app.session.stats.state == "done")
        await pilot.pause(0.1)
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["kind"] for r in records] == ["response"] + ["line"] * 5 + ["end"]
    assert records[-1]["gap_count"] == 4


async def test_changing_mode_restarts_a_running_stream(demo_url: str) -> None:
    from textual.widgets import Select

    app = ExplorerApp(StreamRequest(demo_url + "/endless?interval=0.02", mode="lines"), start=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.session.stats.response is not None)
        assert app.session.stats.response.get("mode") == "lines"
        app.query_one("#mode", Select).value = "chunked"
        await wait_for(pilot, lambda: app.session.stats.response is not None
                       and app.session.stats.response.get("mode") == "chunked")
        assert all(r.kind != "line" for r in rows(app.query_one("#log", ChunkLog)))
        await pilot.press("ctrl+k")


async def test_llm_stream_shows_tokens_in_the_event_view(demo_url: str) -> None:
    app = ExplorerApp(StreamRequest(demo_url + "/llm?tokens=4&tps=200", mode="sse"), start=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.session.stats.state == "done")
        rows = list(app.query_one("#events", EventView).rows)
        assert [row.value for row in rows if row.kind == "token"] == ['"Streaming"', '" lets"', '" a"', '" client"']
        assert rows[-1].value == "[DONE]"
