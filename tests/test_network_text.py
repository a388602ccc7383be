"""Text a server sends outside the body (reason phrase, header names and values, 1xx, redirects, trailers) is
read one way (latin-1, byte for byte) by both clients and shows escaped in text output, JSONL and captures,
whatever the locale: never a traceback, never a raw control character, never an empty capture. In the app,
file names and URLs are shown escaped too, and a capture the disk refuses stops recording, not the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from explorer.core import StreamRequest
from explorer.core.headers import wire_text
from explorer.core.jsonl import dumps
from explorer.core.sanitize import sanitize
from explorer.tui.app import ExplorerApp
from explorer.tui.widgets.headers_view import headers_text
from explorer.tui.widgets.request_bar import RequestBar

from .apps import SIZE, app_for, until_ended
from .servers.raw import CHUNKED_HEAD, ScriptServer, chunk

# C1 controls (NEL, CSI), ESC sequences (SGR, OSC title, clear screen), BEL.
HOSTILE = [
    b"HTTP/1.1 200 OK\x85\x9b31m\x1b]0;pwned\x07\r\nContent-Type: text/plain\r\n"
    b"Server: a\x85b\x1b[2Jc\x9b\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello\n"
]
ROUTES = {
    "/hostile": HOSTILE,
    "/hostile-404": [b"HTTP/1.1 404 Gone\x85\x1b[31m\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"],
    "/hostile-redirect": [b"HTTP/1.1 302 Fo\x85und\x1b[2J\r\nLocation: /hostile\r\nContent-Length: 0\r\n"
                          b"Connection: close\r\n\r\n"],
    "/hostile-meta": [  # a 1xx and trailers: what only the wire client shows
        b"HTTP/1.1 103 Ear\x85ly\x1b[31m\r\nLink: </a\x9b>\r\n\r\n",
        CHUNKED_HEAD + b"Trailer: X-Sum\r\n\r\n",
        chunk(b"hi\n"),
        b"0\r\nX-Sum: v\x85\x1b[2J\r\n\r\n",
    ],
}
LOCALES = {  # what the environment says; the output must be safe under each
    "en_US.UTF-8": {"LANG": "en_US.UTF-8"},
    "C.UTF-8": {"LANG": "C.UTF-8"},
    "LC_ALL=C": {"LC_ALL": "C"},
    "latin-1 stdout": {"LANG": "C.UTF-8", "PYTHONIOENCODING": "latin-1"},
}
CLIENTS = {"aiohttp": [], "wire": ["-m", "wire"]}


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptServer]:
    with ScriptServer(ROUTES) as running:
        yield running


def get(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """`explorer get ARGS` in a child with exactly the locale variables of `env`."""
    base = {key: value for key, value in os.environ.items()
            if not key.startswith("LC_") and key not in ("LANG", "LANGUAGE", "PYTHONIOENCODING", "PYTHONUTF8")}
    return subprocess.run([sys.executable, "-m", "explorer", "get", *args], env={**base, **(env or {})},
                          capture_output=True, timeout=120)


def assert_inert(output: bytes, encoding: str = "utf-8") -> str:
    """`output` decodes cleanly and holds no ESC, BEL or C1 control, raw or UTF-8 encoded; its text."""
    text = output.decode(encoding)  # strict: a stray byte fails here
    assert b"Traceback" not in output
    assert not any(char in text for char in "\x1b\x07"), text
    assert not any(0x80 <= ord(char) <= 0x9F for char in text), text
    assert not any(bytes([0xC2, code]) in output for code in range(0x80, 0xA0))
    return text


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("locale", LOCALES)
def test_hostile_reason_and_headers_show_escaped(server: ScriptServer, tmp_path: Path, client: str,
                                                 locale: str) -> None:
    env = LOCALES[locale]
    capture = tmp_path / "capture.jsonl"
    done = get(server.url("/hostile"), *CLIENTS[client], "-o", str(capture), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    text = assert_inert(done.stdout, env.get("PYTHONIOENCODING", "utf-8"))
    assert "OK\\x85\\x9b31m" in text and "]0;pwned" in text
    assert "a\\x85b" in text  # the Server header, shown in the response line
    records = [json.loads(line) for line in capture.read_text(encoding="utf-8").splitlines()]
    assert records[0]["reason"] == "OK\x85\x9b31m\x1b]0;pwned\x07"  # exactly the bytes sent, one char each
    assert records[0]["headers"]["Server"] == "a\x85b\x1b[2Jc\x9b"
    assert records[-1]["kind"] == "end"
    raw = capture.read_bytes()
    assert b"\\u0085" in raw and b"\\u009b" in raw and b"\\u001b" in raw
    assert_inert(raw)


@pytest.mark.parametrize("client", CLIENTS)
def test_jsonl_stdout_is_utf8_and_escaped_in_any_locale(server: ScriptServer, client: str) -> None:
    done = get(server.url("/hostile"), *CLIENTS[client], "--format", "jsonl",
               env={"LANG": "C.UTF-8", "PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0, done.stderr
    assert_inert(done.stdout)
    first = json.loads(done.stdout.splitlines()[0])
    assert first["reason"] == "OK\x85\x9b31m\x1b]0;pwned\x07"


@pytest.mark.parametrize("client", CLIENTS)
def test_error_sentence_and_redirect_quote_the_server_escaped(server: ScriptServer, client: str) -> None:
    done = get(server.url("/hostile-404"), *CLIENTS[client], env=LOCALES["en_US.UTF-8"])
    assert done.returncode == 1
    out, err = assert_inert(done.stdout), assert_inert(done.stderr)
    assert "HTTP 404 Gone\\x85␛[31m." in err and "HTTP 404 Gone\\x85␛[31m." in out
    done = get(server.url("/hostile-redirect"), *CLIENTS[client], env=LOCALES["en_US.UTF-8"])
    assert done.returncode == 0, done.stderr
    out = assert_inert(done.stdout)
    assert "redirect at" in out and "302 Fo\\x85und␛[2J" in out and "OK\\x85" in out


def test_informational_and_trailers_show_escaped(server: ScriptServer, tmp_path: Path) -> None:
    capture = tmp_path / "capture.jsonl"
    done = get(server.url("/hostile-meta"), "-m", "wire", "-o", str(capture), env=LOCALES["en_US.UTF-8"])
    assert done.returncode == 0, done.stderr
    out = assert_inert(done.stdout)
    assert "103 Ear\\x85ly␛[31m" in out and "</a\\x9b>" in out and "X-Sum: v\\x85␛[2J" in out
    records = [json.loads(line) for line in capture.read_text(encoding="utf-8").splitlines()]
    kinds = {record["kind"]: record for record in records}
    assert kinds["informational"]["reason"] == "Ear\x85ly\x1b[31m"
    assert kinds["trailers"]["trailers"] == {"X-Sum": "v\x85\x1b[2J"}
    assert_inert(capture.read_bytes())


# -- the app -----------------------------------------------------------------------------------------------


def notices(app: ExplorerApp) -> list[str]:
    return [notification.message for notification in app._notifications]  # what the toasts show


async def test_app_shows_server_text_and_file_names_escaped(server: ScriptServer, tmp_path: Path) -> None:
    unopenable = tmp_path / "missing" / "x\x1b]0;pwned\x07[b]y\udc85.jsonl"  # the last as argv's bytes become
    app = app_for(StreamRequest(server.url("/hostile")), output=str(unopenable))
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        assert app.main.session.state == "done"
        shown = notices(app)
        assert any("Cannot record to" in text and "x␛]0;pwned␇[b]y\\udc85.jsonl" in text for text in shown), shown
        assert not any(char in text for text in shown for char in "\x1b\x07\udc85")
        headers = headers_text(app.main.session.response).plain
        assert "OK\\x85\\x9b31m␛]0;pwned␇" in headers and "a\\x85b␛[2Jc\\x9b" in headers
        assert not any(char in headers for char in "\x1b\x07\x85\x9b")


async def test_a_capture_the_disk_refuses_stops_recording_not_the_app(server: ScriptServer) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    app = app_for(StreamRequest(server.url("/hostile")), output="/dev/full")
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        assert app.is_running and app.main.session.state == "done" and app.main.recorder is None
        assert "Recording to /dev/full stopped: No space left on device." in notices(app)


async def test_the_url_field_shows_controls_percent_encoded() -> None:
    app = app_for(StreamRequest("http://127.0.0.1:1/\x1b]0;pwned\x07\u202e\udc85"), start=False)
    async with app.run_test(size=SIZE):
        assert app.main.query_one(RequestBar).url == "http://127.0.0.1:1/%1B]0;pwned%07%E2%80%AE%85"


# -- the rules themselves ------------------------------------------------------------------------------------


def test_wire_text_is_latin1_from_bytes_or_from_aiohttps_surrogateescape() -> None:
    sent = b"OK\x85\xe9\xc3\xa9\xff"
    assert wire_text(sent) == "OK\x85\xe9\xc3\xa9\xff"
    assert wire_text(sent.decode("utf-8", "surrogateescape")) == wire_text(sent)  # as aiohttp hands it over
    assert wire_text("\ud800") == "\\ud800"  # a surrogate no decoder made stays visible


def test_sanitize_and_jsonl_take_lone_surrogates() -> None:
    shown = sanitize("a\udc85b\ud800")
    assert shown == "a\\udc85b\\ud800"
    shown.encode("utf-8")  # encodable: no write can fail on it
    line = dumps({"reason": "x\udc85\x85", "key\ud800": 1})
    line.encode("utf-8")
    assert json.loads(line) == {"reason": "x\udc85\x85", "key\ufffd": 1}  # a value round-trips; a key is replaced
    assert "\\udc85" in line and "\\u0085" in line
