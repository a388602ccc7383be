"""Composing a request in the app: the editor, a pasted curl command, copy as curl, secrets and history.

Every test drives the real app (pilot) against real servers: the demo
server's `/echo`, which streams back the method, content type and body it
received, and uvicorn/Starlette shaped like a chat-completions API, which
streams only when it got POST, the bearer key and a JSON body.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import Input, Select, TabbedContent, TextArea

from explorer.core import StreamRequest
from explorer.core.curl import import_curl
from explorer.core.record import Flag, Kind
from explorer.options import Options
from explorer.tui.app import ExplorerApp
from explorer.tui.request_editor import RequestEditor
from explorer.tui.save import SaveScreen
from explorer.tui.widgets.field_rows import FieldRow, FieldRows
from explorer.tui.widgets.request_bar import UrlField

from .apps import SIZE, app_for, records, screen_lines, until, until_ended
from .servers import ChildServer
from .servers.apps import CHAT_COOKIE, CHAT_KEY, CHAT_TOKENS

PASTED = """curl https://api.example.test/v1/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $OPENAI_API_KEY" \\
  -d '{"model": "m", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}'
"""


def echoed(app: ExplorerApp) -> bytes:
    return b"".join(record.data or b"" for record in records(app.main.log_widget) if record.kind is Kind.CHUNK)


def notes(app: ExplorerApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


async def open_editor(pilot: Any) -> RequestEditor:
    await pilot.press("f3")
    await until(pilot, lambda: isinstance(pilot.app.screen, RequestEditor))
    await pilot.pause()
    return pilot.app.screen


async def tab_text(pilot: Any, tab: str, selector: str) -> str:
    """What a tab shows on screen, once it shows something."""
    pilot.app.query_one("#tabs ContentTabs").focus()  # as a click on a tab does: the focused log would keep its tab
    await pilot.pause()
    pilot.app.query_one("#tabs", TabbedContent).active = tab
    widget = pilot.app.query_one(selector)
    await until(pilot, lambda: "".join(screen_lines(widget)).strip())
    return "\n".join(screen_lines(widget))


async def test_edit_method_headers_and_body_then_the_echo_sends_it_back(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/echo", mode="chunked"), start=False)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot)
        editor.query_one("#method", Select).value = "PUT"
        headers = editor.query_one("#headers-rows", FieldRows)
        await headers.add_row()
        await pilot.pause()
        row = headers.query(FieldRow).last()
        row.query_one(".name", Input).value = "Content-Type"
        row.query_one(".value", Input).value = "application/json"
        editor.query_one("#body", TextArea).text = '{"greeting": "hi there"}'
        await pilot.pause()
        assert "valid JSON" in str(editor.query_one("#editor-note").render())
        await pilot.press("ctrl+r")  # Start: exactly what the editor shows
        await until_ended(pilot)
        assert echoed(app) == b'PUT application/json 24 bytes\n{"greeting": "hi there"}'
        shown = await tab_text(pilot, "request-tab", "#request-text")
        assert "PUT /echo HTTP/1.1" in shown and "Content-Type: application/json" in shown
        assert app.query_one("#method-button").label.plain == "PUT"


async def test_a_switched_off_header_stays_in_the_editor_but_is_not_sent(demo_url: str) -> None:
    request = StreamRequest(demo_url + "/echo", mode="chunked", method="POST", body=b"x",
                            headers=[("Content-Type", "text/plain")])
    app = app_for(request, start=False)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot)
        from textual.widgets import Checkbox

        editor.query_one("#headers-rows").query(FieldRow).first().query_one(Checkbox).value = False
        await pilot.press("ctrl+r")
        await until_ended(pilot)
        assert echoed(app).startswith(b"POST application/octet-stream 1 bytes")
        editor = await open_editor(pilot)
        assert editor.query_one("#headers-rows", FieldRows).fields == [("Content-Type", "text/plain", False)]


async def test_a_pasted_curl_command_fills_the_editor_and_copy_as_curl_round_trips() -> None:
    app = ExplorerApp(Options(StreamRequest("", mode="auto")))
    async with app.run_test(size=SIZE) as pilot:
        # as tmux and xterm-like terminals paste: line ends as CR
        app.query_one("#url", UrlField).post_message(events.Paste(PASTED.replace("\n", "\r")))
        await until(pilot, lambda: app.query_one("#url", Input).value.startswith("https://api.example.test"))
        assert any(n.startswith("Imported curl: POST") for n in notes(app))
        assert "\\" not in app.query_one("#url", Input).value  # the paste is imported, not typed in
        editor = await open_editor(pilot)
        assert editor.query_one("#method", Select).value == "POST"
        assert editor.query_one("#editor-url", Input).value == "https://api.example.test/v1/chat/completions"
        assert editor.query_one("#headers-rows", FieldRows).fields == [
            ("Content-Type", "application/json", True), ("Authorization", "Bearer ${OPENAI_API_KEY}", True)]
        assert json.loads(editor.query_one("#body", TextArea).text)["stream"] is True
        await pilot.press("escape")
        await pilot.press("f4")
        copied = import_curl(app.clipboard, StreamRequest(""))
        shown = app.main.shown_request().request
        assert (copied.method, copied.url, copied.headers, copied.body) == \
            (shown.method, shown.url, shown.headers, shown.body)
        assert "${OPENAI_API_KEY}" in app.clipboard


async def test_secrets_expand_from_an_env_file_and_show_nowhere(chat_server: ChildServer, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("API_KEY", raising=False)
    env = tmp_path / "chat.env"
    env.write_text(f"API_KEY={CHAT_KEY}\n")
    request = StreamRequest(chat_server.url("/v1/chat/completions"), mode="sse", method="POST",
                            headers=[("Content-Type", "application/json"), ("Authorization", "Bearer ${API_KEY}")],
                            body=b'{"stream": true, "messages": [{"role": "user", "content": "Hi"}]}')
    app = ExplorerApp(Options(request, env_file=str(env), output=str(tmp_path / "live.jsonl")), start=True)
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        tokens = [json.loads(r.value.data)["choices"][0]["delta"]["content"]
                  for r in app.main.kept if r.kind is Kind.SSE and r.value.data != "[DONE]"]
        assert tokens == CHAT_TOKENS  # the server got the key from the env file
        request_shown = await tab_text(pilot, "request-tab", "#request-text")
        assert "Authorization: Bearer sk-…f3a9 (masked)" in request_shown
        headers_shown = await tab_text(pilot, "headers-tab", "#headers-text")
        assert "set-cookie: ses" in headers_shown and "(masked)" in headers_shown
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, SaveScreen))
        app.screen.query_one("#path", Input).value = "saved.jsonl"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is app.main)
        editor = await open_editor(pilot)
        editor_text = "\n".join(screen_lines(editor))
        await pilot.press("escape")
        history = app.main.composer.history.path.read_text()
    for text in (request_shown, headers_shown, editor_text, history, (tmp_path / "saved.jsonl").read_text(),
                 (tmp_path / "live.jsonl").read_text()):
        assert CHAT_KEY not in text and CHAT_COOKIE not in text
    assert "${API_KEY}" in history


async def test_an_unknown_name_is_a_clear_error_and_nothing_starts(demo_url: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    request = StreamRequest(demo_url + "/echo", mode="chunked", headers=[("X-Api-Key", "${NOT_SET_ANYWHERE}")])
    app = app_for(request, start=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+r")
        await until(pilot, lambda: any("not set" in n for n in notes(app)))
        assert app.main.session.state == "idle" and "${NOT_SET_ANYWHERE}" in notes(app)[-1]


async def test_up_and_down_in_an_empty_url_field_recall_the_history(demo_url: str) -> None:
    first, second = demo_url + "/chunks?count=1", demo_url + "/chunks?count=2"
    app = app_for(StreamRequest(first, mode="chunked"), start=False)
    async with app.run_test(size=SIZE) as pilot:
        field = app.query_one("#url", Input)
        await pilot.press("ctrl+r")
        await until_ended(pilot)
        field.value = second
        await pilot.press("ctrl+r")
        await until_ended(pilot)
        field.value = ""
        field.focus()
        await pilot.press("up")
        assert field.value == second
        await pilot.press("up")
        assert field.value == first
        await pilot.press("down")
        assert field.value == second
        await pilot.press("down")
        assert field.value == ""
    reopened = ExplorerApp(Options(StreamRequest("", mode="auto")))  # kept across runs of the app
    async with reopened.run_test(size=SIZE) as pilot:
        reopened.query_one("#url", Input).focus()
        await pilot.press("up")
        assert reopened.query_one("#url", Input).value == second


async def test_a_catalog_entry_resets_the_request(demo_url: str) -> None:
    request = StreamRequest(demo_url + "/echo", mode="chunked", method="PUT", headers=[("X-Old", "1")], body=b"old")
    app = ExplorerApp(Options(request, demo=True))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.server.running)
        from explorer.demo.catalog import CATALOG
        from explorer.tui.widgets.demo_panel import DemoPanel

        ndjson = next(e for e in CATALOG if e.route == "/ndjson")
        app.query_one(DemoPanel).post_message(DemoPanel.EntryChosen(ndjson))
        await until(pilot, lambda: "/ndjson" in app.query_one("#url", Input).value)
        draft = app.main.composer.draft.request
        assert (draft.method, draft.headers, draft.body) == ("GET", [], None)
        assert app.query_one("#method-button").label.plain == "GET"


async def test_three_messages_on_the_demo_echo_show_as_sent_and_received_rows(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url.replace("http", "ws") + "/ws/echo", mode="ws"))
    async with app.run_test(size=SIZE) as pilot:
        bar = app.query_one("#messages")
        await until(pilot, lambda: bar.display)
        field = bar.query_one("#message", Input)
        kind = bar.query_one("#message-kind", Select)
        for chosen, text in (("text", "hello"), ("json", '{"n": 2}'), ("hex", "ff 00 41")):
            kind.value = chosen
            field.value = text
            field.focus()
            await pilot.press("enter")
            await until(pilot, lambda: field.value == "")
        kind.value = "json"
        field.value = "{not json"
        await pilot.press("enter")
        await until(pilot, lambda: any("not valid JSON" in n for n in notes(app)))
        messages = lambda: [r for r in records(app.main.log_widget) if r.kind is Kind.MESSAGE]  # noqa: E731
        await until(pilot, lambda: len(messages()) >= 6)
        sent = [r.data for r in messages() if r.flags & Flag.OUTGOING]
        received = [r.data for r in messages() if not r.flags & Flag.OUTGOING]
        assert sent == received == [b"hello", b'{"n": 2}', b"\xff\x00A"]
        lines = "\n".join(screen_lines(app.main.log_widget))
        assert "↑ hello" in lines and "↓ hello" in lines
        await pilot.press("ctrl+g")
        await until(pilot, lambda: not bar.display)
