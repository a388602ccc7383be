"""The LLM-shaped demo endpoints (/llm/{shape}) and the pure builders of their wire formats."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest

from explorer.core.modes.auto import mode_for_content_type
from explorer.demo import DemoServer
from explorer.demo.catalog import CATALOG, LLM_PARAMS, PAIRS, find, find_pair
from explorer.demo.llm_shapes import CONTENT_TYPES, SHAPES, Script, frames, script, timed_frames
from explorer.demo.params import parse_all

SSE_SHAPES = [s for s in SHAPES if CONTENT_TYPES[s] == "text/event-stream"]
NAMED_EVENTS = {"openai-responses", "anthropic"}  # the shapes whose events have an `event:` line
OPTIONS = {"plain": dict(thinking=False, tools=False, usage=True),
           "everything": dict(thinking=True, tools=True, usage=True),
           "no-usage": dict(thinking=True, tools=True, usage=False)}


async def http_chunks(url: str) -> tuple[aiohttp.ClientResponse, list[tuple[float, bytes]]]:
    """The response and each whole HTTP chunk with the time its last byte was read."""
    chunks, pending = [], b""
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        async with session.get(url) as resp:
            assert resp.status == 200, await resp.text()
            async for data, end in resp.content.iter_chunks():
                pending += data
                if end and pending:
                    chunks.append((time.perf_counter() - start, pending))
                    pending = b""
    return resp, chunks


def sse_fields(frame: bytes) -> tuple[str | None, str]:
    """The event name (or None) and data of one SSE frame, which must be exactly one event."""
    text = frame.decode()
    assert text.endswith("\n\n") and "\n\n" not in text[:-2], text
    lines = text[:-2].split("\n")
    event = lines.pop(0)[len("event: "):] if lines[0].startswith("event: ") else None
    assert len(lines) == 1 and lines[0].startswith("data: "), text
    return event, lines[0][len("data: "):]


def objects(shape: str, data: list[bytes]) -> list[dict[str, Any]]:
    """The JSON object of every frame ([DONE] left out), checking each frame's framing on the way."""
    out = []
    for frame in data:
        if CONTENT_TYPES[shape] == "application/x-ndjson":
            assert frame.endswith(b"\n") and frame.count(b"\n") == 1, frame
            out.append(json.loads(frame))
            continue
        event, payload = sse_fields(frame)
        assert (event is not None) == (shape in NAMED_EVENTS), frame
        if payload == "[DONE]":
            assert shape == "openai-chat" and frame is data[-1]
            continue
        obj = json.loads(payload)
        assert event is None or obj["type"] == event
        out.append(obj)
    return out


def decode(shape: str, data: list[bytes]) -> dict[str, Any]:
    """What a client reads from the frames: text, thinking, each tool call's argument fragments, usage, stop."""
    got: dict[str, Any] = {"text": "", "thinking": "", "calls": {}, "usage": None, "stop": None}

    def call(key: Any, fragment: str) -> None:
        got["calls"].setdefault(key, []).append(fragment)

    for obj in objects(shape, data):
        if shape == "openai-chat":
            if obj["choices"]:
                choice = obj["choices"][0]
                got["text"] += choice["delta"].get("content", "")
                got["thinking"] += choice["delta"].get("reasoning_content", "")
                for c in choice["delta"].get("tool_calls", []):
                    call(c["index"], c["function"]["arguments"])
                got["stop"] = choice["finish_reason"] or got["stop"]
            if obj.get("usage"):
                got["usage"] = obj["usage"]["completion_tokens"]
        elif shape == "openai-responses":
            kind = obj["type"]
            got["text"] += obj["delta"] if kind == "response.output_text.delta" else ""
            got["thinking"] += obj["delta"] if kind == "response.reasoning_summary_text.delta" else ""
            if kind == "response.function_call_arguments.delta":
                call(obj["item_id"], obj["delta"])
            if kind == "response.function_call_arguments.done":
                assert "".join(got["calls"][obj["item_id"]]) == obj["arguments"]
            if kind == "response.completed":
                got["usage"] = (obj["response"]["usage"] or {}).get("output_tokens")
                got["stop"] = obj["response"]["status"]
        elif shape == "anthropic":
            delta = obj.get("delta", {})
            got["text"] += delta.get("text", "")
            got["thinking"] += delta.get("thinking", "")
            if delta.get("type") == "input_json_delta":
                call(obj["index"], delta["partial_json"])
            if obj["type"] == "message_delta":
                got["usage"] = obj.get("usage", {}).get("output_tokens")
                got["stop"] = delta["stop_reason"]
        elif shape == "gemini":
            candidate = obj["candidates"][0]
            for part in candidate["content"]["parts"]:
                if "functionCall" in part:
                    call(len(got["calls"]), json.dumps(part["functionCall"]["args"]))
                else:
                    got["thinking" if part.get("thought") else "text"] += part["text"]
            got["stop"] = candidate.get("finishReason", got["stop"])
            got["usage"] = obj.get("usageMetadata", {}).get("candidatesTokenCount", got["usage"])
        else:
            source = obj["message"] if shape == "ollama" else obj
            got["text"] += source.get("content", source.get("response", ""))
            got["thinking"] += source.get("thinking", "")
            for c in source.get("tool_calls", []):
                call(len(got["calls"]), json.dumps(c["function"]["arguments"]))
            if obj["done"]:
                got["usage"], got["stop"] = obj.get("eval_count"), obj["done_reason"]
    return got


