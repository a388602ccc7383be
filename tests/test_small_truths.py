"""Issue 10, small truths: header names in any case, rates of short streams, Ctrl-C, malformed hosts, IPv6."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import zlib
from pathlib import Path
from typing import Any

import pytest

from explorer.cli import main
from explorer.core import Kind, StreamRequest, open_stream

from .helpers import of_kind, run_get
from .rawserver import RawServer

ROOT = Path(__file__).resolve().parent.parent


def run_text(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["get", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# -- the header summary matches names in any case ------------------------------------------


def lower_case_gzip_response(*lines: bytes) -> list[bytes]:
    """What uvicorn sends for a StreamingResponse behind GZipMiddleware: lower-case names, gzip, chunked."""
    gzip = zlib.compressobj(wbits=31)
    chunks = [gzip.compress(line) + gzip.flush(zlib.Z_SYNC_FLUSH) for line in lines] + [gzip.flush()]
    head = (b"HTTP/1.1 200 OK\r\ndate: Sat, 01 Nov 2025 10:00:00 GMT\r\nserver: uvicorn\r\n"
            b"content-type: text/plain; charset=utf-8\r\ncontent-encoding: gzip\r\nvary: Accept-Encoding\r\n"
            b"transfer-encoding: chunked\r\n\r\n")
    return [head, *(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks if c), b"0\r\n\r\n"]


def test_header_summary_matches_lower_case_names_and_shows_them_as_sent(capsys) -> None:
    with RawServer(lower_case_gzip_response(b"one\n", b"two\n")) as server:
        status, out, _ = run_text(capsys, server.url, "--mode", "lines")
    assert status == 0
    banner = out.splitlines()[0]
    for shown in ("content-type: text/plain; charset=utf-8", "transfer-encoding: chunked",
                  "content-encoding: gzip", "server: uvicorn"):
        assert shown in banner, banner
    assert "Content-Type" not in banner and "vary" not in banner  # as sent, and only the key headers


def test_wire_mode_sees_lower_case_chunked_framing(capsys) -> None:
    with RawServer(lower_case_gzip_response(b"one\n")) as server:
        status, out, _ = run_text(capsys, server.url, "--mode", "wire")
    assert status == 0
    banner = out.splitlines()[0]
    assert "transfer-encoding: chunked" in banner and "no chunk framing" not in banner, banner


# -- --stats rates on streams shorter than a second ----------------------------------------

ROW = re.compile(r"^(chunk|line|read)\s+\d+\s+([\d.]+) (ms|s)\s")
RATE = re.compile(r"^rate: average ([\d,.]+) records/s, .*? over ([\d.]+) (ms|s)")


def seconds(value: str, unit: str) -> float:
    return float(value.replace(",", "")) / (1000 if unit == "ms" else 1)


def test_stats_rate_of_a_stream_shorter_than_a_second(capsys) -> None:
    status, out, _ = run_text(capsys, "--demo", "/tick?count=5&interval=0.02", "--mode", "lines", "--stats")
    assert status == 0
    times = [seconds(m[2], m[3]) for m in map(ROW.match, out.splitlines()) if m]
    rate = next(line for line in out.splitlines() if line.startswith("rate:"))
    assert len(times) == 5 and max(times) < 1, out
    # No 1 s peak made up from a second the stream never lasted: the average over its own length.
    assert "peak 1 s window" not in rate and "too short for a 1 s peak window" in rate, rate
    match = RATE.match(rate)
    assert match, rate
    average, span = float(match[1].replace(",", "")), seconds(match[2], match[3])
    assert span == pytest.approx(times[-1], abs=1e-4)  # request to the last arrival, as the rows show it
    assert average == pytest.approx(5 / span, rel=0.01)


def test_stats_rate_of_a_stream_over_a_second_has_a_peak_window(capsys) -> None:
    status, out, _ = run_text(capsys, "--demo", "/tick?count=12&interval=0.1", "--mode", "lines", "--stats")
    assert status == 0
    rate = next(line for line in out.splitlines() if line.startswith("rate:"))
    match = re.search(r"peak 1 s window ([\d,.]+) records/s", rate)
    assert match, rate
    assert 1 <= float(match[1].replace(",", "")) <= 12  # one second holds at least one record, at most all


def test_stats_without_data_records(capsys) -> None:
    with RawServer([b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]) as server:
        status, out, _ = run_text(capsys, server.url, "--mode", "any", "--stats")
    assert status == 0
    assert "rate: no data records" in out, out


# -- Ctrl-C writes the end record, then exits 130 ------------------------------------------


def explorer_get(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "explorer", "get", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def interrupt_after_first_data(proc: subprocess.Popen[str], data_kind: str) -> tuple[list[dict[str, Any]], str]:
    """Read JSONL until the first data record, send SIGINT, read the rest; the records and stderr."""
    assert proc.stdout is not None
    records = []
    for line in proc.stdout:
        records.append(json.loads(line))
        if records[-1]["kind"] == data_kind:
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=60)  # a guard against a hang, not a measurement
    return records + [json.loads(line) for line in out.splitlines() if line.strip()], err


@pytest.mark.parametrize(("path", "data_kind"), [("/tick?count=100&interval=0.1", "line"),
                                                 ("/ws/ticker?count=100&interval=0.1", "message")])
def test_ctrl_c_writes_the_end_record_then_exits_130(tmp_path: Path, path: str, data_kind: str) -> None:
    saved = tmp_path / "run.jsonl"
    mode = "lines" if data_kind == "line" else "ws"
    proc = explorer_get("--demo", path, "--mode", mode, "--format", "jsonl", "--output", str(saved))
    records, err = interrupt_after_first_data(proc, data_kind)
    assert proc.returncode == 130, err
    end = records[-1]
    assert end["kind"] == "end" and end["stopped"] == "interrupted", end
    data = of_kind(records, data_kind)
    assert 1 <= len(data) < 100 and end["records"] == len(data)  # stopped early, totals match what was printed
    assert end["bytes"] == sum(r["size"] for r in data)
    assert "interrupted" in err and "Traceback" not in err
    assert json.loads(saved.read_text().splitlines()[-1]) == end  # --output got it too


def test_ctrl_c_while_waiting_for_the_response(tmp_path: Path) -> None:
    """Interrupted before any response: still one end record, with the phases so far."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    received = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        conn, _ = listener.accept()
        held.append(conn)
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.recv(65536)
        received.set()  # the request is sent: explorer now waits for headers that never come

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        proc = explorer_get(f"http://127.0.0.1:{port}/", "--format", "jsonl")
        assert received.wait(60)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        for conn in held:
            conn.close()
        listener.close()
    assert proc.returncode == 130, err
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["kind"] for r in records] == ["end"]
    end = records[0]
    assert end["stopped"] == "interrupted" and end["records"] == 0
    assert end["phases"]["sent"] is not None and end["phases"]["headers"] is None


