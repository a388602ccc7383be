"""OpenAI Chat Completions streaming: `chat.completion.chunk` objects as data-only SSE, then `data: [DONE]`."""

from __future__ import annotations

from typing import Any

from .model import Frame, Script, blocks, sse, stop_reason

CONTENT_TYPE = "text/event-stream"
STOP = {"stop": "stop", "length": "length", "tool": "tool_calls"}


def build(script: Script) -> list[Frame]:
    """The chunks of one streamed chat completion.

    Format: https://platform.openai.com/docs/api-reference/chat-streaming
    (stream_options.include_usage: https://platform.openai.com/docs/api-reference/chat/create#chat-create-stream_options)
    - Every chunk has the same `id`, `object: "chat.completion.chunk"`, `created` and `model`, and
      `choices[0]` with `index`, `delta`, `logprobs` and `finish_reason` (null until the last).
    - The first delta is `{"role": "assistant", "content": ""}`; then `delta.content` per token.
    - A tool call: `delta.tool_calls[{index, id, type: "function", function: {name, arguments: ""}}]`
      first, then `{index, function: {arguments: fragment}}` per fragment.
    - Reasoning text is not in OpenAI's chat API: it goes in `delta.reasoning_content`, the field of
      DeepSeek's API (https://api-docs.deepseek.com/guides/reasoning_model) and of vLLM.
    - The last choice chunk has an empty delta and `finish_reason`. With usage, every chunk has
      `usage: null` and one more chunk has `choices: []` and the `usage` object; then `data: [DONE]`.
    """
    usage = script.output_tokens is not None

    def chunk(choices: list[dict[str, Any]], report: Any = None) -> bytes:
        body: dict[str, Any] = {"id": "chatcmpl-demo", "object": "chat.completion.chunk", "created": script.created,
                                "model": script.model, "choices": choices}
        if usage:
            body["usage"] = report
        return sse(body)

    def delta(fields: dict[str, Any], finish: str | None = None) -> bytes:
        return chunk([{"index": 0, "delta": fields, "logprobs": None, "finish_reason": finish}])

    frames = [Frame(delta({"role": "assistant", "content": ""}))]
    for block in blocks(script):
        if block.kind == "tool":
            call = block.call or 0
            opening = {"index": call, "id": f"call_demo{call}", "type": "function",
                       "function": {"name": block.name, "arguments": ""}}
            frames.append(Frame(delta({"tool_calls": [opening]})))
        for i, text in zip(block.indices, block.texts):
            if block.kind == "tool":
                fields: dict[str, Any] = {"tool_calls": [{"index": block.call or 0, "function": {"arguments": text}}]}
            elif block.kind == "thinking":
                fields = {"reasoning_content": text}
            else:
                fields = {"content": text}
            frames.append(Frame(delta(fields), (i,)))
    frames.append(Frame(delta({}, stop_reason(script, STOP))))
    if usage:
        out = script.output_tokens or 0
        frames.append(Frame(chunk([], {
            "prompt_tokens": script.input_tokens, "completion_tokens": out,
            "total_tokens": script.input_tokens + out,
            "completion_tokens_details": {"reasoning_tokens": script.thinking_tokens}})))
    frames.append(Frame(b"data: [DONE]\n\n"))
    return frames
