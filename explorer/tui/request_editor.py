"""The request editor: method, URL, query parameters, headers, subprotocols and body, all editable.

It edits a `Draft`: the request as written (with `${NAME}` references) and
the rows switched off, which stay in the editor without being sent. What it
shows when closed with Apply or Start is exactly what the next start sends.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from ..core.curl import export_curl
from ..core.headers import header_value
from ..core.request import WS_SCHEMES, StreamRequest
from ..core.sanitize import sanitize
from .widgets.field_rows import FieldRows

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
QUERY_SAFE = "${}:/@!*'(),;+"  # kept as typed in a rebuilt query: `${NAME}` references above all


@dataclass(frozen=True)
class Draft:
    """The request the next start sends, with the header and parameter rows switched off."""

    request: StreamRequest
    off_headers: list[tuple[str, str]] = field(default_factory=list)
    off_params: list[tuple[str, str]] = field(default_factory=list)


def split_query(url: str) -> tuple[str, list[tuple[str, str]]]:
    """The URL before its query, and the query's parameters (a fragment stays with the base)."""
    base, mark, rest = url.partition("?")
    if not mark:
        return url, []
    query, hash_mark, fragment = rest.partition("#")
    return base + (hash_mark + fragment if hash_mark else ""), parse_qsl(query, keep_blank_values=True)


def join_query(base: str, params: list[tuple[str, str]]) -> str:
    """`base` with these parameters as its query (references kept readable)."""
    if not params:
        return base
    url, hash_mark, fragment = base.partition("#")
    query = "&".join(f"{quote(name, safe=QUERY_SAFE)}={quote(value, safe=QUERY_SAFE)}" for name, value in params)
    return f"{url}?{query}" + (hash_mark + fragment if hash_mark else "")


def is_json(headers: list[tuple[str, str]]) -> bool:
    return "json" in header_value(headers, "Content-Type").lower()


def json_problem(text: str) -> str | None:
    """Why `text` is not JSON, in one line, or None when it is."""
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
    return None


