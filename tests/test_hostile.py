"""Nothing a server sends can exhaust, crash or hijack explorer (issue 11): `explorer get` in a child process.

Each test points `explorer get` at a route of the hostile server (deep or
endless JSON, an endless HTTP chunk, deflate bombs, SSE without end, a
header cap passed in the read that brought the head, C1 controls in the
reason phrase). The child runs under a 1 GiB address-space limit and reports
its peak RSS, so holding what a server sends fails loudly instead of
swapping the machine; the timeout is a hang guard only. Caps are small on
the command line so ten times a cap is cheap to send.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Iterator

import orjson
import pytest

from .helpers import of_kind
from .servers.hostile import BOMB_SIZE, HostileServer

ADDRESS_SPACE = 1 << 30  # RLIMIT_AS of the child: a normal run peaks near 260 MiB of address space
PEAK_RSS = 300 * 1024 * 1024
HANG = 60  # seconds: only a hang gets here, however busy the machine
VALUE_CAP = 65536
CAPS = ("--max-value", str(VALUE_CAP), "--max-depth", "64", "--max-line", "65536")
ENDLESS = ("--max-time", "3")  # ends a stream that has no cap error
DECODED_PIECE = 1 << 20  # any mode shows a Content-Encoding bomb in decoded pieces (256 KiB today), never whole
GUARD = ("--max-time", "20")  # finite but large: only a runaway read gets here

# The limit is set in the child before explorer is imported (not with preexec_fn, which is unsafe
# while the server thread runs); the peak RSS line goes to stderr however main ends. The peak is
# VmHWM, the high-water mark of this process's own memory: ru_maxrss would carry over the RSS of
# the forked pytest process, which exec does not reset.
LAUNCHER = """\
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from explorer.cli import main
try:
    status = main(sys.argv[1:])
finally:
    peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")]
    sys.stderr.write("\\npeak_rss_kib=%s\\n" % peak[0])
sys.exit(status)
"""
PEAK_LINE = re.compile(r"^peak_rss_kib=(\d+)", re.MULTILINE)


@dataclass
class Run:
    """What one `explorer get` child left behind."""

    status: int
    out: bytes  # stdout as written, when under SMALL; else empty (scanned line by line instead)
    err: str
    peak_rss: int  # bytes; -1 when the child died before it could say
    records: list[dict[str, Any]]
    alarms: list[str]  # "Traceback" or "MemoryError" where stdout had them, and lines that are not JSON


SMALL = 1 << 20
LONG = 1024  # payloads longer than this are summed up as they are read (see `get`)


def get(url: str, *args: str, fmt: str = "jsonl", env: dict[str, str] | None = None) -> Run:
    """Run `explorer get URL ARGS --format FMT` in a child under the address-space limit.

    Stdout goes to a file and is read a line at a time: an endless stream
    prints several hundred MB in its seconds, more than a test should hold.
    So a `data` longer than LONG characters is cut to LONG and summed up in
    `data_len` and `data_run` (the one character it repeats, or None); see
    `payload`.
    """
    with tempfile.TemporaryFile() as stdout:
        proc = subprocess.run([sys.executable, "-c", LAUNCHER.format(limit=ADDRESS_SPACE), "get", url, *args,
                               "--format", fmt], stdout=stdout, stderr=subprocess.PIPE, timeout=HANG, env=env)
        size = stdout.seek(0, os.SEEK_END)
        stdout.seek(0)
        records: list[dict[str, Any]] = []
        alarms: list[str] = []
        for line in stdout:
            alarms += [word for word in ("Traceback", "MemoryError") if word.encode() in line]
            if fmt == "jsonl" and line.strip():
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:  # a line cut by a crash: `survived` says so after the exit status
                    alarms.append(f"not JSON: {line[:80]!r}")
                    continue
                data = record.get("data")
                if isinstance(data, str) and len(data) > LONG:
                    record["data_len"] = len(data)
                    record["data_run"] = data[0] if data.count(data[0]) == len(data) else None
                    record["data"] = data[:LONG]
                records.append(record)
        stdout.seek(0)
        out = stdout.read() if size <= SMALL else b""
    err = proc.stderr.decode("utf-8", "replace")
    peak = PEAK_LINE.search(err)
    return Run(proc.returncode, out, err, int(peak[1]) * 1024 if peak else -1, records, alarms)


def payload(record: dict[str, Any]) -> tuple[int, str | None]:
    """A record's `data`: its length in characters, and the one character it repeats (None if it mixes)."""
    data = record.get("data", "")
    if "data_len" in record:
        return record["data_len"], record["data_run"]
    return len(data), data[0] if data and data.count(data[0]) == len(data) else None


