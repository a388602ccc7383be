"""OpenAI Responses API streaming: typed events, each `event: <type>` with data of the same `type`."""

from __future__ import annotations

from typing import Any

from .model import Block, Frame, Script, blocks, sse

CONTENT_TYPE = "text/event-stream"


def build(script: Script) -> list[Frame]:
    """The semantic events of one streamed response.

    Format: https://platform.openai.com/docs/api-reference/responses-streaming
    - Every event's data has its `type` and a `sequence_number` counting from 0.
    - `response.created` and `response.in_progress` carry the response (`status: "in_progress"`).
    - Each output item: `response.output_item.added`, its deltas, `response.output_item.done`:
      a `reasoning` item streams `response.reasoning_summary_text.delta` inside a summary part
      (`response.reasoning_summary_part.added`/`.done`, `summary_index`); a `message` item streams
      `response.output_text.delta` inside an `output_text` content part
      (`response.content_part.added`/`.done`, `content_index`); a `function_call` item (`call_id`,
      `name`) streams `response.function_call_arguments.delta` and ends with `.done` (`arguments`).
    - `response.completed` carries the whole response with `usage` (`input_tokens`, `output_tokens`,
      `output_tokens_details.reasoning_tokens`, `total_tokens`); a response cut at the token limit
      ends with `response.incomplete` (`incomplete_details.reason: "max_output_tokens"`) instead.
    - No `[DONE]`: the stream ends after the last event.
    """
    frames: list[Frame] = []
    sequence = 0

    def event(kind: str, steps: tuple[int, ...] = (), **fields: Any) -> None:
        nonlocal sequence
        frames.append(Frame(sse({"type": kind, **fields, "sequence_number": sequence}, kind), steps))
        sequence += 1

    response: dict[str, Any] = {"id": "resp_demo", "object": "response", "created_at": script.created,
                                "status": "in_progress", "error": None, "incomplete_details": None,
                                "model": script.model, "output": [], "usage": None}
    event("response.created", response=response)
    event("response.in_progress", response=response)
    done_items: list[dict[str, Any]] = []
    for index, block in enumerate(blocks(script)):
        item_id = _item_id(block, index)
        where: dict[str, Any] = {"item_id": item_id, "output_index": index}
        item = _item(block, item_id, done=False)
        event("response.output_item.added", output_index=index, item=item)
        if block.kind == "thinking":
            event("response.reasoning_summary_part.added", **where, summary_index=0,
                  part={"type": "summary_text", "text": ""})
            for i, text in zip(block.indices, block.texts):
                event("response.reasoning_summary_text.delta", (i,), **where, summary_index=0, delta=text)
            event("response.reasoning_summary_text.done", **where, summary_index=0, text=block.text)
            event("response.reasoning_summary_part.done", **where, summary_index=0,
                  part={"type": "summary_text", "text": block.text})
        elif block.kind == "text":
            event("response.content_part.added", **where, content_index=0,
                  part={"type": "output_text", "annotations": [], "text": ""})
            for i, text in zip(block.indices, block.texts):
                event("response.output_text.delta", (i,), **where, content_index=0, delta=text, logprobs=[])
            event("response.output_text.done", **where, content_index=0, text=block.text, logprobs=[])
            event("response.content_part.done", **where, content_index=0,
                  part={"type": "output_text", "annotations": [], "text": block.text})
        else:
            for i, text in zip(block.indices, block.texts):
                event("response.function_call_arguments.delta", (i,), **where, delta=text)
            event("response.function_call_arguments.done", **where, name=block.name, arguments=block.text)
        done_items.append(_item(block, item_id, done=True))
        event("response.output_item.done", output_index=index, item=done_items[-1])
    incomplete = script.stop_reason == "length"
    final = {**response, "status": "incomplete" if incomplete else "completed", "output": done_items,
             "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
             "usage": _usage(script)}
    event("response.incomplete" if incomplete else "response.completed", response=final)
    return frames


def _item_id(block: Block, index: int) -> str:
    prefix = {"thinking": "rs", "text": "msg", "tool": "fc"}[block.kind]
    return f"{prefix}_demo{index}"


def _item(block: Block, item_id: str, done: bool) -> dict[str, Any]:
    """An output item as `output_item.added` (empty, in progress) or `output_item.done` (whole) shows it."""
    text = block.text if done else ""
    status = "completed" if done else "in_progress"
    if block.kind == "thinking":
        return {"id": item_id, "type": "reasoning", "summary": [{"type": "summary_text", "text": text}] if done else []}
    if block.kind == "text":
        content = [{"type": "output_text", "annotations": [], "text": text}] if done else []
        return {"id": item_id, "type": "message", "status": status, "content": content, "role": "assistant"}
    return {"id": item_id, "type": "function_call", "status": status, "arguments": text,
            "call_id": f"call_demo{block.call or 0}", "name": block.name}


def _usage(script: Script) -> dict[str, Any] | None:
    if script.output_tokens is None:
        return None
    out = script.output_tokens
    return {"input_tokens": script.input_tokens, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": out, "output_tokens_details": {"reasoning_tokens": script.thinking_tokens},
            "total_tokens": script.input_tokens + out}