def channel(answer: Script, name: str) -> str:
    return "".join(step.text for step in answer.steps if step.channel == name)


# -- the builders -----------------------------------------------------------------


def test_script_is_seeded_and_ordered() -> None:
    answer = script(tokens=40, seed=7, thinking=True, tools=True)
    assert answer == script(tokens=40, seed=7, thinking=True, tools=True)
    assert len({channel(script(tokens=40, seed=seed), "text") for seed in range(6)}) > 1
    kinds = [step.channel for step in answer.steps]
    assert kinds == sorted(kinds, key=["thinking", "text", "tool:get_weather"].index)
    assert kinds.count("text") == 40 and kinds.count("thinking") >= 4
    assert kinds.count("tool:get_weather") > 2 and json.loads(answer.arguments(0))["unit"] == "celsius"
    assert answer.output_tokens == len(answer.steps) and answer.stop_reason == "tool"
    assert script(tokens=5, usage=False).output_tokens is None
    assert channel(script(tokens=2000, seed=1), "text").count(" ") >= 1500  # long answers cycle the prose


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS)
@pytest.mark.parametrize("shape", SHAPES)
def test_every_frame_parses_and_carries_the_script(shape: str, options: dict[str, bool]) -> None:
    answer = script(tokens=12, seed=5, **options)
    got = decode(shape, frames(shape, answer))
    assert got["thinking"] == channel(answer, "thinking")
    arguments = channel(answer, "tool:get_weather")
    if shape == "ollama-generate":  # no tool calling: the call's JSON is streamed as response text
        assert got["text"] == channel(answer, "text") + arguments and not got["calls"]
    else:
        assert got["text"] == channel(answer, "text")
        calls = [json.loads("".join(fragments)) for fragments in got["calls"].values()]
        assert calls == ([json.loads(arguments)] if options["tools"] else [])
        if options["tools"] and shape not in ("gemini", "ollama"):  # these two send a call whole
            [fragments] = got["calls"].values()
            assert len(fragments) > 1 and "".join(fragments) == arguments  # the very text, in pieces
    thinking = answer.thinking_tokens if shape == "gemini" else 0  # Gemini counts thoughts apart
    assert got["usage"] == (None if not options["usage"] else len(answer.steps) - thinking)
    assert got["stop"] is not None


def test_each_step_is_carried_by_exactly_one_frame_in_order() -> None:
    answer = script(tokens=10, seed=2, thinking=True, tools=True)
    for shape in SHAPES:
        carried = [i for frame in timed_frames(shape, answer) for i in frame.steps]
        assert carried == list(range(len(answer.steps))), shape


def test_stop_reasons_in_each_providers_words() -> None:
    expected = {"openai-chat": ("stop", "tool_calls", "length"), "openai-responses": ("completed", "completed", None),
                "anthropic": ("end_turn", "tool_use", "max_tokens"), "gemini": ("STOP", "STOP", "MAX_TOKENS"),
                "ollama": ("stop", "stop", "length"), "ollama-generate": ("stop", "stop", "length")}
    for shape, (plain, tool, length) in expected.items():
        cut = dataclasses.replace(script(tokens=4), stop_reason="length")
        assert decode(shape, frames(shape, script(tokens=4)))["stop"] == plain, shape
        assert decode(shape, frames(shape, script(tokens=4, tools=True)))["stop"] == tool, shape
        if shape == "openai-responses":  # a cut response ends with response.incomplete instead
            assert json.loads(sse_fields(frames(shape, cut)[-1])[1])["response"]["incomplete_details"] == \
                {"reason": "max_output_tokens"}
        else:
            assert decode(shape, frames(shape, cut))["stop"] == length, shape