def test_ctrl_c_text_output_ends_with_end_and_phases() -> None:
    proc = explorer_get("--demo", "/tick?count=100&interval=0.1", "--mode", "lines")
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("line "):
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=60)
    lines += out.splitlines(keepends=True)
    assert proc.returncode == 130, err
    assert lines[-2].startswith("end: ") and "(interrupted)" in lines[-2], lines
    assert lines[-1].startswith("phases: ")


# -- malformed URLs are usage errors with a sentence -----------------------------------------


@pytest.mark.parametrize(("url", "words"), [
    ("http://a..b/", ["'a..b'", "empty label"]),
    ("ws://a..b/", ["'a..b'", "empty label"]),
    ("http://.example/", ["empty label"]),
    ("http://./", ["host name is empty"]),
    (f"http://{'a' * 64}.example/", ["64 characters", "at most 63"]),
    (f"http://{'abc.' * 70}example/", ["287 characters", "at most 253"]),
    ("http://[::1/", ["no closing bracket"]),
    ("http://[zz]/", ["IPv6 address between the brackets is not valid"]),
    ("http://a b/", ["contains a space"]),
    ("http://a%20b/", ["contains '%'"]),
    ("http://xn--zz/", ["'xn--zz'", "punycode"]),
    ("http://例え..jp/", ["empty label"]),
    ("http://999.1.1.1/", ["'999.1.1.1' is not an IPv4 address"]),
    ("http://:80/", ["needs a scheme", "and a host"]),
])
def test_malformed_host_is_a_usage_error_with_a_sentence(capsys, url: str, words: list[str]) -> None:
    status, out, err = run_text(capsys, url)
    assert status == 2 and out == ""
    message = err.removeprefix("explorer get: ").strip()
    for word in words:
        assert word in message, message
    assert message[0].isupper() and message.endswith(".") and not message.endswith(":.")
    assert "Unexpected" not in message and "UnicodeError" not in message and "Traceback" not in err


@pytest.mark.parametrize("url", ["http://a./", "http://under_score.invalid/", "http://xn--tda.invalid/",
                                 "http://127.0.0.1:1/", "http://[::1]:1/", "ws://example.invalid/"])
def test_well_formed_hosts_pass(url: str) -> None:
    assert StreamRequest(url).problem() is None


async def test_the_engine_reports_a_malformed_host_as_a_usage_record() -> None:
    records = [r async for r in open_stream(StreamRequest("ws://a..b/"))]
    assert [r.kind for r in records] == [Kind.ERROR]
    assert records[0].summary.type == "usage" and "empty label" in (records[0].summary.error or "")


# -- IPv6 addresses in error sentences --------------------------------------------------------


def free_ipv6_port() -> int:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
            return sock.getsockname()[1]
    except OSError:
        pytest.skip("no IPv6 loopback here")


def test_ipv6_address_is_bracketed_in_error_sentences(capsys) -> None:
    port = free_ipv6_port()
    status, records, err = run_get(capsys, f"http://[::1]:{port}/")
    assert status == 1
    error = records[-1]
    assert error["type"] == "connection_refused", error
    assert f"[::1]:{port}" in error["error"] and f" ::1:{port}" not in error["error"], error["error"]
