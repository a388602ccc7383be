"""Request history: the requests the app started, newest last, in the XDG state directory.

`$XDG_STATE_HOME/explorer/history.jsonl` (default `~/.local/state/...`), one
JSON object per request: URL, method, headers, body, mode and when. A
request is kept as written, `${NAME}` references and all; a literal
credential in an Authorization-like header is kept as a reference too
(`secrets.with_references`), so no secret reaches the file. The file keeps
the newest `MAX_ENTRIES`; a request already in it moves to the end. A file
that cannot be read or written costs the history, never the stream.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .request import StreamRequest
from .secrets import with_references

MAX_ENTRIES = 200  # requests kept
MAX_FILE = 4 * 1024 * 1024  # bytes of history read; a bigger file is started anew
MAX_BODY = 64 * 1024  # a longer body is not kept


def state_dir() -> Path:
    """Where explorer keeps state: `$XDG_STATE_HOME/explorer`, by default `~/.local/state/explorer`."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "explorer"


@dataclass(frozen=True)
class Entry:
    """One remembered request."""

    url: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    mode: str = "auto"
    at: float = 0.0

    @classmethod
    def of(cls, request: StreamRequest) -> Entry:
        """What history keeps of a request: no resolved value, no literal credential."""
        body = request.body if request.body is None or len(request.body) <= MAX_BODY else None
        return cls(request.url, request.method, tuple(with_references(request.headers)), body, request.mode,
                   time.time())

    def applied_to(self, request: StreamRequest) -> StreamRequest:
        """`request` with this entry's URL, method, headers, body and mode."""
        return dataclasses.replace(request, url=self.url, method=self.method, headers=list(self.headers),
                                   body=self.body, mode=self.mode, secrets={})

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.url, self.method, self.headers, self.body, self.mode)

    def to_json(self) -> str:
        body = None if self.body is None else base64.b64encode(self.body).decode()
        return json.dumps({"url": self.url, "method": self.method, "headers": [list(h) for h in self.headers],
                           "body_b64": body, "mode": self.mode, "at": self.at}, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> Entry | None:
        try:
            data = json.loads(line)
            body = data.get("body_b64")
            return cls(str(data["url"]), str(data.get("method", "GET")),
                       tuple((str(name), str(value)) for name, value in data.get("headers", [])),
                       None if body is None else base64.b64decode(body), str(data.get("mode", "auto")),
                       float(data.get("at", 0.0)))
        except (ValueError, KeyError, TypeError):
            return None


class History:
    """The remembered requests, oldest first; `add` writes the file at once."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / "history.jsonl"
        self.entries: list[Entry] = self._load()

    def _load(self) -> list[Entry]:
        try:
            if self.path.stat().st_size > MAX_FILE:
                return []
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []
        entries = [entry for line in lines if (entry := Entry.from_json(line)) is not None]
        return entries[-MAX_ENTRIES:]

    def add(self, request: StreamRequest) -> OSError | None:
        """Remember `request` (moved to the end if it is there); the error if the file could not be written."""
        entry = Entry.of(request)
        self.entries = [e for e in self.entries if e.key != entry.key][-(MAX_ENTRIES - 1):] + [entry]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text("".join(e.to_json() + "\n" for e in self.entries), encoding="utf-8")
            temporary.replace(self.path)
        except OSError as error:
            return error
        return None

    def urls(self) -> list[str]:
        """Remembered URLs, newest first, once each."""
        return list(dict.fromkeys(entry.url for entry in reversed(self.entries)))
