"""Captures read back: every record `get -o` wrote comes back, written again byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.cli import main
from explorer.core.capture import CaptureError, read_capture
from explorer.core.jsonl import jsonl_batch
from explorer.core.record import Kind

CASES = [
    ("/ndjson?count=3&interval=0.01", "json"),
    ("/ndjson?count=3&interval=0.01", "wire"),
    ("/sse?count=5&interval=0.01", "sse"),
    ("/gzip?count=3&interval=0.01", "wire"),
    ("/chunks?count=5", "chunked"),
    ("/llm/anthropic?tokens=5&ttft=0&itl=1&stall=0&thinking=1&tools=1", "auto"),
    ("/llm/ollama?tokens=5&ttft=0&itl=1&stall=0", "json"),
    ("/ws/ticker?count=3&interval=0.01", "ws"),
    ("/fault/truncated?count=2&interval=0.01", "wire"),
]


@pytest.mark.parametrize("path, mode", CASES)
def test_a_capture_reads_back_to_the_same_records(path: str, mode: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    capture = tmp_path / "run.jsonl"
    main(["get", "--demo", path, "-m", mode, "--format", "jsonl", "-o", str(capture)])
    capsys.readouterr()
    runs = read_capture(capture).runs
    assert len(runs) == 1 and runs[0].complete and runs[0].response is not None
    written = capture.read_bytes()
    assert b"".join(jsonl_batch([record]) for record in runs[0].records) == written
    events = [record for record in runs[0].records if record.kind is Kind.EVENT]
    if mode == "json" and "ndjson" in path:  # the ijson events of one read come back as one record, as made
        assert events and all(len(record.events) > 1 for record in events)


def test_runs_are_told_apart_and_a_cut_last_line_is_left_out(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    capture = tmp_path / "two.jsonl"
    for _ in range(2):
        main(["get", "--demo", "/ndjson?count=2&interval=0.01", "--format", "jsonl", "-o", str(capture), "--append"])
    capsys.readouterr()
    data = capture.read_bytes()
    cut = data + data[: data.index(b"\n") + 1] + b'{"kind":"chunk","seq":0,"t":0.0'  # a third run, killed
    capture.write_bytes(cut)
    runs = read_capture(capture).runs
    assert [run.complete for run in runs] == [True, True, False]
    assert [r.kind for r in runs[2].records] == [Kind.RESPONSE]
    assert read_capture(capture, max_records=3).capped


@pytest.mark.parametrize("content, said", [
    (b"", "holds no records"),
    (b"not json\n", "Line 1 of"),
    (b'{"kind": "nonsense", "seq": 0}\n', "is not an explorer record"),
    (b'{"kind": "chunk", "seq": 0, "t": 0, "gap": 0, "size": 1, "data_b64": "!!"}\n', "Line 1"),
])
def test_a_file_that_is_no_capture_is_one_sentence(content: bytes, said: str, tmp_path: Path) -> None:
    capture = tmp_path / "bad.jsonl"
    capture.write_bytes(content)
    with pytest.raises(CaptureError) as caught:
        read_capture(capture)
    assert said in str(caught.value) and str(caught.value).endswith(".")
    with pytest.raises(CaptureError, match="Cannot read the capture"):
        read_capture(tmp_path / "missing.jsonl")


GOOD_RESPONSE = ('{"kind":"response","seq":0,"t":0.01,"gap":0.01,"size":0,"status":200,"reason":"OK",'
                 '"http_version":"1.1","headers":{"Content-Type":"text/plain"},"url":"http://x/","mode":"any",'
                 '"started_at":1700000000.5}')


@pytest.mark.parametrize("line", [
    '{"kind":"chunk","seq":0,"t":0.1,"gap":0.1,"size":Infinity,"data":"x"}',
    '{"kind":"chunk","seq":1e1000000,"t":0.1,"gap":0.1,"size":1,"data":"x"}',
    '{"kind":"chunk","seq":0,"t":NaN,"gap":0.1,"size":1,"data":"x"}',
    '{"kind":"chunk","seq":0,"t":-5,"gap":0.1,"size":1,"data":"x"}',
    '{"kind":"chunk","seq":0,"t":1e999999999,"gap":0.1,"size":1,"data":"x"}',
    '{"kind":"chunk","seq":0,"t":0.1,"gap":0.1,"size":1,"data":["x"]}',
    GOOD_RESPONSE.replace('"mode":"any"', '"mode":"\\u001b[31m"'),
    GOOD_RESPONSE.replace("1700000000.5", "1e20"),
    GOOD_RESPONSE.replace('"status":200', '"status":"200"'),
])
def test_odd_values_in_a_hand_made_capture_are_one_sentence(line: str, tmp_path: Path) -> None:
    capture = tmp_path / "odd.jsonl"
    capture.write_text(line + "\n")
    with pytest.raises(CaptureError, match=r"^Line 1 of .* is not an explorer record"):
        read_capture(capture)


def test_data_going_back_in_time_is_held_at_the_latest_and_long_silences_are_cut_when_served(tmp_path: Path) -> None:
    from explorer.demo.replay import MAX_HEAD_WAIT, plan

    lines = [GOOD_RESPONSE,
             '{"kind":"chunk","seq":0,"t":50,"gap":50,"size":1,"data":"a"}',
             '{"kind":"chunk","seq":1,"t":0.02,"gap":0,"size":1,"data":"b"}',
             '{"kind":"chunk","seq":2,"t":1000000,"gap":999950,"size":1,"data":"c"}']
    capture = tmp_path / "odd.jsonl"
    capture.write_text("\n".join(lines) + "\n")
    records = read_capture(capture).runs[0].records
    assert [r.t for r in records[1:]] == [50.0, 50.0, 1_000_000.0]
    replay = plan(read_capture(capture), "odd.jsonl")
    times = [send.at for send in replay.sends]
    assert all(b - a <= MAX_HEAD_WAIT for a, b in zip([0.0, *times], times)) and times[-1] < 3 * MAX_HEAD_WAIT
    assert any("cut to" in note for note in replay.notes)
