"""Every demo catalog entry through `explorer get --demo PATH --mode MODE --format jsonl`."""

from __future__ import annotations

import base64
import json
import statistics
from typing import Any, Callable

import ijson
import pytest

from explorer.demo.catalog import CATALOG
from explorer.demo.llm_shapes import script
from explorer.demo.tutorial import SAMPLE_DOCUMENT, nested_document

from .helpers import assert_paced, gaps, of_kind, run_get

Records = list[dict[str, Any]]


def texts(records: Records, kind: str) -> list[str]:
    return [r["data"] for r in of_kind(records, kind)]


def check_hello(records: Records) -> None:
    assert texts(records, "chunk") == ["Hello, ", "World!"]
    assert_paced([r["t"] for r in of_kind(records, "chunk")], 0.15)


def check_chunks(records: Records) -> None:
    assert texts(records, "chunk") == [f"Chunk {i}\n" for i in range(5)]
    assert all(r["framed"] for r in of_kind(records, "chunk"))


def paced_lines(prefix: str, count: int, interval: float) -> Callable[[Records], None]:
    def check(records: Records) -> None:
        assert texts(records, "line") == [f"{prefix} {i}" for i in range(count)]
        assert_paced([r["t"] for r in of_kind(records, "line")], interval)
    return check


def check_ndjson(records: Records) -> None:
    events = of_kind(records, "event")
    assert [e["value"] for e in events if e["prefix"] == "name"] == ["Item 0", "Item 1", "Item 2"]
    starts = [e["t"] for e in events if e["event"] == "start_map"]
    assert len(starts) == 3
    assert_paced(starts, 0.08)


def check_sensor(records: Records) -> None:
    lines = texts(records, "line")
    assert len(lines) == 3 and all(line.startswith("Temperature: ") and line.endswith("°C") for line in lines)


def check_sensor_zlib(records: Records) -> None:
    chunks = of_kind(records, "chunk")
    assert 1 <= len(chunks) <= 3  # one record per read: reads of the 3 members may merge
    readings = "".join(c["data"] for c in chunks).splitlines()
    assert len(readings) == 3 and all(r.startswith("Temperature: ") and r.endswith("°C") for r in readings)
    assert all(c["decoded_size"] == len(c["data"].encode()) for c in chunks)
    compressed, decoded = sum(c["size"] for c in chunks), sum(c["decoded_size"] for c in chunks)
    assert compressed == records[-1]["bytes"] and compressed != decoded
    assert records[-1]["members"] == 3


def check_rate(records: Records) -> None:
    times = [r["t"] for r in of_kind(records, "line")]
    assert len(times) == 6
    assert times[5] >= 3 * 0.1 * 0.99  # 3 items beyond the burst at 10 per second cannot come sooner
    paced = gaps([{"t": t} for t in times[2:]])
    assert statistics.median(paced) >= 0.1 / 2, paced  # then 10 per second
    assert times[2] - times[0] < statistics.median(paced), times  # the burst: 3 items in less than one paced gap


def check_compare(records: Records) -> None:
    assert [line.split(":")[0] for line in texts(records, "line")] == ["Line 0", "Line 1", "Line 2"]


def check_buffered(records: Records) -> None:
    check_compare(records)
    assert records[-1]["ttfb"] >= 0.15
    assert "Content-Length" in records[0]["headers"]


def check_json_array(records: Records) -> None:
    events = of_kind(records, "event")
    assert events[0]["event"] == "start_array" and events[-1]["event"] == "end_array"
    assert [e["value"] for e in events if e["prefix"] == "item.index"] == [0, 1, 2]


def check_nested(records: Records) -> None:
    document = nested_document(1, 2)
    expected = list(ijson.parse(json.dumps(document).encode(), use_float=True))
    got = [(e["prefix"], e["event"], e["value"]) for e in of_kind(records, "event")]
    assert got == [(p, e, v) for p, e, v in expected]
    chunks = of_kind(records, "chunk")
    assert "".join(c["data"] for c in chunks) == json.dumps(document, separators=(",", ":")) + "\n"
    # written token group by token group, with 6 pauses between them: not all in one read
    assert len(chunks) >= 2 and chunks[0]["t"] < chunks[-1]["t"]


