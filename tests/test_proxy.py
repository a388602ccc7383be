"""Proxies as curl has them: the rules of `proxy_for`, then real streams through a real forward proxy.

The proxy (tests/servers/proxy.py) runs on its own loop in a thread and
records every request head it gets, so each test can say whether explorer
went through it, and how: absolute-form for http://, CONNECT for https://.
"""

from __future__ import annotations

import base64
import os
import socket
import ssl
from typing import Iterator

import pytest
import trustme
import websockets
from yarl import URL

from explorer.core.connect import connect_via
from explorer.core.context import StreamContext
from explorer.core.errors import StreamError
from explorer.core.proxy import describe_proxy, proxy_for, proxy_to_use
from explorer.core.request import StreamRequest
from explorer.demo import DemoServer

from .helpers import of_kind, run_get
from .rawserver import RawServer, chunked_response
from .servers.proxy import ForwardProxy
from .servers.raw import ScriptServer

CLIENTS = ["lines", "wire"]  # aiohttp, and the wire-level h11 client
NDJSON = "/ndjson?count=3&interval=0.01"
HELLO = chunked_response(b"hello\n", b"world\n")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy variable of the developer's reaches these tests (nor REQUEST_METHOD, which hides HTTP_PROXY)."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            monkeypatch.delenv(name)


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy() as server:
        yield server


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def tls_server(ca: trustme.CA, script: list) -> RawServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return RawServer(script, tls=context)


def assert_error(records: list[dict], kind: str, *words: str) -> dict:
    """The last record is an error of `kind`: one sentence holding every one of `words`."""
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


def lines_of(records: list[dict]) -> list[str]:
    """The text lines that arrived: line records (lines mode), or the wire chunks' text split (wire mode)."""
    if of_kind(records, "line"):
        return [r["data"] for r in of_kind(records, "line")]
    return "".join(r["data"] for r in of_kind(records, "chunk")).splitlines()


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


# -- the rules ---------------------------------------------------------------------------------------------------


def test_an_explicit_proxy_wins_over_the_environment_and_applies_to_loopback(monkeypatch) -> None:
    monkeypatch.setenv("http_proxy", "http://from-env:1")
    request = StreamRequest("http://127.0.0.1:8000/", proxy="127.0.0.1:3128")
    assert proxy_for(request) == "http://127.0.0.1:3128"  # no scheme: http://
    assert describe_proxy(request) == "via proxy http://127.0.0.1:3128 (from --proxy)"


def test_an_empty_proxy_turns_proxies_off(monkeypatch) -> None:
    monkeypatch.setenv("https_proxy", "http://from-env:1")
    request = StreamRequest("https://example.com/", proxy="")
    assert proxy_for(request) is None
    assert describe_proxy(request).startswith("direct")


@pytest.mark.parametrize(("url", "variable"), [
    ("http://example.com/", "http_proxy"),
    ("ws://example.com/", "http_proxy"),
    ("https://example.com/", "https_proxy"),
    ("wss://example.com/", "https_proxy"),
])
def test_the_scheme_picks_the_variable(monkeypatch, url: str, variable: str) -> None:
    monkeypatch.setenv("http_proxy", "http://plain:1")
    monkeypatch.setenv("https_proxy", "http://secure:2")
    expected = "http://plain:1" if variable == "http_proxy" else "http://secure:2"
    assert proxy_for(StreamRequest(url)) == expected
    assert describe_proxy(StreamRequest(url)) == f"via proxy {expected} (from {variable})"


def test_all_proxy_is_the_fallback_and_lower_case_wins(monkeypatch) -> None:
    monkeypatch.setenv("ALL_PROXY", "http://all:1")
    assert proxy_for(StreamRequest("https://example.com/")) == "http://all:1"
    assert describe_proxy(StreamRequest("https://example.com/")).endswith("(from ALL_PROXY)")
    monkeypatch.setenv("HTTPS_PROXY", "http://upper:2")
    assert proxy_for(StreamRequest("https://example.com/")) == "http://upper:2"
    monkeypatch.setenv("https_proxy", "http://lower:3")
    assert proxy_for(StreamRequest("https://example.com/")) == "http://lower:3"
    assert describe_proxy(StreamRequest("https://example.com/")).endswith("(from https_proxy)")
    monkeypatch.setenv("https_proxy", "")  # an empty lower-case variable unsets the upper-case one, as in curl
    assert proxy_for(StreamRequest("https://example.com/")) == "http://all:1"


