"""Google Gemini `streamGenerateContent?alt=sse`: data-only SSE, each data a GenerateContentResponse."""

from __future__ import annotations

import json
from typing import Any

from .model import Frame, Script, blocks, sse, stop_reason

CONTENT_TYPE = "text/event-stream"
STOP = {"stop": "STOP", "length": "MAX_TOKENS", "tool": "STOP"}  # a function call also ends with STOP


def build(script: Script) -> list[Frame]:
    """The GenerateContentResponse objects of one streamed generation.

    Format: https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
    (response: https://ai.google.dev/api/generate-content#generatecontentresponse; thought parts:
    https://ai.google.dev/gemini-api/docs/thinking)
    - `data:` lines only, no `event:` lines and no end sentinel.
    - Each object: `candidates[0].content` with `parts` and `role: "model"`, `index: 0`, and the
      response's `modelVersion` and `responseId`. A text part is `{"text": ...}`; a thought summary
      part adds `"thought": true`; a tool call is one `{"functionCall": {"name", "args"}}` part
      carrying the whole args object (Gemini does not stream a call's arguments).
    - The last object adds `candidates[0].finishReason` (`STOP`, `MAX_TOKENS`) and `usageMetadata`:
      `promptTokenCount`, `candidatesTokenCount` (the answer, thoughts excluded), `totalTokenCount`,
      and `thoughtsTokenCount` when the model thought.
    """
    pieces: list[tuple[list[dict[str, Any]], tuple[int, ...]]] = []  # each object's parts, and its steps
    for block in blocks(script):
        if block.kind == "tool":
            pieces.append(([{"functionCall": {"name": block.name, "args": json.loads(block.text)}}],
                           tuple(block.indices)))
            continue
        for i, text in zip(block.indices, block.texts):
            part = {"text": text, "thought": True} if block.kind == "thinking" else {"text": text}
            pieces.append(([part], (i,)))
    if not pieces:
        pieces.append(([{"text": ""}], ()))
    last = len(pieces) - 1
    return [Frame(_response(script, parts, final=n == last), steps) for n, (parts, steps) in enumerate(pieces)]


def _response(script: Script, parts: list[dict[str, Any]], final: bool = False) -> bytes:
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
    if final:
        candidate["finishReason"] = stop_reason(script, STOP)
    candidate["index"] = 0
    body: dict[str, Any] = {"candidates": [candidate]}
    if final and script.output_tokens is not None:
        thoughts = script.thinking_tokens
        usage = {"promptTokenCount": script.input_tokens, "candidatesTokenCount": script.output_tokens - thoughts,
                 "totalTokenCount": script.input_tokens + script.output_tokens}
        if thoughts:
            usage["thoughtsTokenCount"] = thoughts
        body["usageMetadata"] = usage
    body["modelVersion"] = script.model
    body["responseId"] = "demo"
    return sse(body)