def check_ijson_lines(records: Records) -> None:
    lines = texts(records, "line")
    assert len(lines) == len(list(ijson.parse(json.dumps(SAMPLE_DOCUMENT).encode())))


def check_ticker(records: Records) -> None:
    messages = of_kind(records, "message")
    assert [m["type"] for m in messages] == ["text", "text", "text", "binary"]
    assert [json.loads(m["data"])["seq"] for m in messages[:3]] == [0, 1, 2]
    assert base64.b64decode(messages[3]["data_b64"]) == b"\x03" * 8 + b"\x00\xff"
    assert records[-1]["kind"] == "end" and records[-1]["close_code"] == 1000


def check_echo(records: Records) -> None:
    assert records[0]["status"] == 101
    assert records[-1]["kind"] == "end" and "max time" in records[-1]["stopped"]


def check_sse(records: Records) -> None:
    events = of_kind(records, "sse")
    assert [e["id"] for e in events] == ["0", "1", "2", "3", "3"]
    assert events[3]["event"] == "report" and events[3]["data"] == "report 3, line one\nreport 3, line two"
    assert events[-1]["event"] == "done" and all(e["retry"] == 3000 for e in events)


def check_llm(records: Records) -> None:
    events = of_kind(records, "sse")
    assert events[-1]["data"] == "[DONE]" and len(events) == 7
    content = "".join(json.loads(e["data"])["choices"][0]["delta"].get("content", "") for e in events[:-1])
    assert content == "Streaming lets a client show"


def check_gzip(records: Records) -> None:
    lines = texts(records, "line")
    assert len(lines) == 3 and lines[0].startswith("Compressed line 0")
    assert records[0]["headers"]["Content-Encoding"] == "gzip"


def check_drip(records: Records) -> None:
    assert "".join(texts(records, "chunk")) == "*****"
    assert records[0]["status"] == 200 and records[-1]["bytes"] == 5


def check_stream_n(records: Records) -> None:
    assert [e["value"] for e in of_kind(records, "event") if e["prefix"] == "id"] == [0, 1, 2]


def check_firehose(records: Records) -> None:
    assert records[-1]["bytes"] == 100_000 and sum(r["size"] for r in of_kind(records, "chunk")) == 100_000


def check_tick(records: Records) -> None:
    sent = [e["value"] for e in of_kind(records, "event") if e["prefix"] == "sent"]
    assert len(sent) == 3


def check_endless(records: Records) -> None:
    assert len(of_kind(records, "line")) >= 3 and "max time" in records[-1]["stopped"]


def check_error(kind: str) -> Callable[[Records], None]:
    def check(records: Records) -> None:
        assert records[-1]["kind"] == "error" and records[-1]["type"] == kind
        assert len(records) > 2  # data before the error came through
    return check


# route -> (query or path, mode override or None for the entry's own, extra args, expected exit, check)
def check_llm_shape(shape: str) -> Callable[[Records], None]:
    """The demo's shape is recognised, its answer assembled and its usage counted."""
    def check(records: Records) -> None:
        llm = records[-1]["llm"]
        assert llm["shape"] == ("ollama" if shape.startswith("ollama") else shape), llm
        answer = "".join(step.text for step in script(tokens=5, seed=42).steps)
        assert llm["text"] == answer and llm["tokens"] == 5 and llm["tokens_source"] == "usage", llm
    return check


