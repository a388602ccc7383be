"""LLM streams end to end: servers we did not write, the demo's shapes, provider errors, and the outputs.

The third-party servers (tests/servers/apps.py) send the demo's frames of a
fixed script: sse-starlette under uvicorn writes Anthropic's events in its
own framing, and a Flask generator writes Ollama's NDJSON lines. The
expected transcript is assembled from the script, not from explorer.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from explorer.core.errors import StreamError
from explorer.core.jsonl import jsonl_lines
from explorer.core.llm.metrics import LlmMeter
from explorer.core.llm.stage import LOOK, LlmStage
from explorer.core.record import Kind, Record, SSEEvent, Token
from explorer.core.request import StreamRequest
from explorer.core.stream import open_stream
from explorer.demo.llm_shapes import script

from .helpers import run_get
from .servers import ChildServer, ScriptServer
from .servers.apps import LLM_SCRIPT


@pytest.fixture(scope="module")
def flask_server() -> Iterator[ChildServer]:
    with ChildServer("flask") as server:
        yield server


async def collect(url: str, **options: Any) -> list[Record]:
    return [record async for record in open_stream(StreamRequest(url, **options))]


def transcript(records: list[Record], channel: str) -> str:
    return "".join(r.token.text for r in records if r.kind is Kind.TOKEN and r.token.channel == channel)


def expected(channel: str) -> str:
    return "".join(step.text for step in script(**LLM_SCRIPT).steps if step.channel == channel)  # type: ignore[arg-type]


def assert_llm_stream(records: list[Record], shape: str) -> None:
    """The transcript per channel equals the script's, the tool call parses, and the end holds the metrics."""
    said = script(**LLM_SCRIPT)  # type: ignore[arg-type]
    end = records[-1]
    assert end.kind is Kind.END, end
    llm = end.summary.llm
    assert llm is not None and llm.shape == shape
    assert transcript(records, "text") == expected("text") == llm.text
    assert transcript(records, "thinking") == expected("thinking")
    assert json.loads(transcript(records, "tool:get_weather")) == json.loads(said.arguments(0))
    tokens = [r for r in records if r.kind is Kind.TOKEN]
    assert llm.tokens == said.output_tokens and llm.tokens_source == "usage" and llm.deltas == len(tokens)
    assert llm.ttft == round(tokens[0].t, 6) and llm.e2e == end.summary.phases.last_byte
    for before, token in zip(records, records[1:]):  # each token right after the record it came from, at its time
        if token.kind is Kind.TOKEN:
            assert before.kind in (Kind.SSE, Kind.EVENT, Kind.LINE, Kind.TOKEN) and before.t == token.t


async def test_anthropic_events_from_sse_starlette(chat_server: ChildServer) -> None:
    records = await collect(chat_server.url("/v1/messages"), mode="auto", method="POST")
    assert records[0].response.mode == "sse"
    assert_llm_stream(records, "anthropic")


@pytest.mark.parametrize("mode", ["auto", "lines"])
async def test_ollama_lines_from_flask(flask_server: ChildServer, mode: str) -> None:
    records = await collect(flask_server.url("/api/chat"), mode=mode, method="POST")
    assert_llm_stream(records, "ollama")


async def test_a_plain_sse_stream_is_no_llm_stream(chat_server: ChildServer) -> None:
    records = await collect(chat_server.url("/sse"), mode="sse")
    assert not [r for r in records if r.kind is Kind.TOKEN] and records[-1].summary.llm is None


def sse(data: str, event: str = "message", t: float = 0.1) -> Record:
    return Record(Kind.SSE, 0, t, 0.0, 0, None, SSEEvent(event, data, "", None))