def test_upper_case_http_proxy_is_honoured(monkeypatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://upper:1")
    assert proxy_for(StreamRequest("http://example.com/")) == "http://upper:1"


@pytest.mark.parametrize("url", ["http://localhost:8000/", "http://127.0.0.1/", "http://127.9.9.9/",
                                 "https://[::1]:8443/", "ws://LOCALHOST./", "http://app.localhost/"])
def test_loopback_never_takes_a_proxy_from_the_environment(monkeypatch, url: str) -> None:
    monkeypatch.setenv("http_proxy", "http://proxy:1")
    monkeypatch.setenv("https_proxy", "http://proxy:1")
    assert proxy_for(StreamRequest(url)) is None
    assert describe_proxy(StreamRequest(url)) == "direct (loopback is never proxied from the environment)"
    assert proxy_for(StreamRequest(url, proxy="http://proxy:1")) == "http://proxy:1"


@pytest.mark.parametrize(("hosts", "url", "direct"), [
    ("example.com", "http://example.com/", True),
    ("example.com", "http://api.example.com/", True),
    (".example.com", "http://example.com/", True),
    (".example.com", "http://a.b.example.com/", True),
    ("example.com", "http://badexample.com/", False),
    ("EXAMPLE.com", "http://Example.COM/", True),
    ("other.org, example.com", "http://example.com/", True),
    ("example.com:8080", "http://example.com:8080/", True),
    ("example.com:8080", "http://example.com/", False),
    ("*", "https://anything.example/", True),
    ("10.1.2.3", "http://10.1.2.3/", True),
    ("2.3", "http://10.1.2.3/", False),  # the stdlib matcher would suffix-match this
    ("10.0.0.0/8", "http://10.200.0.1/", True),
    ("10.0.0.0/8", "http://11.0.0.1/", False),
    ("10.1.2.3:443", "https://10.1.2.3/", True),
    ("10.1.2.3:443", "http://10.1.2.3/", False),
    ("2001:db8::/32", "http://[2001:db8::5]/", True),
    ("[2001:db8::1]:443", "https://[2001:db8::1]/", True),
    ("[2001:db8::1]:443", "https://[2001:db8::2]/", False),
])
def test_no_proxy_hosts(monkeypatch, hosts: str, url: str, direct: bool) -> None:
    monkeypatch.setenv("http_proxy", "http://proxy:1")
    monkeypatch.setenv("https_proxy", "http://proxy:1")
    monkeypatch.setenv("NO_PROXY", hosts)
    assert (proxy_for(StreamRequest(url)) is None) is direct
    assert (proxy_for(StreamRequest(url, proxy="http://proxy:1")) is None) is direct  # NO_PROXY binds --proxy too
    monkeypatch.delenv("NO_PROXY")
    assert (proxy_for(StreamRequest(url, noproxy=hosts)) is None) is direct
    assert describe_proxy(StreamRequest(url, noproxy=hosts)).startswith("direct (--noproxy matches" if direct
                                                                         else "via proxy http://proxy:1")


def test_noproxy_overrides_no_proxy(monkeypatch) -> None:
    monkeypatch.setenv("https_proxy", "http://proxy:1")
    monkeypatch.setenv("no_proxy", "example.com")
    assert proxy_for(StreamRequest("https://example.com/")) is None
    assert describe_proxy(StreamRequest("https://example.com/")) == "direct (no_proxy matches example.com)"
    assert proxy_for(StreamRequest("https://example.com/", noproxy="")) == "http://proxy:1"
    assert proxy_for(StreamRequest("https://example.com/", noproxy="other.org")) == "http://proxy:1"


def test_credentials_become_proxy_authorization_and_never_show() -> None:
    request = StreamRequest("https://example.com/", proxy="http://user:p%40ss@proxy.example")
    used = proxy_to_use(request, URL(request.url))
    assert used is not None and (used.host, used.port) == ("proxy.example", 1080)  # curl's default port
    assert used.authorization == basic("user:p@ss")
    assert describe_proxy(request) == "via proxy http://proxy.example:1080 (from --proxy)"


@pytest.mark.parametrize("value", ["socks5://user:hunter2@127.0.0.1:1080", "socks5h://proxy", "https://proxy:443"])
def test_only_http_proxies_are_supported(value: str) -> None:
    request = StreamRequest("http://example.com/", proxy=value)
    with pytest.raises(StreamError) as raised:
        proxy_to_use(request, URL(request.url))
    assert raised.value.type == "proxy" and "only http:// proxies" in raised.value.message
    assert "hunter2" not in raised.value.message and "hunter2" not in describe_proxy(request)
    assert describe_proxy(request) == f"unusable proxy: {raised.value.message}"
    assert raised.value.message.count(".") >= 1 and raised.value.message.endswith(".")


# -- through a real proxy --------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", CLIENTS)
def test_http_goes_to_the_proxy_in_absolute_form(proxy: ForwardProxy, mode: str, capsys) -> None:
    status, records, err = run_get(capsys, "--demo", NDJSON, "-m", mode, "--proxy", proxy.url())
    assert status == 0, err
    [(method, target)] = proxy.requests
    assert method == "GET" and target.startswith("http://127.0.0.1:") and target.endswith(NDJSON)
    assert target == records[0]["url"]
    data = "".join(r["data"] for r in records if r["kind"] in ("line", "chunk"))
    assert data.count('"name": "Item') == 3
    phases = records[-1]["phases"]
    assert phases["dns"] is None  # the proxy is an IP address: nothing to resolve
    assert phases["connect"] is not None and phases["sent"] is not None and phases["first_byte"] is not None


@pytest.mark.parametrize("mode", CLIENTS)
def test_dns_marks_the_proxy_host(proxy: ForwardProxy, mode: str, capsys) -> None:
    status, records, err = run_get(capsys, "--demo", NDJSON, "-m", mode, "--proxy", f"localhost:{proxy.port}")
    assert status == 0, err
    assert len(proxy.requests) == 1
    phases = records[-1]["phases"]
    assert phases["dns"] is not None and phases["connect"] is not None
    assert phases["dns"] <= phases["sent"]


def test_the_environment_never_proxies_the_loopback_demo(proxy: ForwardProxy, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url())
    monkeypatch.setenv("http_proxy", proxy.url())
    monkeypatch.setenv("ALL_PROXY", proxy.url())
    status, records, _ = run_get(capsys, "--demo", NDJSON, "-m", "lines")
    assert status == 0 and len(of_kind(records, "line")) == 3
    assert proxy.requests == []


@pytest.mark.parametrize("mode", CLIENTS)
def test_noproxy_star_goes_direct(proxy: ForwardProxy, mode: str, capsys) -> None:
    status, records, _ = run_get(capsys, "--demo", NDJSON, "-m", mode, "--proxy", proxy.url(), "--noproxy", "*")
    assert status == 0 and records[-1]["kind"] == "end"
    assert proxy.requests == []


def test_no_proxy_binds_an_explicit_proxy_until_noproxy_overrides_it(proxy: ForwardProxy, monkeypatch,
                                                                     capsys) -> None:
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    status, _, _ = run_get(capsys, "--demo", NDJSON, "-m", "lines", "--proxy", proxy.url())
    assert status == 0 and proxy.requests == []
    status, _, _ = run_get(capsys, "--demo", NDJSON, "-m", "lines", "--proxy", proxy.url(), "--noproxy", "")
    assert status == 0 and len(proxy.requests) == 1


@pytest.mark.parametrize("mode", CLIENTS)
def test_the_environment_proxy_reaches_what_only_it_can_resolve(mode: str, monkeypatch, capsys) -> None:
    """upstream.invalid resolves only inside the proxy: the stream works through it, and fails direct."""
    with ScriptServer({"/hello": HELLO}) as upstream, ForwardProxy(hosts={"upstream.invalid": "127.0.0.1"}) as proxy:
        url = f"http://upstream.invalid:{upstream.port}/hello"
        monkeypatch.setenv("http_proxy", proxy.url())
        status, records, err = run_get(capsys, url, "-m", mode)
        assert status == 0, err
        assert lines_of(records) == ["hello", "world"]
        assert proxy.requests == [("GET", url)]
        monkeypatch.setenv("no_proxy", ".invalid")
        status, records, _ = run_get(capsys, url, "-m", mode)
        assert status == 1
        assert_error(records, "dns", "upstream.invalid")
        assert len(proxy.requests) == 1


@pytest.mark.parametrize("mode", CLIENTS)
def test_https_goes_through_a_connect_tunnel(ca: trustme.CA, ca_file: str, proxy: ForwardProxy, mode: str,
                                             capsys) -> None:
    with tls_server(ca, HELLO) as server:
        status, records, err = run_get(capsys, server.url, "-m", mode, "--cacert", ca_file, "--proxy", proxy.url())
    assert status == 0, err
    assert proxy.requests == [("CONNECT", f"127.0.0.1:{server.port}")]
    assert lines_of(records) == ["hello", "world"]
    phases = records[-1]["phases"]
    assert phases["connect"] is not None and phases["sent"] is not None
    assert phases["connect"] <= phases["sent"]


@pytest.mark.parametrize("mode", CLIENTS)
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_proxy_credentials_are_sent_and_never_shown(ca: trustme.CA, ca_file: str, mode: str, scheme: str,
                                                    capsys) -> None:
    server = tls_server(ca, HELLO) if scheme == "https" else RawServer(HELLO)
    with server, ForwardProxy(credentials="user:hunter2") as proxy:
        status, records, err = run_get(capsys, server.url, "-m", mode, "--cacert", ca_file,
                                       "--proxy", f"http://user:hunter2@127.0.0.1:{proxy.port}")
    assert status == 0, err
    assert proxy.authorizations == [basic("user:hunter2")]
    assert lines_of(records) == ["hello", "world"]
    shown = str(records) + err
    assert "hunter2" not in shown and basic("user:hunter2").split()[1] not in shown


@pytest.mark.parametrize("mode", CLIENTS)
def test_a_tunnel_refused_by_the_proxy_is_one_sentence(ca: trustme.CA, ca_file: str, mode: str, capsys) -> None:
    with tls_server(ca, HELLO) as server, ForwardProxy(credentials="user:hunter2") as proxy:
        status, records, err = run_get(capsys, server.url, "-m", mode, "--cacert", ca_file, "--proxy", proxy.url())
    assert status == 1
    error = assert_error(records, "proxy")
    assert error["error"] == (f"The proxy 127.0.0.1:{proxy.port} refused the tunnel: "
                              "HTTP 407 Proxy Authentication Required.")
    assert proxy.authorizations == [None]
    assert "Traceback" not in err


@pytest.mark.parametrize("mode", CLIENTS)
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_proxy_that_refuses_connections_is_one_sentence(mode: str, scheme: str, capsys) -> None:
    port = free_port()
    status, records, err = run_get(capsys, f"{scheme}://example.com/", "-m", mode,
                                   "--proxy", f"http://127.0.0.1:{port}")
    assert status == 1
    error = assert_error(records, "proxy")
    assert error["error"] == f"Could not connect to the proxy 127.0.0.1:{port} (connection refused)."
    assert "Traceback" not in err


@pytest.mark.parametrize("mode", CLIENTS)
def test_a_proxy_host_that_does_not_resolve_is_one_sentence(mode: str, capsys) -> None:
    status, records, _ = run_get(capsys, "http://example.com/", "-m", mode, "--proxy", "proxy.invalid:3128")
    assert status == 1
    assert_error(records, "proxy", "Could not resolve the proxy host 'proxy.invalid'")


@pytest.mark.parametrize("mode", CLIENTS)
def test_a_socks_proxy_is_refused_before_anything_is_sent(mode: str, capsys) -> None:
    status, records, err = run_get(capsys, "--demo", NDJSON, "-m", mode, "--proxy", "socks5://u:hunter2@127.0.0.1:9")
    assert status == 1
    assert_error(records, "proxy", "socks5://127.0.0.1:9", "SOCKS", "only http:// proxies")
    assert "hunter2" not in str(records) + err


# -- connect_via: the socket the WebSocket client is handed ----------------------------------------------------


async def test_connect_via_tunnels_a_websocket_through_the_proxy(demo: DemoServer, proxy: ForwardProxy) -> None:
    url = URL(demo.url.replace("http://", "ws://") + "/ws/echo")
    request = StreamRequest(str(url), mode="ws", proxy=proxy.url())
    ctx = StreamContext()
    sock = await connect_via(request, url.host or "", url.port or 80, ctx)
    async with websockets.connect(str(url), sock=sock, proxy=None) as ws:
        await ws.send("through the tunnel")
        assert await ws.recv() == "through the tunnel"
    assert proxy.requests == [("CONNECT", f"127.0.0.1:{url.port}")]
    assert "connect_start" in ctx.marks and "dns_start" not in ctx.marks


async def test_connect_via_goes_direct_without_a_proxy(demo: DemoServer, proxy: ForwardProxy, monkeypatch) -> None:
    monkeypatch.setenv("http_proxy", proxy.url())  # loopback: never from the environment
    url = URL(demo.url.replace("http://", "ws://") + "/ws/echo")
    sock = await connect_via(StreamRequest(str(url), mode="ws"), url.host or "", url.port or 80, StreamContext())
    async with websockets.connect(str(url), sock=sock, proxy=None) as ws:
        await ws.send("direct")
        assert await ws.recv() == "direct"
    assert proxy.requests == []


async def test_connect_via_reports_a_refused_tunnel(demo: DemoServer) -> None:
    url = URL(demo.url.replace("http://", "wss://"))
    with ForwardProxy(credentials="user:right") as proxy:
        request = StreamRequest(str(url), mode="ws", proxy=f"http://user:wrong@127.0.0.1:{proxy.port}")
        with pytest.raises(StreamError) as raised:
            await connect_via(request, url.host or "", url.port or 443, StreamContext())
        assert proxy.authorizations == [basic("user:wrong")]
    assert raised.value.type == "proxy" and "HTTP 407" in raised.value.message


@pytest.mark.parametrize("mode", CLIENTS)
def test_a_proxy_answer_past_the_header_cap_is_refused(mode: str, capsys) -> None:
    huge = b"HTTP/1.1 200 Connection Established\r\n" + b"X-Pad: " + b"a" * 20_000 + b"\r\n\r\n"
    with ScriptServer({"example.com:443": [huge]}) as fake:
        status, records, _ = run_get(capsys, "https://example.com/", "-m", mode, "--max-header-size", "1024",
                                     "--proxy", fake.url())
    assert status == 1 and fake.requests == [("CONNECT", "example.com:443")]
    error = assert_error(records, "header_too_large", "1,024 byte header cap")
    if mode == "wire":
        assert error["error"].startswith(f"The proxy 127.0.0.1:{fake.port}'s answer to CONNECT")


def test_a_proxy_that_hangs_up_on_connect_is_one_sentence(capsys) -> None:
    with ScriptServer({"example.com:443": None}) as fake:
        status, records, _ = run_get(capsys, "https://example.com/", "-m", "wire", "--proxy", fake.url())
    assert status == 1
    assert_error(records, "proxy", f"The proxy 127.0.0.1:{fake.port} closed the connection without answering "
                                   "CONNECT example.com:443.")
