"""Determinism for snapshots: real streams, with times, ports and dates made fixed before display."""

from __future__ import annotations

import re

from explorer.core import Record, StreamRequest
from explorer.tui.app import ExplorerApp
from explorer.tui.session import StreamSession

FIXED_URL = "http://127.0.0.1:8080"
_PORT = re.compile(r"127\.0\.0\.1:\d+")


def _fix(text: str) -> str:
    return _PORT.sub("127.0.0.1:8080", text)


class DeterministicSession(StreamSession):
    """Rewrites each record's times to a 100 ms cadence and hides ports and dates."""

    def drain(self) -> list[Record]:
        batch, self.pending = self.pending, []
        for record in batch:
            if record.kind == "response":
                record.t = record.gap = 0.002
                headers = {k: v for k, v in record.get("headers", {}).items() if k not in ("Date",)}
                record.extra = {**record.extra, "headers": headers, "url": _fix(record.get("url", ""))}
            elif record.kind in ("end", "error"):
                record.t = record.gap = 1.0
                record.extra = {**record.extra, "duration": 1.0, "ttfb": 0.005, "phases": {
                    "dns": None, "connect": 0.0005, "sent": 0.0007, "headers": 0.002,
                    "first_byte": 0.005, "last_byte": 0.9, "total": 1.0}}
                if record.get("error"):
                    record.extra["error"] = _fix(record.extra["error"])
            else:
                record.t = round(0.005 + 0.1 * record.seq, 4)
                record.gap = 0.1 if record.seq else 0.005
        stats = self.stats
        stats.take(batch)
        stats.ttfb = 0.005 if stats.ttfb is not None else None
        stats.started, stats.finished = 100.0, 101.0
        stats._samples.clear()
        return batch


class DeterministicApp(ExplorerApp):
    """The real app, streaming for real, displayed deterministically."""

    def __init__(self, request: StreamRequest, url_shown: str) -> None:
        super().__init__(request, start=True)
        self.session = DeterministicSession()
        self.url_shown = url_shown

    def on_mount(self) -> None:
        # Textual also runs ExplorerApp.on_mount: calling super() here would start the stream twice.
        self.query_one("DemoPanel").show_server(FIXED_URL)

    def action_start(self) -> None:
        super().action_start()
        self.query_one("#url").value = self.url_shown
