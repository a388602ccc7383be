"""`explorer export --har`: demo streams recorded with `get -o`, exported, validated against the HAR 1.2 schema
kept beside this file, and checked field by field against the capture they came from."""

from __future__ import annotations

import base64
import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import orjson
import pytest

from explorer.cli import main
from explorer.core import har as har_module
from explorer.core.capture import Capture, Run, read_capture
from explorer.core.har import har
from explorer.core.record import Flag, Kind, Phases, Record, Response, SentRequest, Summary

SCHEMA = json.loads((Path(__file__).parent / "har-1.2.schema.json").read_text())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
SECRET = "sk-test-123456789"

# name: (path, mode, extra get options)
CASES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "json": ("/ndjson?count=3&interval=0.01", "json", ()),
    "lines": ("/ndjson?count=3&interval=0.01", "lines", ()),
    "sse": ("/sse?count=3&interval=0.01", "sse", ()),
    "gzip-wire": ("/gzip?count=3&interval=0.01", "wire", ()),
    "ws-ticker": ("/ws/ticker?count=5&interval=0.01", "ws", ("--send", "hello")),  # message 3 is binary
    "ws-echo": ("/ws/echo", "ws", ("--send", "hello", "--max-time", "0.5")),  # echo never closes: max time ends it
    "truncated": ("/fault/truncated?count=2&interval=0.01", "wire", ()),
    "big": ("/firehose?size=65536&total=1310720", "any", ()),  # 1.25 MiB: past the 1 MiB text cap
    "auth": ("/ndjson?count=2&interval=0.01", "json", ("-H", f"Authorization: Bearer {SECRET}")),
}


@pytest.fixture(scope="module")
def captures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every case recorded once, plus a capture of two appended runs."""
    folder = tmp_path_factory.mktemp("captures")
    paths = {}
    for name, (path, mode, extra) in CASES.items():
        paths[name] = folder / f"{name}.jsonl"
        main(["get", "--demo", path, "-m", mode, "--format", "jsonl", "-o", str(paths[name]), *extra])
    paths["appended"] = folder / "appended.jsonl"
    for count in (2, 3):
        main(["get", "--demo", f"/ndjson?count={count}&interval=0.01", "-m", "json", "--format", "jsonl",
              "-o", str(paths["appended"]), "--append"])
    return paths


def export(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """`explorer export --har path`, parsed; it must exit 0, say nothing on stderr and validate."""
    capsys.readouterr()
    assert main(["export", "--har", str(path)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    document = json.loads(out)
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in VALIDATOR.iter_errors(document)]
    assert errors == []
    return document


def ms(seconds: float) -> float:
    return seconds * 1000


def check_entry(entry: dict[str, Any], run: Run) -> None:
    """What every entry must say of its run: request, response head, start, timings that add up."""
    response = run.response
    assert response is not None and response.request is not None and run.final is not None
    sent = response.request
    started = datetime.fromisoformat(entry["startedDateTime"].replace("Z", "+00:00")).timestamp()
    assert abs(started - response.started_at) < 0.001
    request = entry["request"]
    assert (request["method"], request["url"]) == (sent.method, sent.url)
    assert [(h["name"], h["value"]) for h in request["headers"]] == sent.headers
    assert [(q["name"], q["value"]) for q in request["queryString"]] == parse_qsl(urlsplit(sent.url).query)
    assert entry["response"]["status"] == response.status
    assert entry["response"]["httpVersion"] == f"HTTP/{response.http_version}"
    assert {h["name"]: h["value"] for h in entry["response"]["headers"]} == response.headers
    timings = entry["timings"]
    assert entry["time"] == pytest.approx(sum(v for k, v in timings.items() if k != "comment" and v != -1), abs=0.002)
    phases = run.final.summary.phases
    assert phases.sent is not None and phases.headers is not None and phases.last_byte is not None
    first = min(phases.headers, phases.first_byte if phases.first_byte is not None else phases.headers)
    assert timings["wait"] == pytest.approx(ms(first - phases.sent), abs=0.0015)
    assert timings["receive"] == pytest.approx(ms(phases.last_byte - first), abs=0.0015)
    assert timings["connect"] == (-1 if phases.connect is None else pytest.approx(ms(phases.connect), abs=0.0015))
    # laid end to end, the phases reach the last byte
    assert entry["time"] == pytest.approx(ms(phases.last_byte), abs=0.005)


def check_http_body(entry: dict[str, Any], run: Run) -> str:
    """`_chunks` against the data records and the end record's totals; the body text against the data."""
    assert run.final is not None
    data = [r for r in run.records if r.kind in (Kind.CHUNK, Kind.LINE)]
    chunks = entry["_chunks"]
    assert [c["size"] for c in chunks] == [r.size for r in data]
    assert sum(c["size"] for c in chunks) == run.final.summary.bytes == entry["response"]["bodySize"]
    assert [c["time"] for c in chunks] == [pytest.approx(ms(r.t), abs=0.0015) for r in data]
    assert all(a["time"] <= b["time"] for a, b in zip(chunks, chunks[1:]))
    content = entry["response"]["content"]
    assert sum(c["decodedSize"] for c in chunks) == content["size"]
    assert content["mimeType"] == run.response.headers["Content-Type"]  # type: ignore[union-attr]
    assert "encoding" not in content
    return str(content["text"])


