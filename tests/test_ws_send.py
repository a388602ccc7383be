"""Sending on a WebSocket while it reads, its control frames as records, and subprotocols, against real servers.

The demo server's `/ws/echo` answers what explorer sends; a websockets
server started here pings, closes with a reason and picks a subprotocol.
Nothing is mocked, and nothing waits a fixed time: a test waits on a
condition with a generous limit, and timing is judged only from below.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable, Callable, Iterator

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from explorer.cli import main
from explorer.core import Kind, Record, StreamRequest, open_stream
from explorer.core.rows import data_row, event_rows
from explorer.demo import DemoServer
from explorer.engine import Batch, EngineThread, RunOrder
from explorer.tui.session import StreamSession

from .helpers import of_kind, run_get

LIMIT = 30.0  # seconds: only a hang gets here, however busy the machine
Handler = Callable[[ServerConnection], Awaitable[None]]


class Server:
    """A websockets server on a free port, in its own thread and loop (`explorer get` runs a loop of its own)."""

    def __init__(self, handler: Handler, **options: Any) -> None:
        self.handler, self.options = handler, options
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Future[None] | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def __enter__(self) -> Server:
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)
        self._thread.start()
        assert self._ready.wait(LIMIT)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(LIMIT)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = self._loop.create_future()
        async with serve(self.handler, "127.0.0.1", 0, **self.options) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop


def messages(records: list[dict[str, Any]], direction: str) -> list[dict[str, Any]]:
    return [m for m in of_kind(records, "message") if m["direction"] == direction]


# -- --send ----------------------------------------------------------------------


def test_sends_go_out_in_order_and_come_back_echoed(capsys: pytest.CaptureFixture[str]) -> None:
    status, records, err = run_get(capsys, "--demo", "/ws/echo", "--mode", "ws", "--send", "a", "--send", "b",
                                   "--send", "c", "--max-time", "2")
    assert status == 0, err
    sent, echoed = messages(records, "out"), messages(records, "in")
    assert [(m["data"], m["seq"], m["type"]) for m in sent] == [("a", 0, "text"), ("b", 1, "text"), ("c", 2, "text")]
    assert [(m["data"], m["seq"]) for m in echoed] == [("a", 0), ("b", 1), ("c", 2)]
    order = [(m["direction"], m["data"]) for m in of_kind(records, "message")]
    for text in "abc":  # each goes out before its echo comes back
        assert order.index(("out", text)) < order.index(("in", text))
    for earlier, later in zip(sent, sent[1:]):
        assert earlier["t"] <= later["t"]
    end = records[-1]  # the figures count what arrived, not what was sent
    assert end["kind"] == "end" and end["records"] == 3 and end["bytes"] == 3
    assert end["ttfb"] == echoed[0]["t"]


async def note_each(ws: ServerConnection, count: int, seen: list[Any]) -> None:
    """Note `count` messages, then close 1000."""
    for _ in range(count):
        seen.append(await ws.recv())
    await ws.close(1000, "enough")


def test_send_interval_spaces_the_sends_and_the_body_goes_first(capsys: pytest.CaptureFixture[str]) -> None:
    interval = 0.15
    seen: list[str] = []
    with Server(lambda ws: note_each(ws, 4, seen)) as server:
        status, records, err = run_get(capsys, server.url, "-d", "hello", "--send", "one", "--send", "two",
                                       "--send", "three", "--send-interval", str(interval))
    assert status == 0, err
    assert seen == ["hello", "one", "two", "three"]
    sent = messages(records, "out")
    assert [m["data"] for m in sent] == ["hello", "one", "two", "three"] and [m["seq"] for m in sent] == [0, 1, 2, 3]
    times = [m["t"] for m in sent]
    assert times == sorted(times)
    assert times[-1] - times[0] >= (len(times) - 1) * interval * 0.99, times  # no upper bound: load only delays
    end = records[-1]
    assert end["kind"] == "end" and end["records"] == 0 and end["ttfb"] is None and end["close_code"] == 1000


def test_sends_the_server_closed_before_are_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[str] = []
    with Server(lambda ws: note_each(ws, 1, seen)) as server:
        status, records, _ = run_get(capsys, server.url, "--send", "one", "--send", "two", "--send", "three",
                                     "--send-interval", "0.5")
    error = records[-1]
    assert status == 1 and seen == ["one"]
    assert error["type"] == "ws_send_not_sent"
    assert "(code 1000) before explorer could send 2 of the 3 --send messages" in error["error"]


def test_sends_expand_references_but_show_them_as_written(capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WS_SEND_TOKEN", "s3cr3t-value")
    seen: list[str] = []
    with Server(lambda ws: note_each(ws, 1, seen)) as server:
        status, records, _ = run_get(capsys, server.url, "--send", "token ${WS_SEND_TOKEN}")
    assert status == 0 and seen == ["token s3cr3t-value"]
    (sent,) = messages(records, "out")
    assert sent["data"] == "token ${WS_SEND_TOKEN}" and sent["size"] == len("token s3cr3t-value")
    assert "s3cr3t-value" not in str(records)


# -- sending from outside the stream ------------------------------------------------


async def until(condition: Callable[[], bool], step: Callable[[], object] = lambda: None) -> None:
    """Run the loop until `condition()` holds, calling `step` between looks; only a hang reaches the limit."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LIMIT
    while True:
        step()
        if condition():
            return
        assert loop.time() < deadline, "condition not met (hung)"
        await asyncio.sleep(0.02)


