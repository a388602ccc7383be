"""Every LLM stream shape, split anywhere: the tokens, the transcript and the serving metrics.

The streams are built from each provider's documented format by the demo's
builders (`explorer.demo.llm_shapes`), whose frames say which steps of the
script each one carries. The bytes are cut at arbitrary points, each piece
gets an arrival time, and the pieces go through the real parsers (the SSE
parser, a line splitter, ijson's push parser) into the engine's LLM stage.
The test assembles the expected transcript from the script and computes the
metrics itself from the same arrival times.
"""

from __future__ import annotations

import json
import math

import ijson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.core.llm.stage import LlmStage
from explorer.core.modes.sse import SSEParser
from explorer.core.record import Kind, Record
from explorer.core.request import StreamRequest
from explorer.demo.llm_shapes import Script, Step, timed_frames

SSE_SHAPES = ("openai-chat", "openai-responses", "anthropic", "gemini")
REPORTED = {"ollama-generate": "ollama"}  # the shape explorer reports for each demo shape
WHOLE_CALLS = ("gemini", "ollama")  # tool calls come whole: one token per call
NO_TOOLS = ("ollama-generate",)


@st.composite
def scripts(draw: st.DrawFn, shape: str) -> Script:
    """Thinking, then text, then tool calls: the order every shape streams them in."""
    steps = [Step("thinking", f"t{i} ") for i in range(draw(st.integers(0, 3)))]
    steps += [Step("text", draw(st.sampled_from(["w", " ü", "\"q\"", "a\\b", "\n", "€"])) + f"{i}")
              for i in range(draw(st.integers(1, 10)))]
    for call in range(0 if shape in NO_TOOLS else draw(st.integers(0, 2))):
        arguments = json.dumps({"city": f"C{call}", "days": call + 1, "note": "x y"})
        cuts = sorted(draw(st.sets(st.integers(1, len(arguments) - 1), max_size=4)))
        pieces = [arguments[a:b] for a, b in zip([0, *cuts], [*cuts, len(arguments)])]
        steps += [Step(f"tool:tool_{call}", piece, call) for piece in pieces]
    usage = draw(st.one_of(st.none(), st.integers(len(steps), len(steps) + 50)))
    return Script(tuple(steps), output_tokens=usage, stop_reason="tool" if any(s.call is not None for s in steps)
                  else "stop")


def expected_tokens(shape: str, script: Script, frames: list) -> list[tuple[int, str, str, int | None]]:
    """(frame index, channel, text, call) of each token, from the frames' steps."""
    out: list[tuple[int, str, str, int | None]] = []
    for j, frame in enumerate(frames):
        for i in frame.steps:
            step = script.steps[i]
            if step.call is not None and shape in WHOLE_CALLS:
                if not out or out[-1][0] != j or out[-1][3] != step.call:
                    out.append((j, step.channel, script.arguments(step.call), step.call))
            else:
                out.append((j, step.channel, step.text, step.call))
    return out


def pieces_of(body: bytes, cuts: list[int], gaps: list[float]) -> list[tuple[bytes, float]]:
    edges = [0, *sorted(set(c for c in cuts if 0 < c < len(body))), len(body)]
    t, out = 0.05, []
    for n, (a, b) in enumerate(zip(edges, edges[1:])):
        t += gaps[n % len(gaps)]
        out.append((body[a:b], t))
    return out


def feed(shape: str, path: str, pieces: list[tuple[bytes, float]], stage: LlmStage) -> list[Record]:
    """Run the pieces through the mode's parser, records stamped with their piece's time, into the stage."""
    tokens: list[Record] = []
    if path == "sse":
        parser = SSEParser()
        for data, t in pieces:
            for event in parser.feed(data):
                tokens += stage.feed(Record(Kind.SSE, 0, t, 0.0, 0, None, event))
    elif path == "lines":
        pending = b""
        for data, t in pieces:
            *lines, pending = (pending + data).split(b"\n")
            for line in lines:
                tokens += stage.feed(Record(Kind.LINE, 0, t, 0.0, len(line), line))
    else:
        events = ijson.sendable_list()
        coro = ijson.parse_coro(events, multiple_values=True)
        for data, t in pieces:
            coro.send(data)
            if events:
                tokens += stage.feed(Record(Kind.EVENT, 0, t, 0.0, 0, None, tuple(events)))
                del events[:]
        coro.close()
    return tokens


