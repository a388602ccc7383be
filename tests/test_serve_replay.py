"""`explorer serve --replay`: captures made with `get -o` served back at their recorded timing.

Captures of the demo are recorded in-process, then one `explorer serve` process
serves them all; the replays are read with a plain socket (tests/reference.py
parses the chunk framing and the events) and with the websockets client. The
issue sets the bar: the same chunks, events and messages, each gap within 20 ms
of the recorded one, for gaps of about 150 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from websockets.sync.client import connect

from explorer.cli import main
from explorer.core.capture import read_capture
from explorer.core.record import Flag, Kind, Record
from explorer.demo import replay
from explorer.demo.catalog import CATALOG

from .reference import parse_chunked, request_bytes, sse_parse

WINDOW = 0.020  # seconds a replayed gap may differ from the recorded one (issue 17)
PACED = "count=6&interval=0.15"  # gaps of 150 ms: well above the window, short enough to keep the tests quick

CAPTURES = {  # name: (demo path, mode)
    "wire": (f"/async-chunks?{PACED}", "wire"),
    "sse": (f"/sse?{PACED}", "sse"),
    "ticker": (f"/ws/ticker?{PACED}", "ws"),
    "lines": ("/async-chunks?count=3&interval=0.01", "lines"),
    "truncated": ("/fault/truncated?count=2&interval=0.01", "wire"),
}


def record(path: str, mode: str, output: Path) -> None:
    """`explorer get --demo PATH -m MODE -o OUTPUT`, in-process, its stdout discarded."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["get", "--demo", path, "-m", mode, "--format", "jsonl", "-o", str(output)])


@dataclass
class Served:
    """The `explorer serve --replay ...` process: each capture's records and the URL it is served at."""

    base: str
    urls: dict[str, str]
    records: dict[str, list[Record]]
    files: dict[str, Path]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("captures")
    files = {name: folder / f"{name}.jsonl" for name in CAPTURES}
    for name, (path, mode) in CAPTURES.items():
        record(path, mode, files[name])
    argv = [sys.executable, "-m", "explorer", "serve"]
    for name in CAPTURES:
        argv += ["--replay", str(files[name])]
    argv += ["--path", "/my-wire"]  # names the first replay
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline()]
        assert lines[0].startswith("explorer demo server on http://127.0.0.1:"), lines[0] + proc.stderr.read()
        while not lines[-1].startswith("replays:"):  # the catalog, one line per entry, then what each replay keeps
            lines.append(proc.stdout.readline())
        urls = {}
        for line in lines:
            for name in CAPTURES:
                if line.rstrip().endswith(f"Replay: {name}.jsonl"):
                    urls[name] = line.split()[1]
        assert urls.keys() == CAPTURES.keys(), lines
        records = {name: read_capture(files[name]).runs[0].records for name in CAPTURES}
        yield Served(lines[0].split()[4], urls, records, files)
    finally:
        proc.send_signal(2)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0 and "Traceback" not in err, err


# -- reading a replay --------------------------------------------------------


@dataclass
class TimedResponse:
    """A response read off a plain socket, every byte stamped with the time its read returned."""

    raw: bytes
    stamps: list[tuple[int, float]]  # (bytes received so far, when)
    head_end: int

    def arrival(self, offset: int) -> float:
        """When byte `offset` of the response (0-based) had arrived."""
        return next(t for total, t in self.stamps if total > offset)

    @property
    def head(self) -> bytes:
        return self.raw[: self.head_end]

    @property
    def body(self) -> bytes:
        return self.raw[self.head_end:]

    def chunk_arrivals(self) -> tuple[list[bytes], list[float]]:
        """The HTTP chunks (parsed by the reference parser) and when the last byte of each arrived."""
        chunks, _, _ = parse_chunked(self.body)
        arrivals, pos = [], 0
        for chunk in chunks:
            start = self.body.index(b"\r\n", pos) + 2
            arrivals.append(self.arrival(self.head_end + start + chunk.size - 1))
            pos = start + chunk.size + 2
        return [c.data for c in chunks], arrivals


def timed_fetch(url: str) -> TimedResponse:
    """GET `url` with `Connection: close` on a plain socket; read until the server closes."""
    host, port = url.split("/")[2].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request_bytes(url))
        received, stamps = bytearray(), []
        while piece := sock.recv(65536):
            received += piece
            stamps.append((len(received), time.perf_counter()))
    raw = bytes(received)
    return TimedResponse(raw, stamps, raw.index(b"\r\n\r\n") + 4)