def test_a_json_stream_exports_its_body_chunks_and_timings(captures: dict[str, Path],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    document = export(captures["json"], capsys)
    log = document["log"]
    assert log["version"] == "1.2" and log["creator"]["name"] == "explorer"
    runs = read_capture(captures["json"]).runs
    [entry] = log["entries"]
    check_entry(entry, runs[0])
    text = check_http_body(entry, runs[0])
    assert text == b"".join(r.data or b"" for r in runs[0].records if r.kind is Kind.CHUNK).decode()
    objects = [json.loads(line) for line in text.splitlines()]
    starts = [r for r in runs[0].records if r.kind is Kind.EVENT for _, event, _ in r.events if event == "start_map"]
    assert [o["id"] for o in objects] == [0, 1, 2] and len(starts) == 3  # the ijson events saw the same objects
    assert entry["_resourceType"] == "fetch" and entry["_mode"] == "json" and "comment" not in entry


def test_a_lines_capture_rebuilds_its_body_from_the_lines(captures: dict[str, Path],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    [entry] = export(captures["lines"], capsys)["log"]["entries"]
    run = read_capture(captures["lines"]).runs[0]
    check_entry(entry, run)
    text = check_http_body(entry, run)
    lines = [r.data for r in run.records if r.kind is Kind.LINE]
    assert len(lines) == 3 and text.encode() == b"".join(line + b"\n" for line in lines if line is not None)
    assert len(text.encode()) == entry["response"]["content"]["size"]


def test_an_sse_stream_keeps_every_event_in_its_text(captures: dict[str, Path],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    [entry] = export(captures["sse"], capsys)["log"]["entries"]
    run = read_capture(captures["sse"]).runs[0]
    check_entry(entry, run)
    text = check_http_body(entry, run)
    events = [r.sse for r in run.records if r.kind is Kind.SSE]
    assert [line[len("data: "):] for line in text.splitlines() if line.startswith("data:")] == [e.data for e in events]
    assert len(text.encode()) == entry["response"]["content"]["size"] == run.final.summary.bytes  # type: ignore


def test_a_gzip_wire_capture_has_wire_sizes_and_decoded_text(captures: dict[str, Path],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    [entry] = export(captures["gzip-wire"], capsys)["log"]["entries"]
    run = read_capture(captures["gzip-wire"]).runs[0]
    check_entry(entry, run)
    text = check_http_body(entry, run)
    content, body_size = entry["response"]["content"], entry["response"]["bodySize"]
    assert text.splitlines() == [f"Compressed line {n}: the client sees it as soon as it is flushed" for n in range(3)]
    assert content["size"] == len(text.encode()) > body_size  # decoded is bigger than what the wire carried
    assert content["compression"] == content["size"] - body_size
    assert [c["decodedSize"] for c in entry["_chunks"]] == [r.data_size for r in run.records if r.kind is Kind.CHUNK]


def test_websocket_messages_are_written_as_chrome_devtools_does(captures: dict[str, Path],
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    [entry] = export(captures["ws-ticker"], capsys)["log"]["entries"]
    run = read_capture(captures["ws-ticker"]).runs[0]
    check_entry(entry, run)
    response = run.response
    assert response is not None and entry["response"]["status"] == 101
    assert entry["_resourceType"] == "websocket" and "_chunks" not in entry
    messages = [r for r in run.records if r.kind is Kind.MESSAGE]
    written = entry["_webSocketMessages"]
    assert [m["type"] for m in written] == ["send" if r.flags & Flag.OUTGOING else "receive" for r in messages]
    assert [m["type"] for m in written].count("send") == 1 and [m["type"] for m in written].count("receive") == 5
    assert [m["opcode"] for m in written if m["type"] == "receive"] == [1, 1, 1, 2, 1]
    for message, record in zip(written, messages):
        assert message["time"] == pytest.approx(response.started_at + record.t, abs=1e-6)
        raw = base64.b64decode(message["data"]) if message["opcode"] == 2 else message["data"].encode()
        assert raw == record.data
    assert written[0] == {"type": "send", "time": written[0]["time"], "opcode": 1, "data": "hello"}
    assert entry["_webSocketClose"] == {"code": 1000, "reason": "done"}


def test_the_echo_sends_and_receives_and_says_it_was_stopped(captures: dict[str, Path],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    [entry] = export(captures["ws-echo"], capsys)["log"]["entries"]
    run = read_capture(captures["ws-echo"]).runs[0]
    written = entry["_webSocketMessages"]
    received = [r for r in run.records if r.kind is Kind.MESSAGE and not r.flags & Flag.OUTGOING]
    assert [m for m in written if m["type"] == "send"] == [
        {"type": "send", "time": written[0]["time"], "opcode": 1, "data": "hello"}]
    assert [m["data"] for m in written if m["type"] == "receive"] == ["hello"] * len(received)
    assert entry["comment"].startswith("Stopped early: max time")


def test_an_error_run_keeps_its_partial_chunk_and_its_sentence(captures: dict[str, Path],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    [entry] = export(captures["truncated"], capsys)["log"]["entries"]
    run = read_capture(captures["truncated"]).runs[0]
    assert run.final is not None and run.final.kind is Kind.ERROR
    check_entry(entry, run)
    text = check_http_body(entry, run)
    summary = run.final.summary
    assert entry["_error"] == {"type": "truncated", "message": summary.error} and entry["comment"] == summary.error
    assert [c.get("partial", False) for c in entry["_chunks"]] == [False, False, True]
    assert text.endswith("only a piece")


def test_a_body_past_the_cap_is_cut_and_says_so(captures: dict[str, Path],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    [entry] = export(captures["big"], capsys)["log"]["entries"]
    run = read_capture(captures["big"]).runs[0]
    check_entry(entry, run)
    content = entry["response"]["content"]
    body = b"".join(r.data or b"" for r in run.records if r.kind is Kind.CHUNK)
    assert content["size"] == len(body) == 1310720 == entry["response"]["bodySize"]
    assert content["_truncated"] is True and content["text"].encode() == body[:har_module.BODY_CAP]


def test_appended_runs_are_one_entry_each_in_order(captures: dict[str, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    entries = export(captures["appended"], capsys)["log"]["entries"]
    runs = read_capture(captures["appended"]).runs
    assert len(entries) == len(runs) == 2
    for entry, run in zip(entries, runs):
        check_entry(entry, run)
        check_http_body(entry, run)
    assert [len(e["_chunks"]) for e in entries] == [2, 3]
    assert entries[0]["startedDateTime"] <= entries[1]["startedDateTime"]


def test_a_masked_header_stays_masked(captures: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert SECRET not in captures["auth"].read_text()
    capsys.readouterr()
    assert main(["export", "--har", str(captures["auth"])]) == 0
    out = capsys.readouterr().out
    assert SECRET not in out
    [entry] = json.loads(out)["log"]["entries"]
    sent = read_capture(captures["auth"]).runs[0].response.request  # type: ignore[union-attr]
    assert sent is not None
    [value] = [h["value"] for h in entry["request"]["headers"] if h["name"] == "Authorization"]
    assert value == dict(sent.headers)["Authorization"] and value.endswith("(masked)")


@pytest.mark.parametrize("breakage", [
    "no entries", "no creator", "wait -1", "an unknown field", "status as text", "header without value",
])
def test_the_schema_refuses_what_the_spec_does_not_allow(breakage: str, captures: dict[str, Path],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    document = export(captures["json"], capsys)
    broken = copy.deepcopy(document)
    log, entry = broken["log"], broken["log"]["entries"][0]
    if breakage == "no entries":
        del log["entries"]
    elif breakage == "no creator":
        del log["creator"]
    elif breakage == "wait -1":
        entry["timings"]["wait"] = -1
    elif breakage == "an unknown field":
        entry["response"]["chunks"] = entry.pop("_chunks")  # a custom field must start with "_"
    elif breakage == "status as text":
        entry["response"]["status"] = "200"
    else:
        del entry["request"]["headers"][0]["value"]
    assert not VALIDATOR.is_valid(broken)
    assert VALIDATOR.is_valid(document)


@pytest.mark.parametrize("content, said", [
    (None, "Cannot read the capture"),
    (b"not json\n", "is not JSON"),
    (b'{"kind":"error","seq":0,"t":0.005,"gap":0.005,"size":0,"records":0,"bytes":0,"duration":0.005,"ttfb":null,'
     b'"phases":{"dns":null,"connect":null,"sent":null,"headers":null,"first_byte":null,"last_byte":null,'
     b'"total":0.005},"error":"Connection refused by 127.0.0.1:9: nothing is listening there.",'
     b'"type":"connection_refused"}\n', "nothing to export"),
])
def test_an_unusable_capture_is_one_sentence_and_exit_2(content: bytes | None, said: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "missing.jsonl"
    if content is not None:
        path.write_bytes(content)
    assert main(["export", "--har", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("explorer export: ") and err.rstrip().endswith(".")
    assert said in err


# Synthetic captures, for what the demo does not send: redirects, 1xx, binary bodies, lone surrogates.

def _response(status: int, headers: dict[str, str], url: str = "http://example.test/a?x=1&y=&x=2#top") -> Response:
    sent = SentRequest("POST", url, [("Host", "example.test")], body_size=7)
    return Response(status, "Reason", "1.1", headers, url, "any", 1_700_000_000.25, sent)


def _summary(**phases: float) -> Summary:
    return Summary(records=1, bytes=4, duration=0.5, ttfb=None, phases=Phases(**phases))


def test_redirect_hops_are_entries_of_their_own_and_1xx_is_left_out() -> None:
    records = [
        Record(Kind.REDIRECT, 0, 0.100, 0.1, 0, value=_response(302, {"Location": "/b"})),
        Record(Kind.INFORMATIONAL, 0, 0.150, 0.15, 0, value=_response(103, {"Link": "</s.css>"})),
        Record(Kind.RESPONSE, 0, 0.200, 0.2, 0, value=_response(200, {"Content-Type": "text/plain"})),
        Record(Kind.CHUNK, 0, 0.300, 0.3, 4, data=b"abcd"),
        Record(Kind.END, 0, 0.5, 0.5, 0, value=_summary(dns=0.01, connect=0.02, sent=0.12, headers=0.2,
                                                         first_byte=0.2, last_byte=0.3, total=0.5)),
    ]
    document = har(Capture([Run(records)]))
    assert VALIDATOR.is_valid(document)
    hop, final = document["log"]["entries"]
    assert (hop["response"]["status"], hop["response"]["redirectURL"]) == (302, "/b")
    assert hop["time"] == hop["timings"]["wait"] == 100.0
    assert final["response"]["status"] == 200
    assert final["startedDateTime"] == "2023-11-14T22:13:20.350Z"  # 1_700_000_000.25 + the hop's 0.1 s
    assert final["timings"]["dns"] == final["timings"]["connect"] == -1  # which hop's connection is unknown
    assert (final["timings"]["send"], final["timings"]["wait"], final["timings"]["receive"]) == (20.0, 80.0, 100.0)
    assert final["_chunks"] == [{"time": 200.0, "size": 4, "decodedSize": 4}]
    assert final["request"]["url"] == "http://example.test/a?x=1&y=&x=2"  # HAR URLs leave the fragment out
    assert final["request"]["queryString"] == [{"name": "x", "value": "1"}, {"name": "y", "value": ""},
                                               {"name": "x", "value": "2"}]
    assert (final["request"]["method"], final["request"]["bodySize"]) == ("POST", 7)


def test_dns_inside_the_connect_span_is_counted_once() -> None:
    """aiohttp's connection span includes DNS; HAR lays them end to end, so the timings still end at the last byte."""
    records = [
        Record(Kind.RESPONSE, 0, 0.0063, 0.0063, 0, value=_response(200, {})),
        Record(Kind.END, 0, 0.01, 0.01, 0, value=_summary(dns=0.0011, connect=0.0034, sent=0.0041, headers=0.0063,
                                                           first_byte=0.0063, last_byte=0.0063, total=0.01)),
    ]
    [entry] = har(Capture([Run(records)]))["log"]["entries"]
    timings = entry["timings"]
    assert (timings["dns"], timings["connect"], timings["send"], timings["wait"]) == (1.1, 3.0, 0.0, 2.2)
    assert entry["time"] == pytest.approx(6.3, abs=0.001)


def test_a_binary_body_is_base64_and_a_lone_surrogate_is_written(monkeypatch: pytest.MonkeyPatch) -> None:
    body = bytes(range(255, -1, -1))  # not UTF-8 from its first byte
    records = [
        Record(Kind.RESPONSE, 0, 0.01, 0.01, 0, value=_response(200, {"X-Odd": "a\udc80b"})),
        Record(Kind.CHUNK, 0, 0.02, 0.02, 256, data=body),
    ]
    document = har(Capture([Run(records)]))  # a run the capture cut short: no end record
    [entry] = document["log"]["entries"]
    content = entry["response"]["content"]
    assert content["encoding"] == "base64" and base64.b64decode(content["text"]) == body
    assert content["mimeType"] == "x-unknown" and "_truncated" not in content
    assert entry["comment"].startswith("The capture ends before this stream did")
    assert {"name": "X-Odd", "value": "a\ufffdb"} in entry["response"]["headers"]
    assert VALIDATOR.is_valid(orjson.loads(orjson.dumps(document)))
    monkeypatch.setattr(har_module, "BODY_CAP", 100)  # a cut body stays bytes for bytes what arrived
    content = har(Capture([Run(records)]))["log"]["entries"][0]["response"]["content"]
    assert base64.b64decode(content["text"]) == body[:100] and content["_truncated"] is True


def test_a_text_body_cut_inside_a_character_drops_the_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    records = [
        Record(Kind.RESPONSE, 0, 0.01, 0.01, 0, value=_response(200, {"Content-Type": "text/plain"})),
        Record(Kind.CHUNK, 0, 0.02, 0.02, 8, data="aéé".encode()),  # 5 bytes: a, then two 2-byte characters
    ]
    monkeypatch.setattr(har_module, "BODY_CAP", 4)  # ends inside the second é
    content = har(Capture([Run(records)]))["log"]["entries"][0]["response"]["content"]
    assert (content["text"], content["size"], content["_truncated"]) == ("aé", 5, True)
