"""`explorer get` output: text for people, JSONL files, line splitting, Ctrl-C, a foreign server, a reader
that leaves, a full disk."""

from __future__ import annotations

import functools
import http.server
import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.core.timing import TimeBuckets
from explorer.text_output import HEADER, TextPrinter, rate_line

from .helpers import of_kind, run_get
from .rawserver import RawServer, chunked_response
from .servers.raw import ScriptServer

HOSTILE = b"\x1b]0;pwned\x07\x1b[2J[bold]red[/bold] [@click=app.quit]x[/] \x00\x7f\xe2\x80\xaeevil\r\n"


def test_text_output_is_aligned_and_sanitized(capsys: pytest.CaptureFixture[str]) -> None:
    with RawServer(chunked_response(HOSTILE, b"second line\n")) as server:
        status = main(["get", server.url, "--mode", "lines"])
    out = capsys.readouterr().out
    assert status == 0
    assert "\x1b" not in out and "\x07" not in out and "\x00" not in out and "\u202e" not in out
    assert "␛]0;pwned" in out and "[bold]red[/bold]" in out and "\\u202eevil" in out
    rows = [line for line in out.splitlines() if line.startswith("line ")]
    assert len(rows) == 2 and rows[0].index("ms") == rows[1].index("ms")
    assert out.splitlines()[-2].startswith("end: 2 records") and out.splitlines()[-1].startswith("phases: ")


def test_text_words_are_in_the_right_number_with_separators() -> None:
    one, many = TimeBuckets(), TimeBuckets()
    one.add(0.0, 10)
    for _ in range(1234):
        many.add(0.0, 10)
    assert rate_line(one) == "1 record, 10 B, all at once: no rate"
    assert rate_line(many).startswith("1,234 records, ")
    row = TextPrinter().row("line", 123_456, 1.5, 0.01, 100, "x")
    assert row == "line     123,456     1.500 s    +10.0 ms      100 B  x\n"
    assert row.index("1.500 s") + len("1.500 s") == HEADER.index("time") + len("time")  # the columns line up


def test_lines_split_crlf_lf_and_final_line_across_reads(capsys: pytest.CaptureFixture[str]) -> None:
    head, *chunks, end = chunked_response(b"one\r\ntw", b"o\nthr", b"ee\r", b"\nfour")
    script = [head] + [item for chunk in chunks for item in (chunk, ("sleep", 0.03))] + [end]
    with RawServer(script) as server:
        status, records, _ = run_get(capsys, server.url, "--mode", "lines")
    lines = of_kind(records, "line")
    assert status == 0 and [line["data"] for line in lines] == ["one", "two", "three", "four"]
    assert [line["size"] for line in lines] == [5, 4, 7, 4] and lines[-1]["newline"] is False
    assert sum(line["size"] for line in lines) == records[-1]["bytes"]


def test_output_file_holds_the_same_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "run.jsonl"
    status = main(["get", "--demo", "/ndjson?count=3&interval=0", "--output", str(target)])
    capsys.readouterr()
    written = [json.loads(line) for line in target.read_text().splitlines()]
    assert status == 0 and written[0]["kind"] == "response" and written[-1]["kind"] == "end"
    assert len(of_kind(written, "event")) == 18


def test_headers_method_and_binary_payloads(capsys: pytest.CaptureFixture[str]) -> None:
    status, records, _ = run_get(capsys, "--demo", "/stream/1", "-H", "X-Probe: yes", "--mode", "lines")
    assert status == 0 and json.loads(of_kind(records, "line")[0]["data"])["headers"]["X-Probe"] == "yes"
    status, records, _ = run_get(capsys, "--demo", "/hello", "-X", "DELETE")
    assert status == 1 and records[0]["status"] == 405


def test_ctrl_c_exits_130_after_printing_partial_data() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "explorer", "get", "--demo", "/endless?interval=0.05", "--mode", "lines",
         "--format", "jsonl"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines = [proc.stdout.readline() for _ in range(3)]
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 130
    assert [json.loads(line)["kind"] for line in lines] == ["response", "line", "line"]
    assert "Traceback" not in err and "interrupted" in err