def arrival(pieces: list[tuple[bytes, float]], offset: int) -> float:
    """The time of the piece holding byte `offset`."""
    start = 0
    for data, t in pieces:
        if start <= offset < start + len(data):
            return t
        start += len(data)
    raise AssertionError(offset)


def comparable(whole_calls: bool, channel: str, text: str) -> object:
    """A whole tool call's arguments as parsed JSON (explorer serializes them again), other text as it is."""
    return json.loads(text) if whole_calls and channel.startswith("tool:") else text


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * p / 100)) - 1]


CASES = [(shape, "sse") for shape in SSE_SHAPES] + [(shape, path) for shape in ("ollama", "ollama-generate")
                                                     for path in ("lines", "json")]


@pytest.mark.parametrize("shape, path", CASES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_shape_split_anywhere_gives_its_transcript_and_metrics(shape: str, path: str, data: st.DataObject) -> None:
    script = data.draw(scripts(shape))
    frames = timed_frames(shape, script)
    body = b"".join(frame.data for frame in frames)
    cuts = data.draw(st.lists(st.integers(1, max(1, len(body) - 1)), max_size=12))
    gaps = data.draw(st.lists(st.sampled_from([0.0, 0.001, 0.004, 0.03, 0.2, 1.5]), min_size=1, max_size=8))
    pieces = pieces_of(body, cuts, gaps)
    stage = LlmStage(StreamRequest("http://127.0.0.1/"))
    tokens = feed(shape, path, pieces, stage)

    # Each token at the arrival of the piece that completed its frame (json mode: the closing brace).
    ends, start = [], 0
    for frame in frames:
        start += len(frame.data)
        ends.append(start - (2 if path == "json" else 1))
    want = expected_tokens(shape, script, frames)
    whole = shape in WHOLE_CALLS
    assert [(t.token.channel, comparable(whole, t.token.channel, t.token.text), t.token.call) for t in tokens] == \
        [(channel, comparable(whole, channel, text), call) for _, channel, text, call in want]
    times = [arrival(pieces, ends[j]) for j, *_ in want]
    assert [t.t for t in tokens] == times
    assert [t.seq for t in tokens] == list(range(len(tokens)))

    # The transcript, assembled independently from the script.
    answer = "".join(step.text for step in script.steps if step.channel == "text")
    summary = stage.summary(pieces[-1][1])
    assert summary is not None and summary.shape == REPORTED.get(shape, shape)
    assert summary.text == answer and summary.text_length == len(answer)
    for call in {step.call for step in script.steps if step.call is not None}:
        joined = "".join(t.token.text for t in tokens if t.token.call == call)
        assert json.loads(joined) == json.loads(script.arguments(call))

    # The metrics from the same arrival times.
    e2e = pieces[-1][1]
    count = script.output_tokens if script.output_tokens is not None else len(want)
    assert summary.tokens == count and summary.deltas == len(want)
    assert summary.tokens_source == ("usage" if script.output_tokens is not None else "deltas")
    assert summary.ttft == round(times[0], 6) and summary.e2e == round(e2e, 6)
    if count > 1:
        assert summary.tpot == pytest.approx((e2e - times[0]) / (count - 1), abs=2e-6)
    assert summary.tokens_per_s == pytest.approx(count / e2e, abs=1e-3)
    itl = [b - a for a, b in zip(times, times[1:])]
    if itl:
        for p, figure in ((50, summary.itl_p50), (90, summary.itl_p90), (99, summary.itl_p99)):
            assert figure == pytest.approx(nearest_rank(itl, p), rel=0.01, abs=2e-6)
        assert summary.itl_max == round(max(itl), 6)
    else:
        assert summary.itl_p50 is None and summary.itl_max is None
