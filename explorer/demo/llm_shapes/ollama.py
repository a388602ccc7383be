"""Ollama's streaming API: NDJSON objects from `/api/chat` and `/api/generate`."""

from __future__ import annotations

import json
from typing import Any

from .model import Frame, Script, blocks, eval_ms, ndjson, rfc3339, stop_reason

CONTENT_TYPE = "application/x-ndjson"
STOP = {"stop": "stop", "length": "length", "tool": "stop"}
LOAD_MS = 12.0  # the model is already loaded: a short load_duration


def build_chat(script: Script) -> list[Frame]:
    """The objects of one streamed `/api/chat` reply.

    Format: https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-chat-completion
    - Each object: `model`, `created_at` (RFC 3339, nanoseconds), `message` with `role: "assistant"`
      and `content` (one token), `thinking` (a thinking token, with `think`), or `tool_calls`
      (`[{"function": {"name", "arguments"}}]`, `arguments` an object: Ollama sends a call whole),
      and `done: false`.
    - The last object has an empty message, `done: true`, `done_reason`, and the statistics:
      `total_duration`, `load_duration`, `prompt_eval_count`, `prompt_eval_duration`, `eval_count`,
      `eval_duration` (durations in nanoseconds). Without usage the two counts are left out.
    """
    def message(block_kind: str, text: str, name: str = "") -> dict[str, Any]:
        if block_kind == "tool":
            call = {"function": {"name": name, "arguments": json.loads(text)}}
            return {"message": {"role": "assistant", "content": "", "tool_calls": [call]}}
        if block_kind == "thinking":
            return {"message": {"role": "assistant", "content": "", "thinking": text}}
        return {"message": {"role": "assistant", "content": text}}

    return _build(script, message, {"message": {"role": "assistant", "content": ""}}, whole_calls=True)


def build_generate(script: Script) -> list[Frame]:
    """The objects of one streamed `/api/generate` reply.

    Format: https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-completion
    - Each object: `model`, `created_at`, `response` (one token), `done: false`; a thinking token
      (with `think`, newer Ollama) comes as `"response": ""` with `thinking`.
    - The last object has `"response": ""`, `done: true`, `done_reason` and the statistics as
      `/api/chat` has them (the `context` array is left out).
    - `/api/generate` has no tool calling: a script's tool call is streamed as `response` text (its
      arguments JSON, fragment by fragment), as a model answering in JSON would.
    """
    def response(block_kind: str, text: str, name: str = "") -> dict[str, Any]:
        if block_kind == "thinking":
            return {"response": "", "thinking": text}
        return {"response": text}

    return _build(script, response, {"response": ""}, whole_calls=False)


def _build(script: Script, body: Any, last_body: dict[str, Any], whole_calls: bool) -> list[Frame]:
    """Frames for each step (or whole tool call), stamped along the claimed timing, then the done object."""
    count = max(1, len(script.steps))
    prompt_ns, eval_ns, load_ns = _ns(script.prompt_ms), _ns(eval_ms(script)), _ns(LOAD_MS)
    start_ns = script.created * 1_000_000_000

    def head(step: int) -> dict[str, Any]:
        at = start_ns + load_ns + prompt_ns + eval_ns * step // count
        return {"model": script.model, "created_at": rfc3339(at)}

    frames: list[Frame] = []
    for block in blocks(script):
        if block.kind == "tool" and whole_calls:
            obj = {**head(block.indices[-1]), **body("tool", block.text, block.name), "done": False}
            frames.append(Frame(ndjson(obj), tuple(block.indices)))
            continue
        for i, text in zip(block.indices, block.texts):
            obj = {**head(i), **body(block.kind, text, block.name), "done": False}
            frames.append(Frame(ndjson(obj), (i,)))
    last: dict[str, Any] = {**head(count), **last_body, "done": True, "done_reason": stop_reason(script, STOP),
                            "total_duration": load_ns + prompt_ns + eval_ns, "load_duration": load_ns}
    if script.output_tokens is not None:
        last["prompt_eval_count"] = script.input_tokens
    last["prompt_eval_duration"] = prompt_ns
    if script.output_tokens is not None:
        last["eval_count"] = script.output_tokens
    last["eval_duration"] = eval_ns
    frames.append(Frame(ndjson(last)))
    return frames


def _ns(ms: float) -> int:
    return int(round(ms * 1_000_000))
