"""The demo server, exercised with a real aiohttp client, websockets and curl."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import shutil
import statistics
import subprocess
import sys
import time
import zlib

import aiohttp
import pytest
import websockets

from explorer.demo import CATALOG, DemoServer, catalog_entries

from .helpers import assert_paced


async def fetch_chunks(url: str) -> list[tuple[float, bytes, bool]]:
    """(arrival time, data, end_of_http_chunk) for every read of iter_chunks."""
    out = []
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        async with session.get(url) as resp:
            assert resp.status == 200, await resp.text()
            async for data, end in resp.content.iter_chunks():
                out.append((time.perf_counter() - start, data, end))
    return out


def chunk_times(reads: list[tuple[float, bytes, bool]]) -> list[float]:
    """When each whole HTTP chunk had arrived (the read that ended it)."""
    return [t for t, data, end in reads if end and data]


def http_chunks(reads: list[tuple[float, bytes, bool]]) -> list[bytes]:
    """Reassemble iter_chunks reads into whole HTTP chunks."""
    chunks, pending = [], b""
    for _, data, end in reads:
        pending += data
        if end and pending:
            chunks.append(pending)
            pending = b""
    return chunks


async def test_catalog_lists_every_entry_with_required_fields(demo_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(demo_url + "/") as resp:
            entries = await resp.json()
    assert entries == catalog_entries()
    assert len(entries) == len(CATALOG) >= 25
    for entry in entries:
        assert {"path", "title", "mode", "params", "watch"} <= entry.keys()
        assert entry["mode"] in {"chunked", "any", "wire", "lines", "json", "zlib", "sse", "ws"}
        for spec in entry["params"].values():
            assert spec["default"] <= spec["max"]


async def test_every_finite_entry_finishes_with_defaults(demo_url: str) -> None:
    async def run(entry: dict) -> tuple[str, int]:
        if entry["mode"] == "ws":
            async with websockets.connect(demo_url.replace("http", "ws") + entry["path"], proxy=None) as ws:
                return entry["path"], len([m async for m in ws])
        async with aiohttp.ClientSession() as session:
            async with session.get(demo_url + entry["path"]) as resp:
                return entry["path"], len(await resp.read())

    finite = [e for e in catalog_entries() if e["kind"] == "finite"]
    # ~9 s of server pauses (/cancellable) plus the firehoses' CPU work: the limit only catches a hang
    results = await asyncio.wait_for(asyncio.gather(*(run(e) for e in finite)), timeout=60)
    assert all(size > 0 for _, size in results), results


async def test_hello_is_two_http_chunks_half_a_second_apart(demo_url: str) -> None:
    reads = await fetch_chunks(demo_url + "/hello?interval=0.3")
    assert http_chunks(reads) == [b"Hello, ", b"World!"]
    assert_paced(chunk_times(reads), 0.3)


async def test_each_write_is_one_http_chunk(demo_url: str) -> None:
    reads = await fetch_chunks(demo_url + "/chunks?count=50")
    assert http_chunks(reads) == [f"Chunk {i}\n".encode() for i in range(50)]


async def test_paced_chunks_follow_the_interval(demo_url: str) -> None:
    reads = await fetch_chunks(demo_url + "/async-chunks?count=5&interval=0.1")
    chunks = http_chunks(reads)
    assert chunks == [f"Async Chunk {i}\n".encode() for i in range(5)]
    assert_paced(chunk_times(reads), 0.1)


async def test_ndjson_and_generated_content(demo_url: str) -> None:
    reads = await fetch_chunks(demo_url + "/ndjson?count=3&interval=0")
    assert [json.loads(c) for c in http_chunks(reads)] == [{"id": i, "name": f"Item {i}"} for i in range(3)]
    reads = await fetch_chunks(demo_url + "/generated?count=3&interval=0")
    assert http_chunks(reads) == [f"Generated Chunk {i}\n".encode() for i in range(3)]


async def test_sensor_is_seeded_and_zlib_chunks_decompress_one_by_one(demo_url: str) -> None:
    plain = http_chunks(await fetch_chunks(demo_url + "/sensor?count=4&interval=0&seed=7"))
    again = http_chunks(await fetch_chunks(demo_url + "/sensor?count=4&interval=0&seed=7"))
    assert plain == again and len(plain) == 4
    assert all(c.decode().startswith("Temperature: ") and c.decode().endswith("°C\n") for c in plain)
    packed = http_chunks(await fetch_chunks(demo_url + "/sensor-zlib?count=4&interval=0&seed=7"))
    assert [zlib.decompress(c) for c in packed] == plain


async def test_chunked_versus_content_length(demo_url: str) -> None:
    chunked = await fetch_chunks(demo_url + "/compare/chunked?count=4&interval=0.15")
    # first byte at once: the first line arrives well before the last, which is 3 intervals later at the server
    assert chunked[-1][0] - chunked[0][0] >= 3 * 0.15 / 2
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        async with session.get(demo_url + "/compare/buffered?count=4&interval=0.15") as resp:
            ttfb = time.perf_counter() - start
            body = await resp.text()
    assert resp.headers["Content-Length"] == str(len(body.encode()))
    assert ttfb >= 0.4
    assert chunked[0][0] < ttfb / 2  # chunked shows its first line long before buffered shows anything
    assert body.encode() == b"".join(http_chunks(chunked))


async def test_json_array_and_nested_documents_parse(demo_url: str) -> None:
    reads = await fetch_chunks(demo_url + "/json-array?count=4&interval=0")
    chunks = http_chunks(reads)
    assert chunks[0] == b"[" and len(chunks) == 6
    assert [item["index"] for item in json.loads(b"".join(chunks))] == [0, 1, 2, 3]
    nested = b"".join(data for _, data, _ in await fetch_chunks(demo_url + "/json-nested?depth=2&breadth=2&interval=0"))
    from explorer.demo.tutorial import nested_document

    assert json.loads(nested) == nested_document(2, 2)


async def test_ijson_events_as_lines(demo_url: str) -> None:
    body = b"".join(d for _, d, _ in await fetch_chunks(demo_url + "/ijson-events?interval=0"))
    lines = body.decode().splitlines()
    assert lines[0] == " start_map null"
    assert "name string \"explorer\"" in lines


async def test_rate_limited_bursts_then_follows_rate(demo_url: str) -> None:
    reads = await fetch_chunks(demo_url + "/rate-limited?count=8&rate=10&burst=4")
    times = chunk_times(reads)
    assert len(times) == 8
    assert times[7] >= 0.4 * 0.99  # 4 items beyond the burst at 10 per second cannot come sooner
    paced = [b - a for a, b in itertools.pairwise(times[3:])]
    assert statistics.median(paced) >= 0.1 / 2, paced  # then 10 per second
    assert times[3] - times[0] < statistics.median(paced), times  # the burst: 4 items in less than one paced gap


async def test_sse_fields(demo_url: str) -> None:
    body = b"".join(d for _, d, _ in await fetch_chunks(demo_url + "/sse?count=4&interval=0"))
    text = body.decode()
    assert "retry: 3000" in text and ": keep-alive" in text
    assert "id: 3\nevent: report\ndata: report 3, line one\ndata: report 3, line two\n\n" in text


async def test_llm_stream_ends_with_done(demo_url: str) -> None:
    body = (b"".join(d for _, d, _ in await fetch_chunks(demo_url + "/llm?tokens=5&tps=1000"))).decode()
    events = [block for block in body.split("\n\n") if block]
    assert events[-1] == "data: [DONE]"
    deltas = [json.loads(e[len("data: "):])["choices"][0]["delta"] for e in events[:-1]]
    assert deltas[0]["role"] == "assistant"
    assert "".join(d.get("content", "") for d in deltas).startswith("Streaming lets")


async def test_gzip_is_decoded_incrementally_as_it_arrives(demo_url: str) -> None:
    arrivals = []
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        async with session.get(demo_url + "/gzip?count=3&interval=0.3") as resp:
            assert resp.headers["Content-Encoding"] == "gzip"
            async for data in resp.content.iter_any():
                arrivals.append((time.perf_counter() - start, data))
    text = b"".join(d for _, d in arrivals).decode()
    assert text.count("Compressed line") == 3

    def decoded_at(needle: bytes) -> float:
        seen = b""
        for t, data in arrivals:
            seen += data
            if needle in seen:
                return t
        raise AssertionError(needle)

    first_line_at, last_line_at = decoded_at(b"line 0"), decoded_at(b"line 2")
    assert last_line_at >= 2 * 0.3 * 0.99  # the server sleeps twice before line 2
    assert last_line_at - first_line_at >= 0.3, arrivals  # line 0 decoded long before the stream ended


async def test_httpbin_drip_and_stream(demo_url: str) -> None:
    reads = await fetch_chunks(demo_url + "/drip?numbytes=5&duration=0.4")
    assert b"".join(d for _, d, _ in reads) == b"*****"
    assert not any(end for _, _, end in reads)  # Content-Length: no chunk framing
    body = b"".join(d for _, d, _ in await fetch_chunks(demo_url + "/stream/3?x=1"))
    lines = [json.loads(line) for line in body.splitlines()]
    assert [line["id"] for line in lines] == [0, 1, 2] and lines[0]["args"] == {"x": "1"}


async def test_firehose_sends_exactly_total_bytes(demo_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(demo_url + "/firehose?size=1000&total=100500") as resp:
            body = await resp.read()
    assert len(body) == 100500


async def test_tick_carries_send_time(demo_url: str) -> None:
    before = time.time()
    reads = await fetch_chunks(demo_url + "/tick?count=3&interval=0.05")
    after = time.time()
    ticks = [json.loads(c) for c in http_chunks(reads)]
    assert [t["seq"] for t in ticks] == [0, 1, 2]
    sent = [t["sent"] for t in ticks]
    assert before <= sent[0] <= sent[1] <= sent[2] <= after, (before, sent, after)
    assert sent[2] - sent[0] >= 2 * 0.05 * 0.9  # stamped as sent, one interval apart


async def test_caps_and_malformed_values_get_400_naming_the_limit(demo_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for query, needle in [
            ("/chunks?count=10001", "'count'"),
            ("/async-chunks?interval=31", "'interval'"),
            ("/async-chunks?interval=abc", "'interval'"),
            ("/stream/101", "'n'"),
            ("/firehose?size=0", "'size'"),
            ("/async-chunks?interval=nan", "'interval'"),
        ]:
            async with session.get(demo_url + query) as resp:
                text = await resp.text()
                assert resp.status == 400, query
                assert needle in text and ("limit" in text or "between" in text), text


async def test_disconnect_is_recorded_without_traceback(demo: DemoServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with aiohttp.ClientSession() as session:
        async with session.get(demo.url + "/cancellable?count=100&interval=0.05") as resp:
            await resp.content.readuntil(b"Tick 2")
    deadline = time.monotonic() + 10
    while True:
        ended = [e for e in demo.event_log.snapshot() if e["path"].startswith("/cancellable")]
        if ended or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.02)
    assert ended and ended[0]["outcome"].startswith("cancelled")
    assert 3 <= ended[0]["chunks"] < 100 and ended[0]["seconds"] > 0
    async with aiohttp.ClientSession() as session:
        async with session.get(demo.url + "/events") as resp:
            assert any(e["path"].startswith("/cancellable") for e in await resp.json())
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]


async def test_websocket_ticker_and_echo(demo_url: str) -> None:
    ws_url = demo_url.replace("http", "ws")
    async with websockets.connect(ws_url + "/ws/ticker?count=4&interval=0.01", proxy=None) as ws:
        messages = [m async for m in ws]
    assert [json.loads(m)["seq"] for m in messages[:3]] == [0, 1, 2]
    assert isinstance(messages[3], bytes)
    assert ws.close_code == 1000 and ws.close_reason == "done"
    async with websockets.connect(ws_url + "/ws/echo", proxy=None) as ws:
        await ws.send("hello")
        assert await ws.recv() == "hello"
        await ws.send(b"\x00\x01")
        assert await ws.recv() == b"\x00\x01"


async def test_faults_behave_as_advertised(demo_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(demo_url + "/fault/truncated?interval=0") as resp:
            with pytest.raises(aiohttp.ClientPayloadError):
                await resp.read()
        async with session.get(demo_url + "/fault/reset?interval=0") as resp:
            with pytest.raises(aiohttp.ClientError):
                await resp.read()
        async with session.get(demo_url + "/fault/status") as resp:
            assert resp.status == 503 and "error" in await resp.json()
        async with session.get(demo_url + "/fault/long-line?size=300000") as resp:
            lines = (await resp.read()).split(b"\n")
            assert len(lines[1]) == 300000


async def test_server_stops_promptly_with_endless_stream_and_websocket_open() -> None:
    server = DemoServer()
    await server.start()
    async with aiohttp.ClientSession() as session:
        resp = await session.get(server.url + "/endless?interval=0.05")
        await resp.content.readline()
        ws = await websockets.connect(server.url.replace("http", "ws") + "/ws/echo", proxy=None)
        started = time.perf_counter()
        await server.stop()
        assert time.perf_counter() - started < 10  # no waiting for the stream, nor aiohttp's 60 s shutdown timeout
        await ws.wait_closed()
        assert ws.close_code == 1001
        resp.close()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_serve_command_with_curl_raw_framing() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "explorer", "serve", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith("explorer demo server on http://127.0.0.1:")
        url = first.split()[4]
        raw = subprocess.run(["curl", "-sN", "--raw", url + "/chunks?count=3"],
                             capture_output=True, check=False, timeout=15).stdout
        assert raw == b"8\r\nChunk 0\n\r\n8\r\nChunk 1\n\r\n8\r\nChunk 2\n\r\n0\r\n\r\n"
        bad = subprocess.run(["curl", "-s", "-w", "%{http_code}", url + "/chunks?count=999999"],
                             capture_output=True, text=True, check=False, timeout=15).stdout
        assert bad.endswith("400") and "10000" in bad
    finally:
        proc.send_signal(2)
        _, err = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert "Traceback" not in err


def test_serve_warns_when_binding_beyond_loopback() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "explorer", "serve", "--host", "0.0.0.0", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("explorer demo server on http://0.0.0.0:")
    finally:
        proc.send_signal(2)
        _, err = proc.communicate(timeout=15)
    assert "warning: binding 0.0.0.0 exposes the demo server" in err and proc.returncode == 0
