"""`explorer --web`: the app served to a browser by textual-serve.

The server runs as a real subprocess (`python -m explorer --web ...`), ended in a
`finally` with SIGINT as Ctrl-C would. The browser test loads the page in a
headless Chromium through Playwright and waits for the demo catalog to show in
the terminal xterm.js draws; it skips, saying why, where no browser can start.

xterm.js draws on a canvas (textual-serve loads its WebGL and canvas renderers),
so the screen's text is not in the DOM. The test serves the page's textual.js
with one option added, `screenReaderMode`, which makes xterm.js mirror every row
of the screen as text in `.xterm-accessibility-tree`; everything else is the
page as a user gets it.
"""

from __future__ import annotations

import http.client
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from explorer.web import app_arguments, app_command, page_url

WAIT = 60.0  # seconds: a hang catcher on a loaded machine, not a timing assertion
CATALOG_TEXT = "Hello, World!"  # the demo catalog's first entry, "Hello, World! in two writes"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WebServer:
    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}/"

    def stop(self) -> tuple[int, str, str]:
        """Ctrl-C (SIGINT), as a person would; its exit status, stdout and stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            out, err = self.process.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate()
        return self.process.returncode, out, err


@contextmanager
def web_server(*args: str, port: int | None = None) -> Iterator[WebServer]:
    """`explorer --web --port P --demo ARGS` until the block ends; P is a free port unless given (0 too)."""
    port = free_port() if port is None else port
    process = subprocess.Popen([sys.executable, "-m", "explorer", "--web", "--port", str(port), "--demo", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if port == 0:
            port = printed_port(process)
        server = WebServer(process, port)
        wait_for_http(server)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                process.kill()
        if process.stdout and not process.stdout.closed:
            process.communicate()


def printed_port(process: subprocess.Popen[str]) -> int:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], WAIT)
    line = process.stdout.readline() if ready else ""
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    assert match, f"no URL printed: {line!r}"
    return int(match.group(1))


def wait_for_http(server: WebServer) -> None:
    deadline = time.monotonic() + WAIT
    while True:
        if server.process.poll() is not None:
            _, out, err = server.stop()
            pytest.fail(f"explorer --web exited {server.process.returncode}: {out} {err}")
        try:
            with urllib.request.urlopen(server.url, timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"{server.url} did not answer within {WAIT:.0f} s")
            time.sleep(0.1)


def get(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_page_is_textual_serves_with_urls_on_the_host_asked_for() -> None:
    with web_server() as server:
        status, page = get(server.url)
        assert status == 200
        assert 'class="textual-terminal"' in page and f"http://127.0.0.1:{server.port}/static/js/textual.js" in page
        assert f'data-session-websocket-url="ws://127.0.0.1:{server.port}/ws"' in page
        status, page = get(server.url, Host=f"localhost:{server.port}")  # same server, another loopback name
        assert status == 200 and f'"ws://localhost:{server.port}/ws"' in page
        status, _ = get(f"{server.url}static/js/textual.js")
        assert status == 200
        code, out, err = server.stop()
    assert code == 0
    assert out.splitlines()[0] == f"explorer: the app on {server.url}  (Ctrl-C to stop)"
    assert "-m explorer --demo" in out and "--web" not in out and "--port" not in out
    assert err == "explorer: stopped.\n"


def test_port_0_picks_a_free_port_and_prints_it() -> None:
    with web_server(port=0) as server:
        assert server.port != 0
        assert get(server.url)[0] == 200


def test_a_foreign_host_and_a_foreign_websocket_origin_are_refused() -> None:
    with web_server() as server:
        status, text = get(server.url, Host="attacker.example")  # DNS rebinding: a foreign name, a loopback address
        assert status == 421 and "loopback" in text
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
        try:  # a page elsewhere opening the session WebSocket
            connection.request("GET", "/ws", headers={
                "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "http://attacker.example"})
            response = connection.getresponse()
            assert response.status == 403 and b"Origin" in response.read()
        finally:
            connection.close()


@pytest.mark.parametrize("args, message", [
    (["--port", "70000"], "explorer: --port must be between 0 and 65535, not 70000.\n"),
    (["--env-file", "/nonexistent/.env"], "explorer: The env file '/nonexistent/.env' does not exist.\n"),
])
def test_usage_errors_exit_2_with_one_sentence(args: list[str], message: str) -> None:
    result = subprocess.run([sys.executable, "-m", "explorer", "--web", *args], capture_output=True, text=True,
                            timeout=WAIT)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", message)


def test_a_port_in_use_is_one_sentence_and_exit_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "explorer", "--web", "--port", str(port)],
                                capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 1
    assert result.stderr.startswith(f"explorer: cannot listen on 127.0.0.1:{port}: ") and result.stderr.count("\n") == 1


@pytest.mark.parametrize("argv, rest", [
    (["--web", "--port", "9000", "--demo"], ["--demo"]),
    (["--demo", "--web", "--port=0", "--host", "0.0.0.0", "/sse"], ["--demo", "/sse"]),
    (["--we", "--po", "1", "--ho=::", "https://example.com/feed", "-m", "lines"],
     ["https://example.com/feed", "-m", "lines"]),
    (["-H", "X-Port: 1", "--web", "-o", "run.jsonl"], ["-H", "X-Port: 1", "-o", "run.jsonl"]),
    (["--web", "--", "--port"], ["--", "--port"]),
])
def test_a_session_runs_the_app_with_the_arguments_minus_the_web_ones(argv: list[str], rest: list[str]) -> None:
    assert app_arguments(argv) == rest
    assert app_command(argv) == [sys.executable, "-m", "explorer", *rest]


def test_page_url_names_this_machine_for_a_wildcard() -> None:
    assert page_url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert page_url("0.0.0.0", 80) == "http://127.0.0.1:80/"
    assert page_url("::", 8000) == "http://[::1]:8000/"
    assert page_url("localhost", 1) == "http://localhost:1/"


def launch_chromium(playwright: Any) -> Any:
    """Debian's chromium (or $EXPLORER_CHROMIUM), else Playwright's own download; skip when none starts."""
    from playwright.sync_api import Error

    executable = os.environ.get("EXPLORER_CHROMIUM") or next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    try:
        return playwright.chromium.launch(executable_path=executable)
    except Error as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        pytest.skip(f"no headless Chromium could start ({executable or 'Playwright download'}): {first_line}")


def test_the_app_shows_its_catalog_in_a_real_browser_and_ctrl_c_ends_it_cleanly() -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")

    def with_screen_reader_mode(route: Any) -> None:
        response = route.fetch()
        script, found = re.subn(r"new (\w+)\.Terminal\(\{", r"new \1.Terminal({screenReaderMode:!0,", response.text())
        assert found == 1, "textual-serve's textual.js no longer makes its xterm.js Terminal as this test expects"
        route.fulfill(response=response, body=script)

    with web_server() as server, sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.route("**/static/js/textual.js", with_screen_reader_mode)
            page.goto(server.url, timeout=WAIT * 1000)
            page.wait_for_function(
                "text => (document.querySelector('.xterm-accessibility-tree')?.innerText || '').includes(text)",
                arg=CATALOG_TEXT, timeout=WAIT * 1000)
            screen = page.locator(".xterm-accessibility-tree").inner_text()
            assert "watch a stream arrive" in screen  # the app's title
            assert "Demo server" in screen and "LLM-style token stream" in screen  # the catalog, all of it
            rows, widest = page.evaluate(
                "() => { const rows = [...document.querySelector('.xterm-accessibility-tree').children];"
                " return [rows.length, Math.max(...rows.map(row => row.textContent.length))]; }")
            assert rows >= 30 and widest > 100, (rows, widest)  # the app is at the tab's size, not 80x24
            code, out, err = server.stop()  # Ctrl-C with a session open
            page.wait_for_function("document.body.classList.contains('-closed')", timeout=WAIT * 1000)
        finally:
            browser.close()
    assert code == 0 and err == "explorer: stopped.\n", (out, err)