def received(records: list[Record], data: bytes) -> list[Record]:
    return [r for r in records if r.kind is Kind.MESSAGE and r.data == data and data_row(r).text.startswith("↓")]


async def test_a_message_sent_through_the_session_comes_back_echoed(demo: DemoServer) -> None:
    session = StreamSession()  # reads in an engine process, as the app does
    request = StreamRequest(demo.url.replace("http", "ws", 1) + "/ws/echo", mode="ws")
    kept: list[Record] = []
    try:
        assert not session.send(b"too early", False)  # no stream yet
        session.start(request)
        run = asyncio.create_task(session.run(request, lambda message: None))
        await until(lambda: session.state == "streaming", lambda: kept.extend(session.drain()))
        assert session.send("héllo".encode(), False) and session.send(b"\x00\x01", True)
        await until(lambda: bool(received(kept, b"\x00\x01")), lambda: kept.extend(session.drain()))
        sent = [r for r in kept if r.kind is Kind.MESSAGE and data_row(r).text.startswith("↑")]
        assert [(r.data, r.binary, r.seq) for r in sent] == [("héllo".encode(), False, 0), (b"\x00\x01", True, 1)]
        echoed = received(kept, "héllo".encode()) + received(kept, b"\x00\x01")
        assert [(r.seq, r.binary) for r in echoed] == [(0, False), (1, True)]
        assert session.stats.records == 2 and session.stats.bytes == len("héllo".encode()) + 2  # echoes only
        assert session.stop()
        assert not session.send(b"after the stop", False)
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
    finally:
        await asyncio.to_thread(session.close)  # the demo server on this loop answers the close meanwhile


async def test_a_message_sent_through_the_engine_thread_comes_back_echoed(demo: DemoServer) -> None:
    engine = EngineThread(open_stream)
    request = StreamRequest(demo.url.replace("http", "ws", 1) + "/ws/echo", mode="ws", max_time=LIMIT)
    batches: list[Batch] = []
    kept: list[Record] = []

    def deliver(message: object) -> None:  # on the engine's thread
        assert isinstance(message, Batch)
        batches.append(message)

    def take() -> None:
        taken = batches[:]
        del batches[:len(taken)]
        for batch in taken:
            kept.extend(batch.records)

    try:
        engine.start(RunOrder(1, request), deliver)
        await until(lambda: any(r.kind is Kind.RESPONSE for r in kept), take)
        engine.send(1, b"ping me back")
        await until(lambda: bool(received(kept, b"ping me back")), take)
        (row,) = event_rows(received(kept, b"ping me back")[0])
        assert row.label == "↓ #0" and row.name == "text"
    finally:
        engine.stop(1)
        await asyncio.to_thread(engine.close)  # the demo server on this loop answers the close meanwhile


