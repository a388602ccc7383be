"""Each screen owns its keys: the compare screen's act on the comparison, and text fields keep their editing keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from explorer.core import Kind, StreamRequest
from explorer.options import Options
from explorer.tui.app import ExplorerApp
from explorer.tui.compare import CompareScreen, PairPicker, StreamPane
from explorer.tui.save import SaveScreen
from explorer.tui.widgets.chunk_log import ChunkLog

from .apps import SIZE, app_for, records, until, until_ended


def notes(app: ExplorerApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


def footer_keys(app: ExplorerApp) -> list[tuple[str, str]]:
    """The keys the footer shows, in its order."""
    return [(key, active.binding.description) for key, active in app.screen.active_bindings.items()
            if active.binding.show]


def comparison(demo_url: str, path_a: str, path_b: str, mode: str = "lines") -> tuple[Options, Options]:
    return Options(StreamRequest(demo_url + path_a, mode=mode)), Options(StreamRequest(demo_url + path_b, mode=mode))


async def compare_screen(pilot: Any) -> CompareScreen:
    await until(pilot, lambda: isinstance(pilot.app.screen, CompareScreen))
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    return screen


async def test_compare_clears_itself_not_the_main_screen(demo_url: str) -> None:
    app = ExplorerApp(Options(StreamRequest(demo_url + "/chunks?count=3", mode="wire")), start=True,
                      compare=comparison(demo_url, "/chunks?count=4", "/chunks?count=5"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await compare_screen(pilot)
        await until(pilot, lambda: app.main.session.final is not None and all(
            pane.session.final is not None for pane in screen.panes()))
        await pilot.pause(0.1)  # a flush shows the ends
        main_rows = len(app.main.log_widget.rows)
        a, b = screen.panes()
        assert main_rows and records(a.chunk_log) and records(b.chunk_log)
        await pilot.press("ctrl+l")
        assert not a.chunk_log.rows and not b.chunk_log.rows and not a.kept and not b.kept
        assert len(app.main.log_widget.rows) == main_rows and len(app.main.kept)  # the main screen is untouched
        await pilot.press("ctrl+s")
        assert not isinstance(app.screen, SaveScreen) and any("Nothing to save" in n for n in notes(app))


async def test_compare_saves_both_sides(demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = ExplorerApp(compare=comparison(demo_url, "/chunks?count=3", "/ndjson?count=2&interval=0", "wire"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await compare_screen(pilot)
        await until(pilot, lambda: all(pane.session.final is not None for pane in screen.panes()))
        await pilot.pause(0.1)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SaveScreen))
        field = app.screen.query_one("#path", Input)
        field.value = "run.jsonl"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is screen)
        assert screen.saved_paths == (tmp_path / "run-a.jsonl", tmp_path / "run-b.jsonl")
        sides = [[json.loads(line) for line in path.read_text().splitlines()] for path in screen.saved_paths]
        for side, pane in zip(sides, screen.panes()):
            assert side[0]["kind"] == "response" and side[-1]["kind"] == "end"
            assert side[0]["url"] == pane.request.url
        assert [r["data"] for r in sides[0] if r["kind"] == "chunk"] == [f"Chunk {i}\n" for i in range(3)]
        assert '"id": 1' in "".join(r["data"] for r in sides[1] if r["kind"] == "chunk")
        assert not app.main.kept and not list(tmp_path.glob("explorer-*"))  # nothing of the main screen's


async def test_ctrl_o_on_compare_replaces_the_comparison_instead_of_stacking(demo_url: str) -> None:
    app = ExplorerApp(compare=comparison(demo_url, "/chunks?count=2", "/chunks?count=2"))
    async with app.run_test(size=SIZE) as pilot:
        first = await compare_screen(pilot)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, PairPicker))
        await pilot.press("enter")  # the first ready-made pair
        await until(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen is not first)
        stack = [type(screen).__name__ for screen in app.screen_stack]
        assert stack == ["MainScreen", "CompareScreen"]
        assert app.screen.heading == "Chunked vs Content-Length"
        await pilot.press("ctrl+g")
        await pilot.press("escape")
        assert app.screen is app.main


async def test_the_demo_server_is_not_stopped_under_a_running_comparison() -> None:
    side = Options(StreamRequest("", mode="lines"), demo=True, demo_path="/endless?interval=0.05")
    app = ExplorerApp(compare=(side, side))
    async with app.run_test(size=SIZE) as pilot:
        screen = await compare_screen(pilot)
        await until(pilot, lambda: all(pane.session.stats.records >= 2 for pane in screen.panes()))
        await pilot.press("ctrl+n")
        assert app.server.running and all(pane.session.state == "streaming" for pane in screen.panes())
        assert any("reading from the demo server" in n for n in notes(app))
        records_before = [pane.session.stats.records for pane in screen.panes()]
        await until(pilot, lambda: all(pane.session.stats.records > n
                                       for pane, n in zip(screen.panes(), records_before)))  # still streaming
        await pilot.press("ctrl+g")  # stopped: now the server may go
        assert all(pane.session.state == "stopped" for pane in screen.panes())
        await pilot.press("ctrl+n")
        await until(pilot, lambda: not app.server.running)


async def test_compare_follow_acts_on_both_sides(demo_url: str) -> None:
    app = ExplorerApp(compare=comparison(demo_url, "/endless?interval=0.02", "/endless?interval=0.02"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await compare_screen(pilot)
        a, b = screen.query(StreamPane)
        await until(pilot, lambda: len(a.chunk_log.rows) > 3 and len(b.chunk_log.rows) > 3)
        await pilot.press("ctrl+y")
        assert not a.chunk_log.following and not b.chunk_log.following
        assert app.main.log_widget.following  # the main screen's log is not the comparison's
        await pilot.press("ctrl+y")
        assert a.chunk_log.following and b.chunk_log.following
        await pilot.press("ctrl+g")


async def test_url_field_keeps_its_editing_keys() -> None:
    app = ExplorerApp()
    async with app.run_test(size=SIZE) as pilot:
        url = app.query_one("#url", Input)
        url.focus()
        url.value = "http://example.test/stream?a=1"
        await pilot.press("home")
        await pilot.press("ctrl+d")  # delete right, not the demo server
        assert url.value == "ttp://example.test/stream?a=1" and not app.server.running
        await pilot.press("ctrl+e", "left", "left", "left", "ctrl+k")  # to the end, back 3, delete to the end
        assert url.value == "ttp://example.test/stream?"
        await pilot.press("ctrl+a", "ctrl+f")  # nothing of the app's: no follow toggle
        assert app.main.log_widget.following and app.main.events_widget.following
        await pilot.press("ctrl+e", "ctrl+w")  # delete the word to the left
        assert url.value == "ttp://example.test/"
        await pilot.press("ctrl+u")
        assert url.value == "" and app.main.session.state == "idle" and url.has_focus


async def test_app_shortcuts_work_from_the_url_field_and_elsewhere(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/endless?interval=0.02", mode="lines"), start=False)
    async with app.run_test(size=SIZE) as pilot:
        url = app.query_one("#url", Input)
        url.focus()
        unfocused = footer_keys(app)
        await pilot.press("ctrl+r")  # from the URL field
        session = app.main.session
        await until(pilot, lambda: session.stats.records >= 3)
        assert url.has_focus and footer_keys(app) == unfocused  # the footer does not change with focus
        log = app.query_one("#log", ChunkLog)
        await pilot.press("ctrl+y")
        assert not log.following
        await pilot.press("ctrl+y")
        assert log.following
        await pilot.press("ctrl+g")
        assert session.state == "stopped"
        await pilot.press("ctrl+l")
        assert not log.rows
        app.query_one("#mode").focus()  # and from another widget
        assert footer_keys(app) == unfocused
        await pilot.press("ctrl+r")
        await until(pilot, lambda: session.running and session.stats.records >= 1)
        await pilot.press("ctrl+g")
        assert session.state == "stopped"
        keys = [key for key, _ in unfocused]
        assert keys[:8] == ["ctrl+r", "ctrl+g", "ctrl+b", "ctrl+s", "ctrl+o", "f3", "slash", "ctrl+q"]


async def test_the_main_screen_keys_do_not_act_under_the_save_dialog(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/chunks?count=2", mode="wire"))
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SaveScreen))
        await pilot.press("ctrl+l", "ctrl+r")  # keys of the screen below: not while the dialog is up
        assert app.main.session.state == "done" and any(r.kind is Kind.END for r in app.main.kept)
        await pilot.press("escape")
        assert app.screen is app.main and app.main.saved_path is None