@pytest.mark.parametrize("first, error, said", [
    ('{"type": "message_start", "message": {"model": "m"}}',
     '{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}',
     "overloaded_error: Overloaded"),
    ('{"type": "response.created", "response": {"model": "m"}}',
     '{"type": "error", "code": "server_error", "message": "Try again", "sequence_number": 3}',
     "server_error: Try again"),
    ('{"type": "response.created", "response": {"model": "m"}}',
     '{"type": "response.failed", "response": {"error": {"code": "rate_limit", "message": "Slow down"}}}',
     "rate_limit: Slow down"),
    ('{"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "a"}}]}',
     '{"error": {"message": "Upstream closed", "type": "server_error"}}', "server_error: Upstream closed"),
    ('{"candidates": [{"content": {"parts": [{"text": "a"}]}}]}',
     '{"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}',
     "UNAVAILABLE: The model is overloaded."),
    ('{"model": "m", "created_at": "x", "message": {"role": "assistant", "content": "a"}, "done": false}',
     '{"error": "model runner has unexpectedly stopped"}', "model runner has unexpectedly stopped"),
])
def test_a_provider_error_in_the_stream_is_one_sentence(first: str, error: str, said: str) -> None:
    stage = LlmStage(StreamRequest("http://127.0.0.1/"))
    stage.feed(sse(first))
    with pytest.raises(StreamError) as caught:
        stage.feed(sse(error, t=0.2))
    assert caught.value.type == "llm_error"
    assert caught.value.message == f"The provider reported an error in the stream: {said}."


def test_the_stage_gives_up_after_a_few_records_without_a_shape() -> None:
    stage = LlmStage(StreamRequest("http://127.0.0.1/"))
    for n in range(LOOK):
        assert not stage.off
        assert stage.feed(sse(json.dumps({"n": n}))) == []
    assert stage.off and stage.summary(1.0) is None


def test_a_long_gap_between_tokens_is_a_token_stall() -> None:
    meter = LlmMeter("anthropic", stall_seconds=1.0)
    times = [0.3, 0.35, 0.40, 0.45, 0.50, 2.0, 2.05]
    records = [meter.token(t, Token(f"w{n} ")) for n, t in enumerate(times)]
    assert [r.stall for r in records] == [False] * 5 + [True, False]
    figures = meter.summary(2.1)
    assert figures.stalls == 1 and figures.itl_max == pytest.approx(1.5) and figures.tokens_source == "deltas"
    again = LlmMeter("anthropic")  # a consumer's meter, fed the engine's records, agrees
    for record in records:
        again.add(record)
    assert again.summary(2.1) == figures


def test_the_kept_answer_is_capped_with_its_full_length() -> None:
    meter = LlmMeter("openai-chat", text_cap=10)
    for n in range(6):
        meter.token(0.1 * n, Token("abcd"))
    meter.token(0.7, Token("{}", "tool:f", 0))
    figures = meter.summary()
    assert figures.text == "abcdabcdab" and figures.text_length == 24 and figures.e2e == 0.7


def test_token_records_in_jsonl() -> None:
    meter = LlmMeter("anthropic")
    first = meter.token(0.25, Token("Hi", "text"))
    call = meter.token(0.5, Token('{"a": ', "tool:lookup", 0))
    assert [json.loads(line) for line in jsonl_lines(first) + jsonl_lines(call)] == [
        {"kind": "token", "seq": 0, "t": 0.25, "gap": 0.25, "size": 0, "text": "Hi", "channel": "text",
         "shape": "anthropic"},
        {"kind": "token", "seq": 1, "t": 0.5, "gap": 0.25, "size": 0, "text": '{"a": ', "channel": "tool:lookup",
         "call": 0},
    ]
    cut = meter.token(0.6, Token("x" * 50)).capped(8)
    assert json.loads(jsonl_lines(cut)[0])["truncated"] is True and cut.token.text == "x" * 8 and cut.data_size == 50