async def test_a_send_on_an_http_run_is_ignored(demo: DemoServer) -> None:
    session = StreamSession()
    request = StreamRequest(demo.url + "/tick?count=5&interval=0.05", mode="lines")
    kept: list[Record] = []
    try:
        session.start(request)
        run = asyncio.create_task(session.run(request, lambda message: None))
        await until(lambda: session.state == "streaming", lambda: kept.extend(session.drain()))
        assert not session.send(b"nobody reads this", False)  # the session knows
        session.engine.send(session.run_number, b"nobody reads this")  # and the engine ignores it
        await asyncio.wait_for(run, LIMIT)
        kept.extend(session.drain())
        assert session.state == "done" and kept[-1].kind is Kind.END
        assert sum(r.kind is Kind.LINE for r in kept) == 5 and not any(r.kind is Kind.MESSAGE for r in kept)
    finally:
        await asyncio.to_thread(session.close)  # the demo server on this loop answers the close meanwhile


# -- control frames ---------------------------------------------------------------


async def ping_then_close(ws: ServerConnection) -> None:
    pong = await ws.ping(b"are you there")
    server_seen.append(await asyncio.wait_for(pong, LIMIT))  # the latency: websockets answered
    await ws.send("after the ping")
    await ws.close(1000, "bye")


server_seen: list[Any] = []


@pytest.fixture
def pinging_server() -> Iterator[Server]:
    server_seen.clear()
    with Server(ping_then_close) as server:
        yield server


def test_pings_and_the_close_frame_are_control_records(pinging_server: Server,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    status, records, err = run_get(capsys, pinging_server.url)
    assert status == 0, err
    assert len(server_seen) == 1 and server_seen[0] >= 0  # the server got its pong
    controls = [(c["frame"], c["direction"], c["data"], c["size"]) for c in of_kind(records, "control")]
    assert controls == [("ping", "in", "are you there", 13), ("pong", "out", "are you there", 13),
                        ("close", "in", "1000 bye", 5), ("close", "out", "1000 bye", 5)]
    kinds = [r["kind"] for r in records]
    assert kinds == ["response", "control", "control", "message", "control", "control", "end"]
    end = records[-1]  # control frames stay out of the figures
    assert end["records"] == 1 and end["bytes"] == len("after the ping") and end["close_code"] == 1000
    assert end["ttfb"] == of_kind(records, "message")[0]["t"] and end["gap_count"] == 0


def test_control_rows_in_text_output(pinging_server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["get", pinging_server.url]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [(line.split(" ", 1)[0], line[line.index(" B  ") + 4:]) for line in lines  # label, preview
            if line.split(" ", 1)[0] in ("ping", "pong", "close", "message")]
    assert rows == [
        ("ping", "↓ are you there"), ("pong", "↑ are you there"), ("message", "↓ after the ping"),
        ("close", "↓ 1000 bye"), ("close", "↑ 1000 bye")]


def test_control_row_payloads_are_sanitized() -> None:
    hostile = Record(Kind.CONTROL, 0, 0.1, 0.1, 9, b"\x1b]0;x\x07ok", "ping")
    row = data_row(hostile)
    assert row.label == "ping" and "\x1b" not in row.text and "\x07" not in row.text and row.text.startswith("↓ ")
    binary = Record(Kind.CONTROL, 1, 0.2, 0.1, 4, b"\xff\x00\xfe\x01", "pong")
    assert data_row(binary).text == "↓ binary ff 00 fe 01"
    silent = Record(Kind.CONTROL, 2, 0.3, 0.1, 0, b"", "close")
    assert data_row(silent).text == "↓" and data_row(silent).note == "(no status code)"


# -- subprotocols -------------------------------------------------------------------


async def note_handshake(ws: ServerConnection) -> None:
    assert ws.request is not None
    handshakes_seen.append((ws.subprotocol, ws.request.path, ws.request.headers.get("X-Token")))
    await ws.close(1000, "")


handshakes_seen: list[Any] = []


def test_the_handshake_offers_subprotocols_and_expands_references(capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WS_SEND_TOKEN", "s3cr3t-value")
    monkeypatch.setenv("WS_ROOM", "lobby")
    handshakes_seen.clear()
    with Server(note_handshake, subprotocols=[Subprotocol("chat")]) as server:
        status, records, err = run_get(capsys, server.url + "rooms/${WS_ROOM}", "--subprotocol", "superchat",
                                       "--subprotocol", "chat", "-H", "X-Token: ${WS_SEND_TOKEN}")
    assert status == 0, err
    assert handshakes_seen == [("chat", "/rooms/lobby", "s3cr3t-value")]
    headers = {name.lower(): value for name, value in records[0]["headers"].items()}
    assert headers["sec-websocket-protocol"] == "chat"  # what the server chose
    assert "s3cr3t-value" not in str(records) + err
