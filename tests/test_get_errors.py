"""Each failure provoked for real: a readable error record, data before it kept, exit 1."""

from __future__ import annotations

import re
import socket
import threading
import zlib
from typing import Iterator

import pytest
import trustme
import websockets.sync.server

from .helpers import of_kind, run_get
from .rawserver import RawServer, chunked_response


def assert_error(records: list[dict], kind: str, *words: str) -> dict:
    error = records[-1]
    assert error["kind"] == "error" and error["type"] == kind, error
    for word in words:
        assert word in error["error"], error["error"]
    assert error["error"][0].isupper() and error["error"].endswith(".")
    return error


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    status, records, err = run_get(capsys, f"http://127.0.0.1:{port}/")
    assert status == 1
    assert_error(records, "connection_refused", f"127.0.0.1:{port}", "nothing is listening")
    assert "Connection refused" in err and "Traceback" not in err


def test_dns_failure(capsys: pytest.CaptureFixture[str]) -> None:
    status, records, _ = run_get(capsys, "http://no-such-host.invalid/")
    assert status == 1
    assert_error(records, "dns", "no-such-host.invalid")


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_server(ca: trustme.CA, script: list) -> RawServer:
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return RawServer(script, tls=context)


def test_tls_untrusted_certificate_then_cacert_and_insecure(ca: trustme.CA, tmp_path, capsys) -> None:
    body = chunked_response(b"secret hello\n")
    with tls_server(ca, body) as server:
        status, records, _ = run_get(capsys, server.url, "--mode", "lines")
        assert status == 1
        assert_error(records, "tls", "127.0.0.1", "certificate")
        ca_file = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        status, records, _ = run_get(capsys, server.url, "--mode", "lines", "--cacert", str(ca_file))
        assert status == 0 and of_kind(records, "line")[0]["data"] == "secret hello"
        status, records, _ = run_get(capsys, server.url, "--mode", "lines", "--insecure")
        assert status == 0 and of_kind(records, "line")[0]["data"] == "secret hello"


def test_http_error_status_shows_status_and_keeps_body(capsys: pytest.CaptureFixture[str]) -> None:
    status, records, _ = run_get(capsys, "--demo", "/fault/status?code=418")
    assert status == 1
    assert records[0]["status"] == 418
    assert "demo error 418" in of_kind(records, "chunk")[0]["data"]
    assert_error(records, "http_status", "418")


def test_chunked_body_cut_short(capsys: pytest.CaptureFixture[str]) -> None:
    script = chunked_response(b"one\n", b"two\n", end=False) + [b"100\r\nthree"]
    with RawServer(script) as server:
        status, records, _ = run_get(capsys, server.url, "--mode", "wire")
    assert status == 1
    assert [c["data"] for c in of_kind(records, "chunk")] == ["one\n", "two\n", "three"]
    assert of_kind(records, "chunk")[-1]["partial"] is True
    assert_error(records, "truncated", "cut short")


