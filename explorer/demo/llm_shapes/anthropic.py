"""Anthropic Messages streaming: named SSE events, each data object with the same `type`."""

from __future__ import annotations

from typing import Any

from .model import Frame, Script, blocks, sse, stop_reason

CONTENT_TYPE = "text/event-stream"
STOP = {"stop": "end_turn", "length": "max_tokens", "tool": "tool_use"}
# A thinking block's signature is opaque; this one only has the look (base64) of a real one.
SIGNATURE = "EqQBCkYIBRgCIkBkZW1vIHNpZ25hdHVyZTogbm90IGEgcmVhbCBvbmUsIGp1c3QgdGhlIHNoYXBlIG9mIG9uZQ=="


def build(script: Script) -> list[Frame]:
    """The events of one streamed message.

    Format: https://docs.anthropic.com/en/docs/build-with-claude/streaming
    - `message_start` with the Message (empty `content`, `stop_reason: null`, `usage` with
      `input_tokens` and an initial `output_tokens`), then `content_block_start` for the first
      block and a `ping`, as the documented example stream has them.
    - Per content block: `content_block_start` (`index`, the empty block: `text`, `thinking` with
      `signature: ""`, or `tool_use` with `id`, `name`, `input: {}`), `content_block_delta` events
      (`text_delta`, `thinking_delta`, or `input_json_delta` with `partial_json`; a thinking block
      ends with one `signature_delta`), then `content_block_stop`.
    - `message_delta` with `delta.stop_reason` (`end_turn`, `max_tokens`, `tool_use`) and `usage`
      (`output_tokens`, cumulative), then `message_stop`.
    - Usage is always sent by Anthropic; a script without usage leaves the `usage` members out, so a
      client's fallback (counting deltas) can be seen.
    """
    usage = script.output_tokens is not None
    message: dict[str, Any] = {"id": "msg_demo", "type": "message", "role": "assistant", "model": script.model,
                               "content": [], "stop_reason": None, "stop_sequence": None}
    if usage:
        message["usage"] = {"input_tokens": script.input_tokens, "output_tokens": 1}
    frames = [Frame(sse({"type": "message_start", "message": message}, "message_start"))]

    def event(kind: str, steps: tuple[int, ...] = (), **fields: Any) -> None:
        frames.append(Frame(sse({"type": kind, **fields}, kind), steps))

    for index, block in enumerate(blocks(script)):
        if block.kind == "thinking":
            start: dict[str, Any] = {"type": "thinking", "thinking": "", "signature": ""}
        elif block.kind == "text":
            start = {"type": "text", "text": ""}
        else:
            start = {"type": "tool_use", "id": f"toolu_demo{block.call or 0}", "name": block.name, "input": {}}
        event("content_block_start", index=index, content_block=start)
        if index == 0:
            event("ping")
        for i, text in zip(block.indices, block.texts):
            if block.kind == "thinking":
                delta = {"type": "thinking_delta", "thinking": text}
            elif block.kind == "text":
                delta = {"type": "text_delta", "text": text}
            else:
                delta = {"type": "input_json_delta", "partial_json": text}
            event("content_block_delta", (i,), index=index, delta=delta)
        if block.kind == "thinking":
            event("content_block_delta", index=index, delta={"type": "signature_delta", "signature": SIGNATURE})
        event("content_block_stop", index=index)
    final: dict[str, Any] = {"delta": {"stop_reason": stop_reason(script, STOP), "stop_sequence": None}}
    if usage:
        final["usage"] = {"output_tokens": script.output_tokens}
    event("message_delta", **final)
    event("message_stop")
    return frames
