"""The main screen's request: the editor, curl in and out, history, and messages sent on a WebSocket.

`MainScreen` builds on this screen; it holds what a start sends (the
`Composer`) and reacts to the request bar's and message bar's messages.
"""

from __future__ import annotations

import dataclasses

from textual import on
from textual.screen import Screen

from ..core import StreamRequest
from ..core.curl import CurlError, export_curl
from ..core.format import fmt_bytes, plural
from ..core.sanitize import sanitize
from ..core.secrets import is_literal_credential
from .composer import Composer
from .request_editor import Draft, RequestEditor
from .session import StreamSession
from .widgets.message_bar import MessageBar
from .widgets.request_bar import RequestBar, UrlField


class RequestScreen(Screen[None]):
    """Composing the request and talking back on a WebSocket; the stream itself is `MainScreen`'s."""

    composer: Composer
    session: StreamSession

    def action_start(self) -> None:
        """Start (or restart) streaming what the request bar shows."""
        self.query_one(RequestBar).request_start()

    def shown_request(self) -> Draft:
        """The draft with the request bar's URL and mode: what a start would send."""
        bar = self.query_one(RequestBar)
        return dataclasses.replace(self.composer.draft, request=self.composer.request(bar.url, bar.mode,
                                                                                      bar.chunk_size))

    def action_edit_request(self) -> None:
        """Edit method, URL, query, headers, subprotocols and body; Start or Apply takes it as shown."""
        def edited(result: tuple[Draft, bool] | None) -> None:
            if result is None:
                return
            draft, start = result
            self.composer.edited(draft)
            self.query_one(RequestBar).fill(draft.request.url, draft.request.mode, draft.request.method)
            if start:
                self.action_start()

        self.app.push_screen(RequestEditor(self.shown_request()), edited)

    @on(RequestBar.EditRequested)
    def edit_requested(self) -> None:
        self.action_edit_request()

    @on(UrlField.CurlPasted)
    def curl_pasted(self, message: UrlField.CurlPasted) -> None:
        """Import a pasted curl command into the request (the editor shows all of it)."""
        try:
            request = self.composer.imported(message.command)
        except CurlError as error:
            self.notify(str(error), severity="error", markup=False, timeout=6)
            return
        self.query_one(RequestBar).fill(request.url, request.mode, request.method)
        body = f" and a body of {fmt_bytes(len(request.body))}" if request.body is not None else ""
        self.notify(sanitize(f"Imported curl: {request.method} {request.url} with "
                             f"{plural(len(request.headers), 'header')}{body}. F3 shows it all; Enter starts.", 400),
                    markup=False, timeout=5)

    @on(UrlField.HistoryStep)
    def history_step(self, message: UrlField.HistoryStep) -> None:
        """Up and down in an empty URL field: the requests started before, newest first."""
        bar = self.query_one(RequestBar)
        entry = self.composer.recall(message.step, message.from_newest)
        if entry is None:
            if self.composer.history.entries and message.step < 0:
                bar.fill("", bar.mode, self.composer.draft.request.method)
            return
        bar.fill(entry.url, entry.mode, entry.method, browsing=True)

    def action_copy_curl(self) -> None:
        """Put the request as a curl command on the clipboard, credentials as `${NAME}` references."""
        self.app.copy_to_clipboard(export_curl(self.shown_request().request))
        self.notify("Copied as curl (credentials as ${NAME} references).", timeout=3, markup=False)

    @on(MessageBar.Send)
    def send_message(self, message: MessageBar.Send) -> None:
        if not self.session.send(message.data, message.binary):
            self.notify("Not sent: no WebSocket is open.", severity="warning", timeout=3)

    @on(MessageBar.Refused)
    def message_refused(self, message: MessageBar.Refused) -> None:
        self.notify(message.reason, severity="error", markup=False, timeout=4)

    def remember(self, request: StreamRequest) -> None:
        """Keep a started request in the history, and say what history keeps of a typed-in credential."""
        failed = self.composer.remember(request)
        if failed is not None:
            self.notify(f"History not saved: {failed.strerror or failed}.", severity="warning", markup=False)
        typed = [name for name, value in request.headers if is_literal_credential(name, value)]
        if typed:
            names = ", ".join(typed)
            self.notify(sanitize(f"History and copies keep a ${{NAME}} reference, never the {names} value you "
                                 f"typed: write it as ${{NAME}} and set NAME in the environment or --env-file "
                                 "to reuse it.", 400), markup=False, timeout=8)
