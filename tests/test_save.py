"""Saving where the person says (the save dialog), and `-o` meaning the same in every face."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from explorer.cli import main
from explorer.core import StreamRequest
from explorer.options import Options
from explorer.tui.app import ExplorerApp
from explorer.tui.save import SaveScreen, side_paths

from .apps import SIZE, app_for, until, until_ended

OLD = '{"kind": "from an earlier run"}\n'


def notes(app: ExplorerApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


def kinds(path: Path) -> list[str]:
    return [json.loads(line)["kind"] for line in path.read_text().splitlines()]


async def open_dialog(pilot) -> SaveScreen:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+s")
    await until(pilot, lambda: isinstance(pilot.app.screen, SaveScreen))
    return pilot.app.screen


async def test_save_to_a_typed_path(demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs").mkdir()
    app = app_for(StreamRequest(demo_url + "/chunks?count=3", mode="wire"))
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        dialog = await open_dialog(pilot)
        field = dialog.query_one("#path", Input)
        assert re.fullmatch(r"explorer-\d{8}-\d{6}\.jsonl", field.value)  # the default: a timestamped name here
        assert str(tmp_path) in str(dialog.query_one("#where", Static).render())
        field.value = "runs/first.jsonl"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is app.main)
        saved = tmp_path / "runs" / "first.jsonl"
        assert app.main.saved_path == saved
        assert kinds(saved) == ["response", "chunk", "chunk", "chunk", "end"]
        assert any("Saved 5 records to" in n and "first.jsonl" in n for n in notes(app))
        assert not list(tmp_path.glob("explorer-*"))  # nothing written where it was not asked for


async def test_default_name_replace_and_cancel(demo_url: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = app_for(StreamRequest(demo_url + "/chunks?count=1", mode="wire"))
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        dialog = await open_dialog(pilot)
        default = dialog.query_one("#path", Input).value
        await pilot.press("escape")  # cancelled: nothing written
        assert app.screen is app.main and not list(tmp_path.iterdir())
        dialog = await open_dialog(pilot)
        await pilot.press("enter")  # the default name
        await until(pilot, lambda: app.screen is app.main)
        first = app.main.saved_path
        assert first is not None and first.parent == tmp_path and re.fullmatch(r"explorer-\d{8}-\d{6}\.jsonl",
                                                                                first.name)
        assert first.name >= default
        first.write_text(OLD)
        dialog = await open_dialog(pilot)
        dialog.query_one("#path", Input).value = first.name
        await pilot.press("enter")  # it exists: the dialog asks first
        assert app.screen is dialog and "already exists" in str(dialog.query_one("#problem", Static).render())
        assert first.read_text() == OLD
        await pilot.press("enter")  # again: replace
        await until(pilot, lambda: app.screen is app.main)
        assert kinds(first) == ["response", "chunk", "end"]


async def test_an_unwritable_path_keeps_the_dialog_open(demo_url: str, tmp_path: Path) -> None:
    app = app_for(StreamRequest(demo_url + "/chunks?count=1", mode="wire"))
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        dialog = await open_dialog(pilot)
        dialog.query_one("#path", Input).value = str(tmp_path / "no-such-dir" / "x.jsonl")
        await pilot.press("enter")
        problem = str(dialog.query_one("#problem", Static).render())
        assert app.screen is dialog and "Could not save" in problem and "No such file" in problem
        dialog.query_one("#path", Input).value = str(tmp_path / "x\x1b]0;owned\x07.jsonl")
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is app.main)
        (message,) = [n for n in notes(app) if n.startswith("Saved")]
        assert "\x1b" not in message and "\x07" not in message and "x␛]0;owned" in message  # shown inert


async def test_nothing_to_save_after_a_clear(demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = app_for(StreamRequest(demo_url + "/chunks?count=2", mode="wire"))
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        await pilot.press("ctrl+l")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is app.main and not list(tmp_path.iterdir())
        assert any(n.startswith("Nothing to save") for n in notes(app))


def test_side_paths() -> None:
    assert side_paths(Path("/x/run.jsonl")) == (Path("/x/run-a.jsonl"), Path("/x/run-b.jsonl"))
    assert side_paths(Path("run")) == (Path("run-a.jsonl"), Path("run-b.jsonl"))


# -- `-o` in every face: a new file unless --append ------------------------------------------------------------


async def test_get_output_truncates_unless_append(demo_url: str, tmp_path: Path) -> None:
    target = tmp_path / "get.jsonl"
    target.write_text(OLD)
    args = ["get", demo_url + "/chunks?count=2", "-m", "wire", "--format", "jsonl", "-o", str(target)]
    assert await asyncio.to_thread(main, args) == 0
    assert kinds(target) == ["response", "chunk", "chunk", "end"]
    assert await asyncio.to_thread(main, [*args, "--append"]) == 0
    assert kinds(target) == ["response", "chunk", "chunk", "end"] * 2


async def test_app_output_truncates_unless_append(demo_url: str, tmp_path: Path) -> None:
    target = tmp_path / "app.jsonl"
    target.write_text(OLD)
    request = StreamRequest(demo_url + "/chunks?count=2", mode="wire")
    app = app_for(request, output=str(target))
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
    assert kinds(target) == ["response", "chunk", "chunk", "end"]
    app = ExplorerApp(Options(request, output=str(target), append=True), start=True)
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
    assert kinds(target) == ["response", "chunk", "chunk", "end"] * 2


def test_append_needs_an_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["get", "http://127.0.0.1:9/", "--append"]) == 2
    assert "--append" in capsys.readouterr().err
    assert main(["http://127.0.0.1:9/", "--append"]) == 2