def test_content_length_body_cut_short(capsys: pytest.CaptureFixture[str]) -> None:
    script = [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b"]
    with RawServer(script) as server:
        status, records, _ = run_get(capsys, server.url, "--mode", "any")
    assert status == 1 and "".join(c["data"] for c in of_kind(records, "chunk")) == "only ten b"
    assert_error(records, "truncated", "10 of 100")


def test_malformed_chunk_framing(capsys: pytest.CaptureFixture[str]) -> None:
    script = chunked_response(b"fine\n", end=False) + [("sleep", 0.05), b"ZZ\r\nbad\r\n"]
    with RawServer(script) as server:
        status, records, _ = run_get(capsys, server.url, "--mode", "wire")
    assert status == 1 and of_kind(records, "chunk")[0]["data"] == "fine\n"
    assert_error(records, "bad_framing", "malformed HTTP")


def test_connection_reset(capsys: pytest.CaptureFixture[str]) -> None:
    script = chunked_response(b"before reset\n", end=False) + [("sleep", 0.05), ("reset",)]
    with RawServer(script) as server:
        status, records, _ = run_get(capsys, server.url, "--mode", "lines")
    assert status == 1 and of_kind(records, "line")[0]["data"] == "before reset"
    assert_error(records, "reset", "reset the connection")


def test_idle_timeout_after_data(capsys: pytest.CaptureFixture[str]) -> None:
    status, records, _ = run_get(capsys, "--demo", "/fault/stall?count=2&interval=0.01&stall=30", "--mode", "lines",
                                 "--idle-timeout", "0.3")
    assert status == 1 and len(of_kind(records, "line")) == 2
    error = assert_error(records, "idle_timeout", "0.3 s")
    assert error["t"] >= 0.3 and error["t"] - of_kind(records, "line")[-1]["t"] >= 0.3 / 2  # not before the idle limit
    assert error["t"] < 10  # and long before the 30 s stall ends


def test_time_to_first_byte_over_the_limit(capsys: pytest.CaptureFixture[str]) -> None:
    with RawServer([("hang",)]) as server:
        status, records, _ = run_get(capsys, server.url, "--idle-timeout", "0.3")
    assert status == 1
    assert_error(records, "ttfb_timeout", "No response within", "0.3 s")


def test_invalid_json_keeps_earlier_events(capsys: pytest.CaptureFixture[str]) -> None:
    head, one, two, bad, end = chunked_response(b'{"a": 1}\n', b'{"b": 2}\n', b'{"c": nope}\n',
                                                headers="Content-Type: application/json")
    script = [head, one, two, ("sleep", 0.1), bad, end]
    with RawServer(script) as server:
        status, records, _ = run_get(capsys, server.url)
    assert status == 1
    values = [e["value"] for e in of_kind(records, "event") if e["event"] == "number"]
    assert values == [1, 2]
    error = assert_error(records, "invalid_json", "Invalid JSON in bytes ")
    # the range is the failing read's: bytes 18-30 (the bad line) unless the client merged it with earlier reads
    start, end = map(int, re.search(r"bytes (\d+)-(\d+)", error["error"]).groups())
    assert start in (0, 9, 18) and end == 30, error["error"]


def test_truncated_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    script = chunked_response(b'[1, 2, ', headers="Content-Type: application/json")
    with RawServer(script) as server:
        status, records, _ = run_get(capsys, server.url)
    assert status == 1 and [e["value"] for e in of_kind(records, "event") if e["event"] == "number"] == [1, 2]
    assert_error(records, "invalid_json", "ended early")


def test_invalid_zlib_data(capsys: pytest.CaptureFixture[str]) -> None:
    script = chunked_response(zlib.compress(b"good member"), b"\x78\x9c this is not deflate")
    with RawServer(script) as server:
        status, records, _ = run_get(capsys, server.url, "--mode", "zlib")
    assert status == 1 and of_kind(records, "chunk")[0]["data"] == "good member"
    assert_error(records, "invalid_zlib", "member 2")


def test_line_over_the_cap(capsys: pytest.CaptureFixture[str]) -> None:
    status, records, _ = run_get(capsys, "--demo", "/fault/long-line?size=3000000", "--mode", "lines")
    assert status == 1 and of_kind(records, "line")[0]["data"] == "short line before"
    assert_error(records, "line_too_long", "1,048,576 byte line cap", "--max-line")


@pytest.fixture
def ws_closing_1011() -> Iterator[str]:
    def handler(ws: websockets.sync.server.ServerConnection) -> None:
        ws.send("first")
        ws.send(b"\x01\x02")
        ws.close(1011, "database on fire")

    with websockets.sync.server.serve(handler, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/"
        server.shutdown()


def test_websocket_closed_with_error_code(ws_closing_1011: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, records, _ = run_get(capsys, ws_closing_1011)
    assert status == 1 and [m["type"] for m in of_kind(records, "message")] == ["text", "binary"]
    assert_error(records, "ws_closed", "1011", "internal server error", "database on fire")


def test_websocket_handshake_refused(capsys: pytest.CaptureFixture[str]) -> None:
    status, records, _ = run_get(capsys, "--demo", "/no-such-socket", "--mode", "ws")
    assert status == 1
    assert_error(records, "ws_handshake", "HTTP 404")


@pytest.mark.parametrize("args", [
    ["notaurl"], ["ftp://example.com/"], ["http://x/", "-H", "no colon"], ["http://x/", "--chunk-size", "0"],
    ["http://x/", "-d", "@/no/such/file"], ["ws://x/", "--mode", "lines"],
])
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, records, err = run_get(capsys, *args)
    assert status == 2 and records == [] and err.startswith("explorer get: ")
