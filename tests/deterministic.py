"""Determinism for snapshots: real streams (or a recorded one), with times, ports and dates made fixed."""

from __future__ import annotations

import dataclasses
import re
from typing import AsyncGenerator

import ijson

from explorer.core import Kind, Record, StreamRequest
from explorer.core.record import DATA_KINDS, Phases, Response, Summary
from explorer.core.timing import TimeBuckets, TimingStage
from explorer.options import Options
from explorer.tui.app import ExplorerApp
from explorer.tui.main_screen import MainScreen
from explorer.tui.session import Source, StreamSession

FIXED_URL = "http://127.0.0.1:8080"
_PORT = re.compile(r"127\.0\.0\.1:\d+")
PHASES = Phases(dns=None, connect=0.0005, sent=0.0007, headers=0.002, first_byte=0.005, last_byte=0.9, total=1.0)


def _fix(text: str) -> str:
    return _PORT.sub("127.0.0.1:8080", text)


def fixed(record: Record) -> Record:
    """The record with times on a 100 ms cadence, and no ports, dates or library versions."""
    if record.kind is Kind.RESPONSE:
        response = record.response
        record.t = record.gap = 0.002
        record.value = dataclasses.replace(
            response, url=_fix(response.url), started_at=0.0,
            headers={k: v for k, v in response.headers.items() if k not in ("Date", "Server")})
    elif record.kind in (Kind.END, Kind.ERROR):
        record.t = record.gap = 1.0
        summary = record.summary
        record.value = dataclasses.replace(summary, duration=1.0, ttfb=0.005, phases=PHASES,
                                           error=_fix(summary.error) if summary.error else None)
    else:
        record.t = round(0.005 + 0.1 * record.seq, 4)
        record.gap = 0.1 if record.seq else 0.005
    return record


class DeterministicSession(StreamSession):
    """Shows records with fixed times and a fixed elapsed time."""

    arrivals = TimeBuckets()
    fixed_timing = TimingStage()

    def start(self, request: StreamRequest) -> None:
        super().start(request)
        self.arrivals, self.fixed_timing = TimeBuckets(), TimingStage()

    def take(self) -> list[Record]:
        """The records with fixed times, and arrivals and gap figures counted from those times
        (the engine's figures hold the real ones, which a busy machine changes)."""
        batch = [fixed(record) for record in super().take()]
        data = [record for record in batch if record.kind in DATA_KINDS]
        self.arrivals.add_run(data)
        self.fixed_timing.gaps.add_many([record.gap for record in data if record.seq])
        self.stats.arrivals, self.timing = self.arrivals, self.fixed_timing
        return batch

    def drain(self) -> list[Record]:
        batch = super().drain()
        self.stats.ttfb = 0.005 if self.stats.ttfb is not None else None
        if self.started is not None:
            self.started, self.finished = 100.0, (101.0 if self.finished else None)
        self.rate.clear()
        return batch


def recorded_ndjson(lines: list[bytes]) -> Source:
    """A recorded json-mode stream: one read per line, its ijson events from `ijson.parse` of that line."""
    async def replay(request: StreamRequest, timing: TimingStage) -> AsyncGenerator[Record, None]:
        response = Response(200, "OK", "1.1", {"Content-Type": "application/x-ndjson",
                                               "Transfer-Encoding": "chunked"}, request.url, "json", 0.0)
        yield Record(Kind.RESPONSE, 0, 0.0, 0.0, 0, None, response)
        events = 0
        for seq, line in enumerate(lines):
            yield Record(Kind.CHUNK, seq, 0.0, 0.0, len(line), line)
            parsed = tuple(ijson.parse(line, use_float=True))
            yield Record(Kind.EVENT, events, 0.0, 0.0, 0, None, parsed)
            events += len(parsed)
        summary = Summary(records=len(lines), bytes=sum(map(len, lines)), duration=1.0, ttfb=0.005,
                          phases=PHASES, gaps=timing.summary(len(lines)), events=events)
        yield Record(Kind.END, 0, 1.0, 1.0, 0, None, summary)
    return replay


class DeterministicScreen(MainScreen):
    def __init__(self, options: Options, url_shown: str, source: Source | None, *, start: bool = True,
                 panel: bool = False) -> None:
        super().__init__(options, start=start)
        self.session = DeterministicSession(source) if source else DeterministicSession()
        self.url_shown = url_shown
        self.panel = panel

    async def on_mount(self) -> None:
        # Textual also runs MainScreen.on_mount: calling super() here would start the stream twice.
        self.query_one("DemoPanel").show_server(FIXED_URL)
        if self.panel:  # after MainScreen.on_mount, which hides the panel when no server runs
            self.call_after_refresh(self.show_catalog)

    def show_catalog(self) -> None:
        self.show_panel(True)
        self.query_one("#catalog").focus()

    def start_stream(self, request: StreamRequest) -> None:
        super().start_stream(request)
        self.query_one("#url").value = self.url_shown


class DeterministicApp(ExplorerApp):
    """The real app, streaming for real (or a recorded stream), displayed deterministically."""

    def __init__(self, request: StreamRequest, url_shown: str, source: Source | None = None, *,
                 start: bool = True, panel: bool = False) -> None:
        super().__init__(Options(request), start=start)
        self.url_shown = url_shown
        self.source = source
        self.panel = panel

    def get_default_screen(self) -> MainScreen:
        return DeterministicScreen(self.options, self.url_shown, self.source, start=self.start_now, panel=self.panel)
