"""Slow and silent servers, TLS over WebSockets, and nothing lost when a run is killed."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import trustme
import websockets.sync.server

from explorer.core import StreamRequest
from explorer.tui.widgets.chunk_log import ChunkLog, Note

from .apps import app_for, until
from .helpers import of_kind, run_get
from .rawserver import RawServer

HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"


def test_headers_then_nothing_ends_at_the_idle_limit(capsys: pytest.CaptureFixture[str]) -> None:
    with RawServer([HEAD, ("hang",)]) as server:
        started = time.perf_counter()
        status, records, _ = run_get(capsys, server.url, "--mode", "lines", "--idle-timeout", "0.4")
    assert status == 1 and time.perf_counter() - started < 15  # ends at the limit, not when the server gives up (30 s)
    assert records[0]["kind"] == "response" and records[-1]["type"] == "ttfb_timeout"
    assert "sent headers, then no data within the 0.4 s" in records[-1]["error"]


def test_trickle_ends_cleanly_at_max_time(capsys: pytest.CaptureFixture[str]) -> None:
    script = [HEAD] + [item for i in range(200) for item in (b"1\r\n%d\r\n" % (i % 10), ("sleep", 0.1))]
    with RawServer(script) as server:
        status, records, _ = run_get(capsys, server.url, "--mode", "any", "--idle-timeout", "1",
                                     "--max-time", "0.8")
    assert status == 0 and records[-1]["kind"] == "end" and "max time of 0.8 s" in records[-1]["stopped"]
    chunks = of_kind(records, "chunk")
    received = "".join(c["data"] for c in chunks)
    assert received == "".join(str(i % 10) for i in range(len(received))) and records[-1]["bytes"] == len(received)
    assert 2 <= len(chunks) <= len(received) < 200  # read as it trickled in; stopped long before the 20 s script ends
    assert 0.8 * 0.99 <= records[-1]["duration"] < 10


async def test_stop_ends_a_silent_stream_at_once() -> None:
    with RawServer([("hang",)]) as server:
        app = app_for(StreamRequest(server.url, mode="lines"))
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.main.session.state == "connecting")  # the start comes after a frame
            started = time.perf_counter()
            await pilot.press("ctrl+g")
            assert app.main.session.state == "stopped" and time.perf_counter() - started < 10  # not the 30 s hang
            # the worker's cancellation unwinds on its own time on a busy machine: wait for it, don't time it
            await until(pilot, lambda: not [w for w in app.workers if w.group == "stream" and w.is_running])
            assert isinstance(list(app.query_one("#log", ChunkLog).rows)[-1], Note)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def wss_server(ca: trustme.CA) -> Iterator[str]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)

    def handler(ws: websockets.sync.server.ServerConnection) -> None:
        for i in range(3):
            ws.send(f"secure {i}")
        ws.close(1000, "bye")

    with websockets.sync.server.serve(handler, "127.0.0.1", 0, ssl=context) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"wss://127.0.0.1:{server.socket.getsockname()[1]}/"
        server.shutdown()


def test_wss_with_cacert_insecure_and_untrusted(wss_server: str, ca: trustme.CA, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    status, records, _ = run_get(capsys, wss_server)
    assert status == 1 and records[-1]["type"] == "tls"
    assert "certificate of 127.0.0.1 was rejected" in records[-1]["error"]
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    status, records, _ = run_get(capsys, wss_server, "--cacert", str(ca_file))
    assert status == 0 and [m["data"] for m in of_kind(records, "message")] == ["secure 0", "secure 1", "secure 2"]
    status, records, err = run_get(capsys, wss_server, "--insecure")
    assert status == 0 and len(of_kind(records, "message")) == 3 and "not verified" in err


def test_killed_run_leaves_valid_jsonl(tmp_path: Path) -> None:
    target = tmp_path / "partial.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "explorer", "get", "--demo", "/endless?interval=0.01", "--mode", "lines",
         "--format", "jsonl", "--output", str(target)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    printed = [proc.stdout.readline() for _ in range(30)]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=5)
    lines = target.read_text().split("\n")
    complete = [json.loads(line) for line in lines[:-1]]
    assert len(complete) >= 29 and complete[0]["kind"] == "response"
    assert [r["seq"] for r in complete[1:]] == list(range(len(complete) - 1))
    assert [json.loads(line) for line in printed[:29]] == complete[:29]
