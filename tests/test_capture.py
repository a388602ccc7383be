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
