"""The real app under run_test and Pilot, against the real demo server and raw servers."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from explorer.core import Kind, StreamRequest
from explorer.demo.catalog import CATALOG
from explorer.tui.app import ExplorerApp
from explorer.tui.save import SaveScreen
from explorer.tui.widgets.chunk_log import ChunkLog, Note
from explorer.tui.widgets.event_view import EventView

from .apps import SIZE, app_for, records, screen_lines, until, until_ended
from .rawserver import RawServer, chunked_response


async def test_demo_server_from_the_ui_then_ndjson_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = ExplorerApp()
    async with app.run_test(size=SIZE) as pilot:
        assert not app.query_one("#demo").display  # no demo server yet: the panel starts hidden
        await pilot.press("ctrl+b")
        await pilot.click("#server-toggle")
        await until(pilot, lambda: app.server.running)
        catalog = app.query_one("#catalog")
        catalog.focus()
        catalog.highlighted = next(i for i, e in enumerate(CATALOG) if e.route == "/ndjson")
        await pilot.press("enter")
        url = app.query_one("#url", Input)
        await until(pilot, lambda: url.value == app.server.url + "/ndjson")
        assert url.has_focus and app.query_one("#mode").value == "json"
        url.value += "?count=5&interval=0.05"
        await pilot.press("enter")
        await until_ended(pilot)
        log = app.query_one("#log", ChunkLog)
        body = b"".join(r.data for r in records(log) if r.kind is Kind.CHUNK)
        assert [json.loads(line)["id"] for line in body.splitlines()] == [0, 1, 2, 3, 4]
        events = app.query_one("#events", EventView)
        assert [row.value for row in events.rows if row.label == "name"] == [f'"Item {i}"' for i in range(5)]
        text = "\n".join(screen_lines(log))
        assert "HTTP/1.1 200 OK" in text and '{"id": 4, "name"' in text and "✔ end" in text
        assert "STATUS" not in text
        await until(pilot, lambda: "/ndjson" in "\n".join(str(line) for line in app.query_one("#server-log").lines))
        monkeypatch.chdir(tmp_path)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SaveScreen))
        await pilot.press("enter")  # the default name, in the current directory
        await until(pilot, lambda: app.main.saved_path is not None)
        assert app.main.saved_path.parent == tmp_path and app.main.saved_path.name.startswith("explorer-")
        saved = [json.loads(line) for line in app.main.saved_path.read_text().splitlines()]
        assert saved[0]["kind"] == "response" and saved[-1]["kind"] == "end"
        assert len([r for r in saved if r["kind"] == "event"]) == 30
        await pilot.press("ctrl+q")
    assert app.return_code == 0 and not app.server.running


async def test_url_suggestions_come_from_the_catalog_and_history(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/hello?interval=0", mode="wire"))
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        url = app.query_one("#url", Input)
        url.value = ""
        url.focus()
        await pilot.press(*demo_url[:12])
        await until(pilot, lambda: url._suggestion != "")
        assert url._suggestion == demo_url + "/hello?interval=0"  # from history
        await pilot.press("ctrl+n")  # the demo server starts, and its panel shows
        await until(pilot, lambda: app.server.running)
        assert app.query_one("#demo").display
        url.value = ""
        url.focus()
        await pilot.press(*(app.server.url + "/sse"))
        await until(pilot, lambda: url._suggestion != "")
        assert url._suggestion.startswith(app.server.url + "/sse")  # from the catalog
        suggestion = url._suggestion
        await pilot.press("right")
        assert url.value == suggestion


async def test_follow_pauses_when_scrolled_up_and_resumes(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/endless?interval=0.01", mode="lines"))
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one("#log", ChunkLog)
        await until(pilot, lambda: len(log.rows) > 80)
        assert log.following
        log.focus()
        await pilot.press("pageup")
        await until(pilot, lambda: not log.following)
        held = log.scroll_y
        await until(pilot, lambda: log.unseen > 20)
        assert log.scroll_y == held and "paused" in str(log.border_subtitle)
        await pilot.press("ctrl+y")
        assert log.following and log.unseen == 0
        await until(pilot, lambda: log.scroll_y == log.max_scroll_y and len(log.rows) > 150)
        await pilot.press("ctrl+g")
        assert app.main.session.state == "stopped"
        assert isinstance(log.rows[-1], Note) and "stopped by you" in log.rows[-1].text


async def test_refused_connection_shows_error_row() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = app_for(StreamRequest(f"http://127.0.0.1:{port}/"))
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        log = app.query_one("#log", ChunkLog)
        assert app.main.session.state == "error"
        assert [r.summary.type for r in records(log) if r.kind is Kind.ERROR] == ["connection_refused"]
        assert isinstance(log.rows[-1], Note) and "phases:" in log.rows[-1].text
        assert "✖ error: Connection refused" in "\n".join(screen_lines(log))


async def test_truncated_stream_keeps_data_and_shows_error(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/fault/truncated?interval=0.01", mode="wire"))
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        assert app.main.session.state == "error"
        text = "\n".join(screen_lines(app.query_one("#log", ChunkLog)))
        assert text.count("⟦Line") == 3 and "partial" in text and "cut short" in text
        assert app.is_running


HOSTILE = (b"\x1b]0;owned title\x07\x1b[2J\x1b[31mred\x1b[0m [bold]not bold[/bold] "
           b"[link=http://evil.example]x[/link] [@click=app.quit]quit[/] \x00\x7f \xe2\x80\xaeevil\n")


async def test_hostile_text_is_inert() -> None:
    script = chunked_response(HOSTILE, HOSTILE, headers="Content-Type: application/x-weird")
    with RawServer(script) as server:
        app = app_for(StreamRequest(server.url, mode="lines"))
        async with app.run_test(size=(260, 30)) as pilot:
            await until_ended(pilot)
            log = app.query_one("#log", ChunkLog)
            assert app.main.session.state == "done"
            text = "\n".join(screen_lines(log))
            assert "\x1b" not in text and "\x07" not in text and "\x00" not in text and "\u202e" not in text
            assert "␛]0;owned title␇" in text
            assert "[bold]not bold[/bold]" in text and "[@click=app.quit]quit[/]" in text
            assert "\\u202eevil" in text
            await pilot.click("#log", offset=(60, 2))  # clicking the text runs nothing
            await pilot.pause()
            assert app.is_running and app.title == "explorer"


async def test_recording_writes_every_record_as_it_arrives(demo_url: str, tmp_path: Path) -> None:
    target = tmp_path / "session.jsonl"
    app = app_for(StreamRequest(demo_url + "/async-chunks?count=5&interval=0.1", mode="lines"), output=str(target))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(target.read_text().splitlines()) >= 3)
        assert app.main.session.state == "streaming"  # written while the stream runs
        await until_ended(pilot)
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["kind"] for r in lines] == ["response"] + ["line"] * 5 + ["end"]
    assert lines[-1]["gap_count"] == 4


async def test_changing_mode_restarts_a_running_stream(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/endless?interval=0.02", mode="lines"))
    async with app.run_test(size=SIZE) as pilot:
        session = app.main.session
        await until(pilot, lambda: session.response is not None)
        assert session.response.response.mode == "lines"
        app.query_one("#mode", Select).value = "chunked"
        await until(pilot, lambda: session.response is not None and session.response.response.mode == "chunked")
        assert all(r.kind is not Kind.LINE for r in records(app.query_one("#log", ChunkLog)))
        await pilot.press("ctrl+g")


async def test_llm_stream_shows_tokens_in_the_event_view(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/llm?tokens=4&tps=200", mode="sse"))
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        assert app.main.session.state == "done"
        rows = list(app.query_one("#events", EventView).rows)
        assert [row.value for row in rows if row.name == "token"] == ['"Streaming"', '" lets"', '" a"', '" client"']
        assert rows[-1].value == "[DONE]"