def brief(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """A record for an assertion message: payloads cut to 80 characters."""
    if record is None:
        return None
    return {key: value[:80] if isinstance(value, str) else value for key, value in record.items()}


def survived(run: Run) -> list[dict[str, Any]]:
    """Assert the child ended as explorer ends (no crash, no traceback, bounded memory); its records."""
    assert run.status in (0, 1), (run.status, run.err[-2000:])
    for word in ("Traceback", "MemoryError"):
        assert word not in run.err, run.err[-2000:]
    assert not run.alarms, run.alarms[:3]
    assert 0 < run.peak_rss < PEAK_RSS, f"peak RSS {run.peak_rss / 2**20:.0f} MiB"
    records = run.records
    assert records and records[-1]["kind"] in ("end", "error"), brief(records[-1] if records else None)
    return records


def cap_error(records: list[dict[str, Any]], tag: str, option: str) -> dict[str, Any]:
    """The stream's last record: an error tagged `tag` whose sentence names the cap's option."""
    last = records[-1]
    assert last["kind"] == "error" and last["type"] == tag, brief(last)
    assert option in last["error"] and "cap" in last["error"].lower(), last["error"]
    return last


def stopped_at_max_time(records: list[dict[str, Any]]) -> dict[str, Any]:
    last = records[-1]
    assert last["kind"] == "end" and "max time" in last.get("stopped", ""), brief(last)
    return last


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    with HostileServer() as hostile:
        yield hostile


def test_the_server_stops_an_endless_answer_when_the_client_leaves(server: HostileServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as client:
        client.sendall(b"GET /endless-chunk HTTP/1.1\r\nHost: x\r\n\r\n")
        assert client.recv(4096).startswith(b"HTTP/1.1 200 OK\r\n")
    deadline = time.monotonic() + HANG
    while server.active and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.active == 0


# JSON: depth, long strings, long numbers.

@pytest.mark.parametrize(("path", "tag", "option"), [
    ("/deep-json", "json_too_deep", "--max-depth"),
    ("/long-string", "value_too_large", "--max-value"),
    ("/long-number", "value_too_large", "--max-value"),
])
def test_json_past_a_cap_ends_with_its_error(server: HostileServer, path: str, tag: str, option: str) -> None:
    run = get(server.url(path), "-m", "json", *CAPS, *ENDLESS)
    records = survived(run)
    assert run.status == 1, brief(records[-1])
    cap_error(records, tag, option)
    assert records[0]["kind"] == "response" and records[0]["status"] == 200
    assert of_kind(records, "chunk"), "the reads before the error are kept"


def test_json_string_keeps_its_events_before_the_cap(server: HostileServer) -> None:
    records = survived(get(server.url("/long-string"), "-m", "json", *CAPS, *ENDLESS))
    events = [(r["event"], r["value"]) for r in of_kind(records, "event")]
    assert events[:2] == [("start_map", None), ("map_key", "a")]
    assert sum(c["size"] for c in of_kind(records, "chunk")) > VALUE_CAP


@pytest.mark.parametrize(("path", "tag", "option"), [
    ("/deep-json", "json_too_deep", "--max-depth"),
    ("/long-string", "value_too_large", "--max-value"),
])
def test_the_default_caps_hold_too(server: HostileServer, path: str, tag: str, option: str) -> None:
    records = survived(get(server.url(path), "-m", "json", "--max-time", "10"))
    cap_error(records, tag, option)


# An HTTP chunk that never ends.

def test_endless_chunk_in_wire_mode_comes_in_pieces(server: HostileServer) -> None:
    run = get(server.url("/endless-chunk"), "-m", "wire", *CAPS, *ENDLESS)
    records = survived(run)
    assert run.status == 0, brief(records[-1])
    end = stopped_at_max_time(records)
    chunks = of_kind(records, "chunk")
    assert len(chunks) >= 2
    assert all(c["size"] <= VALUE_CAP and payload(c) == (c["size"], "x") for c in chunks), brief(chunks[0])
    assert all(c.get("piece") is True for c in chunks[:-1]), brief(chunks[0])
    assert sum(c["size"] for c in chunks) == end["bytes"]


# Deflate bombs.

def test_zlib_bomb_keeps_a_capped_prefix_of_each_read(server: HostileServer) -> None:
    records = survived(get(server.url("/zlib-bomb"), "-m", "zlib", *CAPS, *GUARD))
    last = records[-1]
    assert last["kind"] == "end", brief(last)
    chunks = of_kind(records, "chunk")
    shown = [payload(c) for c in chunks if c["decoded_size"]]
    assert shown and all(size <= VALUE_CAP and run == "a" for size, run in shown), shown[:3]
    big = [c for c in chunks if c["decoded_size"] > VALUE_CAP]
    assert big, "a 64 MiB bomb has reads that decode past the cap"
    assert all(c.get("truncated") is True and payload(c)[0] == VALUE_CAP for c in big), brief(big[0])
    assert not any(c.get("truncated") for c in chunks if c["decoded_size"] <= VALUE_CAP)
    if "stopped" not in last:
        assert sum(c["decoded_size"] for c in chunks) == BOMB_SIZE
        assert sum(c["size"] for c in chunks) == last["bytes"]


def test_endless_zlib_bomb_stops_at_max_time(server: HostileServer) -> None:
    run = get(server.url("/zlib-bomb-endless"), "-m", "zlib", *CAPS, *ENDLESS)
    records = survived(run)
    assert run.status == 0, brief(records[-1])
    stopped_at_max_time(records)
    chunks = of_kind(records, "chunk")
    assert chunks and all(payload(c)[0] <= VALUE_CAP for c in chunks), brief(chunks[-1])
    assert any(c.get("truncated") is True and c["decoded_size"] > VALUE_CAP for c in chunks)


def test_gzip_bomb_in_any_mode_comes_in_decoded_pieces(server: HostileServer) -> None:
    records = survived(get(server.url("/gzip-bomb"), "-m", "any", *CAPS, *GUARD))
    last = records[-1]
    assert last["kind"] == "end", brief(last)
    chunks = of_kind(records, "chunk")
    shown = [payload(c) for c in chunks if c.get("data")]
    assert shown and all(size <= DECODED_PIECE and run == "a" for size, run in shown), shown[:3]
    if "stopped" not in last:
        assert sum(size for size, _ in shown) == BOMB_SIZE // 2


# Server-sent events.

def test_sse_line_without_end_passes_the_line_cap(server: HostileServer) -> None:
    run = get(server.url("/sse-long-line"), "-m", "sse", *CAPS, *ENDLESS)
    records = survived(run)
    assert run.status == 1 and records[0]["kind"] == "response", brief(records[-1])
    cap_error(records, "line_too_long", "--max-line")


def test_sse_event_without_end_passes_the_value_cap(server: HostileServer) -> None:
    run = get(server.url("/sse-endless-event"), "-m", "sse", *CAPS, *ENDLESS)
    records = survived(run)
    assert run.status == 1 and records[0]["kind"] == "response", brief(records[-1])
    cap_error(records, "value_too_large", "--max-value")
    assert of_kind(records, "chunk"), "the reads before the error are kept"


def test_sse_retry_too_long_for_a_number_is_ignored(server: HostileServer) -> None:
    run = get(server.url("/sse-huge-retry"), "-m", "sse", *CAPS, *ENDLESS)
    records = survived(run)
    assert run.status == 0 and records[-1]["kind"] == "end" and "stopped" not in records[-1], brief(records[-1])
    events = of_kind(records, "sse")
    assert [e["data"] for e in events] == ["first", "second"]
    assert [e["retry"] for e in events] == [None, None]


# A header cap passed in the read that brought the head and the whole body.

@pytest.mark.parametrize("mode", ["any", "wire"])
@pytest.mark.parametrize("path", ["/big-trailer", "/many-trailers"])
def test_trailer_flood_in_the_first_read_keeps_response_and_body(server: HostileServer, path: str,
                                                                 mode: str) -> None:
    run = get(server.url(path), "-m", mode, *CAPS, *ENDLESS)
    records = survived(run)
    assert run.status == 1, brief(records[-1])
    assert records[0]["kind"] == "response" and records[0]["status"] == 200
    assert "".join(c.get("data", "") for c in of_kind(records, "chunk")) == "hello"
    last = records[-1]
    assert last["kind"] == "error" and "--max-header-size" in last.get("error", ""), brief(last)


# A reason phrase carrying C1 controls and an OSC title sequence.

UNSAFE = re.compile("[\x07\x1b\x80-\x9f]")


@pytest.mark.parametrize(("fmt", "lang", "mode"), [
    ("text", "en_US.UTF-8", "auto"),
    ("text", "C.UTF-8", "auto"),
    ("jsonl", "en_US.UTF-8", "auto"),
    ("jsonl", "C.UTF-8", "auto"),
    ("text", "C.UTF-8", "wire"),  # the reason phrase as h11 reads it
])
def test_c1_controls_in_the_reason_phrase_never_reach_the_terminal(server: HostileServer, fmt: str, lang: str,
                                                                   mode: str) -> None:
    env = {**os.environ, "LANG": lang, "LC_ALL": lang}
    run = get(server.url("/c1-reason"), "-m", mode, fmt=fmt, env=env)
    assert run.status == 0, run.err[-2000:]
    assert "Traceback" not in run.err
    out = run.out.decode("utf-8")  # strict: a lone C1 byte is not UTF-8 and fails here
    assert not UNSAFE.search(out), [m[0] for m in UNSAFE.finditer(out)]
    assert not re.search(rb"\xc2[\x80-\x9f]|\x1b", run.out)
    assert "hello" in out
    if fmt == "jsonl":
        assert run.records[0]["kind"] == "response" and run.records[-1]["kind"] == "end"
