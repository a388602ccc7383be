"""What the main screen sends: the draft request, its `${NAME}` values, curl import and history.

The request bar holds the URL, mode and chunk size; the draft holds the
rest (method, headers, body, subprotocols), as the request editor shows
it. `request()` joins them: exactly what is shown is what starts.
"""

from __future__ import annotations

import dataclasses

from ..core.curl import import_curl
from ..core.history import Entry, History
from ..core.request import StreamRequest
from ..options import Options
from .request_editor import Draft


class Composer:
    """The main screen's request: draft, secrets, history (browsed with up and down)."""

    def __init__(self, options: Options, history: History) -> None:
        self.options = options
        self.draft = Draft(options.request)
        self.history = history
        self._browsing: int | None = None  # the history entry the URL field shows (from the newest, 0)

    def request(self, url: str, mode: str, chunk_size: int) -> StreamRequest:
        """The draft with the request bar's URL, mode and chunk size."""
        return dataclasses.replace(self.draft.request, url=url, mode=mode, chunk_size=chunk_size)

    def resolved(self, request: StreamRequest) -> StreamRequest:
        """`request` with its `${NAME}` values, from the environment and `--env-file`; raises SecretError."""
        return self.options.resolved(request)

    def set_limits(self, limits: StreamRequest) -> None:
        """New time limits (F2) for the draft and every later one."""
        keep = {name: getattr(limits, name) for name in ("idle_timeout", "max_time", "stall_seconds")}
        self.options = dataclasses.replace(self.options, request=dataclasses.replace(self.options.request, **keep))
        self.draft = dataclasses.replace(self.draft, request=dataclasses.replace(self.draft.request, **keep))

    def edited(self, draft: Draft) -> None:
        self.draft = draft

    def reset(self, url: str, mode: str, method: str = "GET", body: bytes | None = None) -> None:
        """A fresh request (a catalog entry's): the options' limits, this method, and a JSON body if given."""
        headers = [("Content-Type", "application/json")] if body is not None else []
        self.draft = Draft(dataclasses.replace(self.options.request, url=url, mode=mode, method=method,
                                               headers=headers, body=body, subprotocols=[], sends=[], secrets={}))

    def imported(self, command: str) -> StreamRequest:
        """Take method, URL, headers and body from a curl command (CurlError says why not)."""
        request = import_curl(command, dataclasses.replace(self.options.request, headers=[], body=None,
                                                           method="GET", secrets={}))
        self.draft = Draft(request)
        return request

    def remember(self, request: StreamRequest) -> OSError | None:
        """Add a started request to the history (as written: references, no values)."""
        self._browsing = None
        return self.history.add(request)

    def recall(self, step: int, from_newest: bool) -> Entry | None:
        """The entry `step` older (+1) or newer (-1) than the one shown (than none, `from_newest`);
        None past the newest."""
        entries = self.history.entries
        if from_newest:
            self._browsing = None
        if not entries:
            return None
        at = (-1 if self._browsing is None else self._browsing) + step
        if at < 0:
            self._browsing = None
            return None
        self._browsing = min(at, len(entries) - 1)
        entry = entries[-1 - self._browsing]
        self.draft = Draft(entry.applied_to(self.draft.request))
        return entry