class RequestEditor(ModalScreen[tuple[Draft, bool] | None]):
    """Edit the request; dismissed with (draft, start now) or None (Esc: nothing changes)."""

    DEFAULT_CSS = """
    RequestEditor { align: center middle; }
    RequestEditor #editor { width: 100%; max-width: 110; height: 100%; max-height: 40; border: round $accent;
                            padding: 0 1; background: $surface; }
    RequestEditor #line { height: 1; margin-bottom: 1; }
    RequestEditor #method { width: 12; margin-right: 1; }
    RequestEditor #editor-url { width: 1fr; }
    RequestEditor #fields { height: 1fr; }
    RequestEditor #subprotocol-row { height: 1; margin-bottom: 1; }
    RequestEditor #subprotocols { width: 1fr; }
    RequestEditor #body-label { margin-bottom: 0; }
    RequestEditor #body { height: auto; min-height: 5; max-height: 14; }
    RequestEditor #editor-note { height: 1; }
    RequestEditor #editor-buttons { height: 1; }
    RequestEditor #editor-buttons Button { margin-right: 2; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+r", "done(True)", "Start", priority=True),
        Binding("ctrl+s", "done(False)", "Apply", priority=True),
    ]

    def __init__(self, draft: Draft) -> None:
        super().__init__()
        self.draft = draft

    def compose(self) -> ComposeResult:
        request = self.draft.request
        base, params = split_query(request.url)
        methods = list(METHODS) + ([request.method] if request.method not in METHODS else [])
        body = request.body.decode("utf-8", "replace") if request.body is not None else ""
        with Vertical(id="editor"):
            with Horizontal(id="line"):
                yield Select([(m, m) for m in methods], value=request.method, allow_blank=False, id="method",
                             compact=True)
                yield Input(request.url, placeholder="http(s):// or ws(s):// URL", id="editor-url", compact=True)
            with VerticalScroll(id="fields"):
                yield FieldRows("Query parameters", [(n, v, True) for n, v in params]
                                + [(n, v, False) for n, v in self.draft.off_params], id="params")
                yield FieldRows("Headers", [(n, v, True) for n, v in request.headers]
                                + [(n, v, False) for n, v in self.draft.off_headers], id="headers-rows")
                with Horizontal(id="subprotocol-row"):
                    yield Label("Subprotocols ")
                    yield Input(", ".join(request.subprotocols), placeholder="WebSocket subprotocols, comma-separated",
                                id="subprotocols", compact=True)
                yield Label("Body", id="body-label")
                yield TextArea(body, id="body", language="json" if is_json(request.headers) else None,
                               soft_wrap=True, show_line_numbers=False, tab_behavior="indent")
            yield Static(id="editor-note")
            with Horizontal(id="editor-buttons"):
                yield Button("Start", id="editor-start", variant="success", compact=True, tooltip="ctrl+r")
                yield Button("Apply", id="editor-apply", variant="primary", compact=True, tooltip="ctrl+s")
                yield Button("Copy as curl", id="editor-curl", compact=True)
                yield Button("Cancel", id="editor-cancel", compact=True, tooltip="Esc")

    def on_mount(self) -> None:
        self.query_one("#editor").border_title = "Request"
        self._show_kind()
        self.query_one("#editor-url").focus()

    # -- what the editor shows ---------------------------------------------------

    def edited(self) -> Draft:
        """The draft as the fields show it now."""
        request = self.draft.request
        params = self.query_one("#params", FieldRows).fields
        headers = self.query_one("#headers-rows", FieldRows).fields
        url = self.query_one("#editor-url", Input).value.strip()
        base, original = split_query(url)
        on_params = [(n, v) for n, v, on in params if on]
        if on_params != original:
            url = join_query(base, on_params)
        text = self.query_one("#body", TextArea).text
        subprotocols = [p.strip() for p in self.query_one("#subprotocols", Input).value.split(",") if p.strip()]
        edited = dataclasses.replace(
            request, url=url, method=str(self.query_one("#method", Select).value),
            headers=[(n, v) for n, v, on in headers if on], body=text.encode() if text else None,
            subprotocols=subprotocols, secrets={})
        return Draft(edited, [(n, v) for n, v, on in headers if not on], [(n, v) for n, v, on in params if not on])

    def _show_kind(self) -> None:
        """WebSocket or HTTP: the subprotocols row and the body's label follow the URL; JSON is checked."""
        url = self.query_one("#editor-url", Input).value.strip()
        websocket = url.split(":", 1)[0].lower() in WS_SCHEMES or self.draft.request.mode == "ws"
        self.query_one("#subprotocol-row").display = websocket
        headers = [(n, v) for n, v, on in self.query_one("#headers-rows", FieldRows).fields if on]
        body = self.query_one("#body", TextArea)
        json_body = is_json(headers)
        if (body.language == "json") != json_body:
            body.language = "json" if json_body else None
        label = "First message (sent on connecting)" if websocket else "Body"
        note = Text()
        if json_body and body.text.strip():
            problem = json_problem(body.text)
            note = Text(f"✗ {problem}", style="red") if problem else Text("✓ valid JSON", style="green")
        self.query_one("#body-label", Label).update(Text(label, style="bold"))
        self.query_one("#editor-note", Static).update(note)

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Checkbox.Changed)
    def _changed(self) -> None:
        self._show_kind()

    # -- closing -----------------------------------------------------------------

    def action_done(self, start: bool) -> None:
        draft = self.edited()
        problem = draft.request.problem() if draft.request.url else "Give a URL to send the request to."
        if problem and start:
            self.notify(sanitize(problem, 300), severity="error", markup=False)
            return
        self.dismiss((draft, start))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#editor-start")
    def _start(self) -> None:
        self.action_done(True)

    @on(Button.Pressed, "#editor-apply")
    def _apply(self) -> None:
        self.action_done(False)

    @on(Button.Pressed, "#editor-cancel")
    def _cancel(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#editor-curl")
    def copy_as_curl(self) -> None:
        """Put the request as shown on the clipboard, credentials as `${NAME}` references."""
        command = export_curl(self.edited().request)
        self.app.copy_to_clipboard(command)
        self.notify("Copied as curl (credentials as ${NAME} references).", timeout=3, markup=False)