def test_get_prints_the_metrics_block(capsys: pytest.CaptureFixture[str]) -> None:
    status, records, _ = run_get(capsys, "--demo", "/llm?tokens=5&tps=200", "--format", "jsonl")
    assert status == 0
    tokens = [r for r in records if r["kind"] == "token"]
    assert [t["text"] for t in tokens] == ["Streaming", " lets", " a", " client", " show"]
    llm = records[-1]["llm"]
    assert llm["shape"] == "openai-chat" and llm["tokens"] == 5 and llm["tokens_source"] == "deltas"
    assert llm["text"] == "Streaming lets a client show" and llm["ttft"] == tokens[0]["t"]
    assert set(llm) >= {"ttft", "itl_p50", "itl_p90", "itl_p99", "itl_max", "tpot", "e2e", "tokens_per_s"}


OVERLOADED = [b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
              b'event: message_start\ndata: {"type": "message_start", "message": {"model": "m"}}\n\n'
              b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, '
              b'"delta": {"type": "text_delta", "text": "Half an"}}\n\n'
              b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", '
              b'"message": "Overloaded \\u001b[31m"}}\n\n']


def test_an_error_event_ends_get_with_one_sentence_after_the_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    with ScriptServer({"/v1/messages": OVERLOADED}) as server:
        status, records, err = run_get(capsys, server.url("/v1/messages"))
    assert status == 1
    assert [r["text"] for r in records if r["kind"] == "token"] == ["Half an"]
    final = records[-1]
    assert final["kind"] == "error" and final["type"] == "llm_error" and final["llm"]["text"] == "Half an"
    assert err == "explorer: The provider reported an error in the stream: overloaded_error: Overloaded ␛[31m.\n"


@pytest.mark.parametrize("shape", ["openai-chat", "openai-responses", "anthropic", "gemini", "ollama",
                                   "ollama-generate"])
def test_every_demo_shape_with_thinking_and_a_tool_call(shape: str, capsys: pytest.CaptureFixture[str]) -> None:
    tools = shape != "ollama-generate"  # /api/generate has no tool calls
    said = script(tokens=8, seed=42, thinking=True, tools=tools)
    status, records, _ = run_get(capsys, "--demo", f"/llm/{shape}?tokens=8&ttft=0&itl=1&stall=0&thinking=1"
                                                   f"&tools={int(tools)}")
    assert status == 0
    tokens = [r for r in records if r["kind"] == "token"]
    for channel in ("text", "thinking"):
        assert "".join(t["text"] for t in tokens if t["channel"] == channel) == \
            "".join(step.text for step in said.steps if step.channel == channel)
    if tools:
        arguments = "".join(t["text"] for t in tokens if t["channel"] == "tool:get_weather")
        assert json.loads(arguments) == json.loads(said.arguments(0))
    llm = records[-1]["llm"]
    assert llm["tokens"] == said.output_tokens and llm["tokens_source"] == "usage"
    assert llm["stop_reason"] and llm["model"]


# Hand-written from the providers' documents and reported streams, not from the demo's builders.

def feed_all(objects: list[tuple[str, dict[str, Any]]]) -> tuple[LlmStage, list[Record]]:
    stage = LlmStage(StreamRequest("http://127.0.0.1/"))
    tokens: list[Record] = []
    for n, (event, obj) in enumerate(objects):
        tokens += stage.feed(sse(json.dumps(obj), event or "message", t=0.1 * (n + 1)))
    return stage, tokens


def test_the_live_responses_error_nests_its_fields() -> None:
    with pytest.raises(StreamError) as caught:
        feed_all([("response.created", {"type": "response.created", "response": {"model": "m"}}),
                  ("error", {"type": "error", "sequence_number": 2,
                             "error": {"type": "invalid_request_error", "code": "context_length_exceeded",
                                       "message": "Too long"}})])
    assert caught.value.message.endswith(": context_length_exceeded: Too long.")