def assert_same_gaps(recorded: list[float], replayed: list[float]) -> None:
    """Each gap between consecutive arrivals within WINDOW of the recorded one (the first from the headers)."""
    assert len(recorded) == len(replayed)
    pairs = list(zip(_gaps(recorded), _gaps(replayed)))
    assert max(recorded) - min(recorded) >= 0.5  # the recording is paced: gaps of about 150 ms
    off = [round(b - a, 4) for a, b in pairs]
    assert all(abs(d) <= WINDOW for d in off), f"replayed minus recorded gaps: {off}"


TRIES = 3  # replays a timing check may take: see `timed`


def timed(check: Callable[[], None]) -> None:
    """Run a replay-and-compare `check`, again if a gap missed WINDOW, up to TRIES times.

    The window is the issue's and is kept; what is tried again is the machine. Under load a scheduler can
    hold one read (here or in the server) past 20 ms. A replay that is wrong is wrong every time; one held
    up by a busy machine is not held up three times over.
    """
    for attempt in range(TRIES):
        try:
            check()
            return
        except AssertionError as error:
            if not str(error).startswith("replayed minus recorded gaps") or attempt == TRIES - 1:
                raise


def _gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:])]


def head_time(records: list[Record]) -> float:
    return next(r.t for r in records if r.kind is Kind.RESPONSE)


# -- the replays -------------------------------------------------------------


def test_a_wire_capture_replays_its_chunks_at_their_gaps(served: Served) -> None:
    records = served.records["wire"]
    chunks = [r for r in records if r.kind is Kind.CHUNK]
    assert len(chunks) == 6 and all(r.flags & Flag.FRAMED for r in chunks)
    assert served.urls["wire"] == served.base + "/my-wire"  # --path

    def check() -> None:
        response = timed_fetch(served.urls["wire"])
        assert response.head.startswith(b"HTTP/1.1 200 OK\r\n") and b"Transfer-Encoding: chunked" in response.head
        assert b"Content-Type: text/plain; charset=utf-8" in response.head
        data, arrivals = response.chunk_arrivals()
        assert [len(d) for d in data] == [r.size for r in chunks]  # one HTTP chunk per recorded chunk, same sizes
        assert data == [r.data for r in chunks]
        head_arrival = response.arrival(response.head_end - 1)
        assert_same_gaps([head_time(records)] + [r.t for r in chunks], [head_arrival, *arrivals])
    timed(check)


def test_an_sse_capture_replays_its_events_at_their_gaps(served: Served) -> None:
    records = served.records["sse"]
    reads = [r for r in records if r.kind is Kind.CHUNK]
    events = [r for r in records if r.kind is Kind.SSE]

    def check() -> None:
        response = timed_fetch(served.urls["sse"])
        assert b"Content-Type: text/event-stream" in response.head
        data, arrivals = response.chunk_arrivals()
        assert data == [r.data for r in reads]  # one chunk per recorded read
        replayed, _ = sse_parse(b"".join(data))
        assert [(e.event, e.data, e.id, e.retry) for e in replayed] == [
            (r.sse.event, r.sse.data, r.sse.id, r.sse.retry) for r in events]
        # each event arrived with the chunk that completed it
        done = [len(sse_parse(b"".join(data[: k + 1]))[0]) for k in range(len(data))]
        event_arrivals = [arrivals[next(k for k, n in enumerate(done) if n > i)] for i in range(len(events))]
        assert len(events) >= 6
        assert_same_gaps([r.t for r in events], event_arrivals)
        assert_same_gaps([head_time(records)] + [r.t for r in reads],
                         [response.arrival(response.head_end - 1), *arrivals])
    timed(check)


def test_a_websocket_capture_replays_its_messages_at_their_gaps(served: Served) -> None:
    records = served.records["ticker"]
    messages = [r for r in records if r.kind is Kind.MESSAGE and not r.flags & Flag.OUTGOING]
    assert len(messages) == 6 and any(r.binary for r in messages)
    url = served.urls["ticker"]
    assert url.startswith("ws://")

    def check() -> None:
        received: list[tuple[float, Any]] = []
        with connect(url, proxy=None, open_timeout=30) as ws:
            opened = time.perf_counter()
            for message in ws:
                received.append((time.perf_counter(), message))
        assert [m for _, m in received] == [r.data if r.binary else (r.data or b"").decode() for r in messages]
        assert ws.close_code == 1000 and ws.close_reason == "done"
        assert_same_gaps([head_time(records)] + [r.t for r in messages], [opened] + [t for t, _ in received])
    timed(check)


def test_a_capture_that_ended_in_an_error_is_cut_the_same_way(served: Served) -> None:
    """What arrived, including the piece of the chunk the stream broke inside, then the connection closes."""
    records = served.records["truncated"]
    assert records[-1].kind is Kind.ERROR and records[-2].partial
    body = timed_fetch(served.urls["truncated"]).body
    whole = [r.data or b"" for r in records if r.kind is Kind.CHUNK and not r.partial]
    framed = b"".join(b"%x\r\n%s\r\n" % (len(d), d) for d in whole)
    assert body.startswith(framed)
    size_line, _, rest = body[len(framed):].partition(b"\r\n")
    assert rest == records[-2].data and int(size_line, 16) > len(rest)  # a chunk cut short, no last chunk