CASES: dict[str, tuple[str, list[str], int, Callable[[Records], None]]] = {
    "/hello": ("/hello?interval=0.15", [], 0, check_hello),
    "/chunks": ("/chunks?count=5", [], 0, check_chunks),
    "/async-chunks": ("/async-chunks?count=4&interval=0.1", [], 0, paced_lines("Async Chunk", 4, 0.1)),
    "/generated": ("/generated?count=3&interval=0.08", [], 0, paced_lines("Generated Chunk", 3, 0.08)),
    "/ndjson": ("/ndjson?count=3&interval=0.08", [], 0, check_ndjson),
    "/sensor": ("/sensor?count=3&interval=0.02", [], 0, check_sensor),
    "/sensor-zlib": ("/sensor-zlib?count=3&interval=0.02", [], 0, check_sensor_zlib),
    "/cancellable": ("/cancellable?count=3&interval=0.05", [], 0,
                     lambda r: texts(r, "line")[2] == "Tick 2: leave whenever you like" or pytest.fail(str(r))),
    "/rate-limited": ("/rate-limited?count=6&rate=10&burst=3", [], 0, check_rate),
    "/compare/chunked": ("/compare/chunked?count=3&interval=0.08", [], 0, check_compare),
    "/compare/buffered": ("/compare/buffered?count=3&interval=0.08", [], 0, check_buffered),
    "/json-array": ("/json-array?count=3&interval=0.02", [], 0, check_json_array),
    "/json-nested": ("/json-nested?depth=1&breadth=2&interval=0.03", [], 0, check_nested),
    "/ijson-events": ("/ijson-events?interval=0", [], 0, check_ijson_lines),
    "/ws/ticker": ("/ws/ticker?count=4&interval=0.02", [], 0, check_ticker),
    "/ws/echo": ("/ws/echo", ["--max-time", "0.3"], 0, check_echo),
    "/sse": ("/sse?count=4&interval=0.02", [], 0, check_sse),
    "/llm": ("/llm?tokens=5&tps=500", [], 0, check_llm),
    "/llm/openai-chat": ("/llm/openai-chat?tokens=5&ttft=0&itl=1&stall=0", [], 0, check_llm_shape("openai-chat")),
    "/llm/openai-responses": ("/llm/openai-responses?tokens=5&ttft=0&itl=1&stall=0", [], 0, check_llm_shape("openai-responses")),
    "/llm/anthropic": ("/llm/anthropic?tokens=5&ttft=0&itl=1&stall=0", [], 0, check_llm_shape("anthropic")),
    "/llm/gemini": ("/llm/gemini?tokens=5&ttft=0&itl=1&stall=0", [], 0, check_llm_shape("gemini")),
    "/llm/ollama": ("/llm/ollama?tokens=5&ttft=0&itl=1&stall=0", [], 0, check_llm_shape("ollama")),
    "/llm/ollama-generate": ("/llm/ollama-generate?tokens=5&ttft=0&itl=1&stall=0", [], 0, check_llm_shape("ollama-generate")),
    "/gzip": ("/gzip?count=3&interval=0.02", [], 0, check_gzip),
    "/drip": ("/drip?numbytes=5&duration=0.2", [], 0, check_drip),
    "/stream/{n}": ("/stream/3", [], 0, check_stream_n),
    "/firehose": ("/firehose?total=100000&size=4096", [], 0, check_firehose),
    "/firehose/ndjson": ("/firehose/ndjson?size=1000&total=3000", [], 0,
                         lambda r: len([e for e in of_kind(r, "event") if e["prefix"] == "id"]) >= 30 or pytest.fail("few ids")),
    "/echo": ("/echo", [], 0,
              lambda r: "".join(texts(r, "chunk")) == "GET application/octet-stream 0 bytes\n" or pytest.fail(str(r))),
    "/tick": ("/tick?count=3&interval=0.02", [], 0, check_tick),
    "/endless": ("/endless?interval=0.05", ["--max-time", "0.5"], 0, check_endless),
    "/fault/truncated": ("/fault/truncated?interval=0.01", [], 1, check_error("truncated")),
    "/fault/stall": ("/fault/stall?interval=0.01&stall=5", ["--idle-timeout", "1"], 1, check_error("idle_timeout")),
    "/fault/reset": ("/fault/reset?interval=0.01", [], 1, check_error("reset")),
    "/fault/long-line": ("/fault/long-line?size=5000", ["--max-line", "1000"], 1, check_error("line_too_long")),
    "/fault/status": ("/fault/status", [], 1, check_error("http_status")),
}


def test_every_catalog_entry_has_a_case() -> None:
    assert set(CASES) == {endpoint.route for endpoint in CATALOG}


@pytest.mark.parametrize("endpoint", CATALOG, ids=lambda e: e.route)
def test_get_demo_entry_in_its_suggested_mode(endpoint, capsys: pytest.CaptureFixture[str]) -> None:
    path, extra, expected_status, check = CASES[endpoint.route]
    status, records, err = run_get(capsys, "--demo", path, "--mode", endpoint.mode, *extra)
    assert status == expected_status, (err, records[-1:])
    assert records[0]["kind"] == "response" and records[0]["mode"] == endpoint.mode
    assert records[-1]["kind"] in ("end", "error")
    assert [r for r in records if r["kind"] in ("end", "error")] == [records[-1]]
    check(records)