@pytest.fixture
def stdlib_server(tmp_path: Path):
    """Python's own http.server: a server we did not write."""
    (tmp_path / "feed.ndjson").write_text("".join(json.dumps({"n": i}) + "\n" for i in range(50)))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_against_pythons_http_server(stdlib_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, records, _ = run_get(capsys, stdlib_server + "/feed.ndjson", "--mode", "lines")
    assert status == 0 and len(of_kind(records, "line")) == 50
    status, records, _ = run_get(capsys, stdlib_server + "/feed.ndjson", "--mode", "wire")
    assert status == 0 and records[-1]["framing"].startswith("none")
    status, records, _ = run_get(capsys, stdlib_server + "/missing", "--mode", "any")
    assert status == 1 and records[0]["status"] == 404 and records[-1]["type"] == "http_status"


def test_chunked_mode_reads_at_most_n_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    status, records, _ = run_get(capsys, "--demo", "/firehose?size=1000&total=10000", "--mode", "chunked",
                                 "--chunk-size", "16")
    chunks = of_kind(records, "chunk")
    assert status == 0 and all(c["size"] <= 16 for c in chunks) and len(chunks) >= 625
    assert "".join(c["data"] for c in chunks) == (("0123456789abcdef" * 63)[:999] + "\n") * 10


def test_body_from_a_file_and_method(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = tmp_path / "body.json"
    body.write_bytes(b'{"hello": "world"}' * 100)
    status, records, _ = run_get(capsys, "--demo", "/echo?size=500", "-d", f"@{body}", "-H",
                                 "Content-Type: application/json", "--mode", "wire")
    chunks = [c["data"] for c in of_kind(records, "chunk")]
    assert status == 0 and chunks[0] == "POST application/json 1800 bytes\n"
    assert [len(c) for c in chunks[1:]] == [500, 500, 500, 300] and "".join(chunks[1:]) == body.read_text()
    status, records, _ = run_get(capsys, "--demo", "/echo", "-X", "PUT", "-d", "x", "--mode", "lines")
    assert status == 0 and of_kind(records, "line")[0]["data"].startswith("PUT ")


def test_raw_keeps_content_encoding(capsys: pytest.CaptureFixture[str]) -> None:
    import base64
    import gzip

    status, records, _ = run_get(capsys, "--demo", "/gzip?count=2&interval=0", "--mode", "any", "--raw")
    raw = b"".join(base64.b64decode(c["data_b64"]) if "data_b64" in c else c["data"].encode()
                   for c in of_kind(records, "chunk"))
    assert status == 0 and raw[:2] == b"\x1f\x8b" and gzip.decompress(raw).count(b"Compressed line") == 2


# -- when the output cannot be written -------------------------------------------------------------------------

MANY_LINES = [b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
              + b"".join(b"line %d of a stream longer than any pipe buffer\n" % n for n in range(30_000))]


@pytest.mark.parametrize("fmt", ["text", "jsonl"])
def test_a_reader_that_leaves_ends_get_quietly(fmt: str) -> None:
    """`explorer get URL | head -1`: no message, no traceback, the status of a tool SIGPIPE ended (not usage's 2).

    The output is megabytes, so it cannot all fit in the pipe before the reader leaves: a write must fail.
    """
    with ScriptServer({"/many": MANY_LINES}) as server:
        proc = subprocess.Popen([sys.executable, "-m", "explorer", "get", server.url("/many"), "--mode", "lines",
                                 "--format", fmt], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read()
        assert proc.wait(timeout=120) == 141
    assert err == b""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_one_sentence(tmp_path: Path) -> None:
    with ScriptServer({"/many": MANY_LINES}) as server:
        url = server.url("/many")
        capture = subprocess.run([sys.executable, "-m", "explorer", "get", url, "-o", "/dev/full"],
                                 capture_output=True, timeout=120)
        with open("/dev/full", "wb") as full:
            stdout = subprocess.run([sys.executable, "-m", "explorer", "get", url, "--format", "jsonl"],
                                    stdout=full, stderr=subprocess.PIPE, timeout=120)
    assert capture.returncode == 1 and stdout.returncode == 1
    assert capture.stderr.decode() == "explorer get: cannot write '/dev/full': No space left on device.\n"
    assert stdout.stderr.decode() == "explorer get: cannot write to stdout: No space left on device.\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_with_the_demo_server_in_process_is_one_sentence() -> None:
    """The stream left at its first record is closed before the demo server and the loop go."""
    run = subprocess.run([sys.executable, "-m", "explorer", "get", "--demo", "/no-such-endpoint", "-o", "/dev/full"],
                         capture_output=True, timeout=120)
    assert run.returncode == 1
    assert run.stderr.decode() == "explorer get: cannot write '/dev/full': No space left on device.\n"