def test_anthropic_usage_counts_only_from_message_delta() -> None:
    """message_start's output_tokens is a placeholder: a stream cut before message_delta counts its deltas."""
    stage, tokens = feed_all([
        ("message_start", {"type": "message_start", "message": {"model": "claude", "usage": {"output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": {"type": "text", "text": ""}}),
        ("ping", {"type": "ping"}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta",
                                                                                      "text": "Hel"}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta",
                                                                                      "text": "lo"}}),
    ])
    summary = stage.summary(0.6)
    assert summary is not None and (summary.tokens, summary.tokens_source, summary.text) == (2, "deltas", "Hello")


@pytest.mark.parametrize("objects", [
    [{"type": "ping"}] * 3 + [{"type": "error", "message": "disk full"}],
    [{"type": ["string", "null"]}, {"type": {"a": 1}}, {"type": "error", "error": {"type": "x", "message": "y"}}],
    [{"choices": "none"}, {"candidates": {}}, {"model": "m", "done": False}],
])
def test_streams_that_are_not_llm_streams_stay_plain(objects: list[dict[str, Any]]) -> None:
    stage, tokens = feed_all([("", obj) for obj in objects])
    assert tokens == [] and stage.summary(1.0) is None


def test_an_azure_first_chunk_and_gemini_usage_on_every_chunk() -> None:
    stage, tokens = feed_all([
        ("", {"choices": [], "created": 0, "id": "", "model": "", "object": "",
              "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}]}),
        ("", {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
              "object": "chat.completion.chunk", "model": "gpt"}),
        ("", {"choices": [{"index": 0, "delta": {"content": "Hi"}}], "object": "chat.completion.chunk"}),
    ])
    assert [t.token.text for t in tokens] == ["Hi"] and stage.summary(0.4).shape == "openai-chat"  # type: ignore[union-attr]
    stage, tokens = feed_all([
        ("", {"candidates": [{"content": {"parts": [{"text": "A"}], "role": "model"}}],
              "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 1}, "modelVersion": "gemini-x"}),
        ("", {"candidates": [{"content": {"parts": [{"text": "B"}], "role": "model"}, "finishReason": "STOP"}],
              "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 2, "thoughtsTokenCount": 7}}),
    ])
    summary = stage.summary(0.3)
    assert summary is not None and summary.text == "AB" and (summary.tokens, summary.tokens_source) == (9, "usage")


def test_hostile_fields_after_the_shape_are_skipped_and_tool_calls_are_capped() -> None:
    start = ("message_start", {"type": "message_start", "message": {"model": "m"}})
    odd = [("content_block_delta", {"type": "content_block_delta", "index": [], "delta": {
        "type": "input_json_delta", "partial_json": "{}"}}),
           ("content_block_delta", {"type": "content_block_delta", "delta": ["text_delta"]}),
           ("content_block_start", {"type": "content_block_start", "index": {}, "content_block": {
               "type": "tool_use", "name": ["x"]}})]
    calls = [("content_block_start", {"type": "content_block_start", "index": n, "content_block": {
        "type": "tool_use", "name": f"t{n}"}}) for n in range(300)]
    calls += [("content_block_delta", {"type": "content_block_delta", "index": n, "delta": {
        "type": "input_json_delta", "partial_json": "{}"}}) for n in range(300)]
    stage, tokens = feed_all([start, *odd, *calls])
    channels = {t.token.channel for t in tokens}
    assert tokens[0].token.channel == "tool:?" and len(channels) <= 258
    assert "tool:calls past the 256 call cap" in channels and max(t.token.call or 0 for t in tokens) == 256
    deep: Any = {}
    for _ in range(3000):  # deeper than json.dumps can write again
        deep = {"a": deep}
    stage = LlmStage(StreamRequest("http://127.0.0.1/"))
    stage.feed(sse(json.dumps({"candidates": [{"content": {"parts": [{"text": "x"}]}}]})))
    assert stage.decoder is not None
    call = {"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": deep}}]}}]}
    (token,) = stage.decoder.feed(call, "")
    assert token.channel == "tool:f" and "too deep" in token.text