# -- the catalog -------------------------------------------------------------


def test_the_catalog_lists_each_replay_with_its_watch_text(served: Served) -> None:
    with urllib.request.urlopen(served.base + "/", timeout=30) as answer:
        entries = {entry["title"]: entry for entry in json.load(answer)}
    wire, lines, ticker = (entries[f"Replay: {name}.jsonl"] for name in ("wire", "lines", "ticker"))
    assert (wire["path"], wire["mode"], wire["group"]) == ("/my-wire", "wire", "replay")
    assert "6 HTTP chunks as recorded" in wire["watch"] and "curl --raw" in wire["watch"]
    assert (lines["path"], lines["mode"]) == ("/replay/lines", "lines")
    assert "chunk boundaries" in lines["watch"] and "unknown" in lines["watch"]
    assert ticker["mode"] == "ws" and "close 1000 'done'" in ticker["watch"]
    assert "ended in an error" in entries["Replay: truncated.jsonl"]["watch"]
    assert "Status, headers and 3 lines" in lines["watch"]


async def test_serve_and_the_app_list_a_replay_added_to_the_catalog(tmp_path: Path) -> None:
    from explorer.serve import endpoint_listing
    from explorer.tui.app import ExplorerApp

    from .apps import SIZE, until

    capture = tmp_path / "my capture!.jsonl"
    await asyncio.to_thread(record, *CAPTURES["lines"], capture)  # `get` runs its own event loop
    added = replay.add([str(capture)], [])
    try:
        assert added[0].route == "/replay/my-capture" and CATALOG[-1] is added[0]
        listing = endpoint_listing("http://127.0.0.1:1")
        assert "  lines   http://127.0.0.1:1/replay/my-capture" in listing and "Replay: my capture!.jsonl" in listing
        assert listing.endswith("\n".join(["replays:", "  http://127.0.0.1:1/replay/my-capture", textwrap.fill(
            added[0].watch, 100, initial_indent="    ", subsequent_indent="    ")]))
        app = ExplorerApp()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("ctrl+b")
            catalog = app.query_one("#catalog")
            await until(pilot, lambda: catalog.option_count == len(CATALOG))
            catalog.focus()
            catalog.highlighted = len(CATALOG) - 1
            await pilot.pause()
            assert "Replay: my capture!.jsonl" in str(catalog.get_option_at_index(len(CATALOG) - 1).prompt)
            watch = str(app.query_one("#watch").render())
            assert "/replay/my-capture" in watch and "boundaries" in watch
            await pilot.press("ctrl+q")
    finally:
        replay.remove(added)
    assert added[0] not in CATALOG and len(CATALOG) == len(CATALOG.builtin)


def test_paths_default_to_the_file_name_made_unique_and_a_file_of_several_runs_says_which(
        served: Served, tmp_path: Path) -> None:
    both = tmp_path / "two runs.jsonl"
    both.write_bytes(served.files["wire"].read_bytes() + served.files["lines"].read_bytes())
    added = replay.add([str(both), str(both)], [])
    try:
        assert [e.route for e in added] == ["/replay/two-runs", "/replay/two-runs-2"]
        assert added[0].mode == "wire" and "The file holds 2 runs: this is the first one" in added[0].watch
        for path, said in [("/hello", "is taken by the demo server"), ("/events", "is taken"),
                           ("/stream/7", "is taken"), ("/replay/two-runs", "is taken"), ("no-slash", "--path must be"),
                           ("/a b", "--path must be"), ("/a/", "--path must be")]:
            with pytest.raises(replay.ReplayError, match=said):
                replay.load(both, path)
    finally:
        replay.remove(added)


# -- what cannot be served ---------------------------------------------------


def no_response(path: Path) -> None:
    """A capture of a refused connection: an error record and no response."""
    record_url = ["get", "http://127.0.0.1:9/", "--format", "jsonl", "-o", str(path)]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(record_url)


@pytest.mark.parametrize("make, said", [
    (lambda path: None, "Cannot read the capture"),
    (lambda path: path.write_text("not a capture\n"), "is not JSON: it is no explorer capture"),
    (no_response, "holds no response: there is nothing to replay"),
])
def test_a_file_that_cannot_be_replayed_is_one_sentence(make: Any, said: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.jsonl"
    make(path)
    capsys.readouterr()
    assert main(["serve", "--replay", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("explorer serve: ") and said in err
    assert err.count("\n") == 1 and err.rstrip().endswith(".")
    assert len(CATALOG) == len(CATALOG.builtin)  # nothing was left added