def test_preambles_and_epilogues_as_documented() -> None:
    answer = script(tokens=3, usage=True)
    names = [sse_fields(f)[0] for f in frames("anthropic", answer)]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    responses = [json.loads(sse_fields(f)[1]) for f in frames("openai-responses", answer)]
    assert [r["type"] for r in responses[:2]] == ["response.created", "response.in_progress"]
    assert [r["sequence_number"] for r in responses] == list(range(len(responses)))
    chat = frames("openai-chat", answer)
    assert json.loads(sse_fields(chat[0])[1])["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chat[-1] == b"data: [DONE]\n\n" and json.loads(sse_fields(chat[-2])[1])["choices"] == []
    done = json.loads(frames("ollama", answer)[-1])
    assert done["done"] is True and done["eval_count"] == 3 and done["eval_duration"] > 0
    assert done["total_duration"] >= done["prompt_eval_duration"] + done["eval_duration"]


# -- the endpoints ----------------------------------------------------------------


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS)
@pytest.mark.parametrize("shape", SHAPES)
async def test_endpoint_sends_the_builders_frames_one_chunk_each(demo_url: str, shape: str,
                                                                 options: dict[str, bool]) -> None:
    flags = "&".join(f"{k}={int(v)}" for k, v in options.items())
    resp, chunks = await http_chunks(f"{demo_url}/llm/{shape}?tokens=9&seed=3&ttft=0&itl=0&stall=0&{flags}")
    expected = frames(shape, dataclasses.replace(script(tokens=9, seed=3, **options), prompt_ms=0, eval_ms=0))
    assert [data for _, data in chunks] == expected
    assert resp.content_type == CONTENT_TYPES[shape]
    endpoint = find(f"/llm/{shape}")
    assert endpoint is not None and mode_for_content_type(resp.headers["Content-Type"]) == endpoint.mode


async def test_a_stall_is_the_longest_gap_and_comes_before_stall_at(demo_url: str) -> None:
    query = "tokens=8&seed=1&ttft=0&itl=5&jitter=0&stall=1000&stall_at=3"
    _, chunks = await http_chunks(f"{demo_url}/llm/anthropic?{query}")
    planned = timed_frames("anthropic", script(tokens=8, seed=1))
    assert [data for _, data in chunks] == [frame.data for frame in planned]
    stalled = next(n for n, frame in enumerate(planned) if 3 in frame.steps)
    gaps = [b[0] - a[0] for a, b in zip(chunks, chunks[1:])]
    longest = max(range(len(gaps)), key=gaps.__getitem__)
    assert longest + 1 == stalled, gaps  # gaps[k] is the wait before chunk k + 1
    assert gaps[longest] >= 0.5, gaps  # the server slept 1 s: load can only add to it


async def test_ttft_holds_back_the_first_delta_not_the_preamble(demo_url: str) -> None:
    _, chunks = await http_chunks(f"{demo_url}/llm/openai-responses?tokens=4&ttft=1000&itl=1&stall=0")
    planned = timed_frames("openai-responses", script(tokens=4, seed=42))
    first = next(n for n, frame in enumerate(planned) if frame.steps)
    assert first >= 3  # response.created, response.in_progress, output_item.added... go at once
    gaps = [b[0] - a[0] for a, b in zip(chunks, chunks[1:])]
    assert gaps[first - 1] >= 0.5 and gaps[first - 1] == max(gaps), gaps


async def test_bad_params_get_400_naming_the_limit(demo_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for query, needle, limit in [("tokens=999999", "'tokens'", "2000"), ("itl=-1", "'itl'", "10000"),
                                     ("jitter=2", "'jitter'", "1"), ("thinking=2", "'thinking'", "1"),
                                     ("stall=1e9", "'stall'", "120000"), ("ttft=nan", "'ttft'", "60000")]:
            async with session.get(f"{demo_url}/llm/gemini?{query}") as resp:
                text = await resp.text()
                assert resp.status == 400, query
                assert needle in text and limit in text, text


async def test_a_client_that_leaves_is_recorded_without_traceback(demo: DemoServer,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with aiohttp.ClientSession() as session:
        async with session.get(demo.url + "/llm/ollama?tokens=50&ttft=0&itl=20&stall=0") as resp:
            await resp.content.readline()
    deadline = time.monotonic() + 10
    ended: list[dict[str, Any]] = []
    while not ended and time.monotonic() < deadline:
        ended = [e for e in demo.event_log.snapshot() if e["path"].startswith("/llm/ollama")]
        await asyncio.sleep(0.02)
    assert ended and ended[0]["outcome"] != "completed" and ended[0]["chunks"] < 50
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]


async def test_catalog_lists_the_routes_and_the_pair(demo_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(demo_url + "/") as resp:
            entries = {e["route"]: e for e in await resp.json()}
        async with session.get(demo_url + "/pairs") as resp:
            pairs = {p["name"]: p for p in await resp.json()}
    for shape in SHAPES:
        entry = entries[f"/llm/{shape}"]
        assert entry["group"] == "llm" and entry["mode"] == mode_for_content_type(CONTENT_TYPES[shape])
        assert entry["params"]["tokens"] == {"default": 60, "max": 2000, "min": 1,
                                             "help": entry["params"]["tokens"]["help"]}
    assert "/llm" in entries  # the old endpoint stays
    assert "llm-fast-vs-slow" in pairs and find_pair("llm-fast-vs-slow") in PAIRS
    pair = find_pair("llm-fast-vs-slow")
    assert pair is not None
    for side in (pair.a, pair.b):
        url = urlsplit(side.path)
        endpoint = find(url.path)
        assert endpoint is not None and endpoint.params == LLM_PARAMS and endpoint in CATALOG
        parse_all(endpoint.params, dict(parse_qsl(url.query)))  # within every limit
