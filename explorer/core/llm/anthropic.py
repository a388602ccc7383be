"""Anthropic Messages streaming: named SSE events, each data object with the same `type`.

Format: https://docs.anthropic.com/en/docs/build-with-claude/streaming
- `message_start` (the message: `model`, initial `usage`), then per content
  block `content_block_start` (index, block type: `text`, `thinking`,
  `tool_use` with `name`), `content_block_delta` with a `text_delta` (`text`),
  `thinking_delta` (`thinking`), `input_json_delta` (`partial_json`) or
  `signature_delta`, and `content_block_stop`.
- `message_delta` has `delta.stop_reason` and `usage.output_tokens`
  (cumulative; `message_start`'s own `output_tokens` is a placeholder, not
  a count); `message_stop` ends; `ping` may come anywhere; an `error` event
  has `error.type` and `error.message`.
"""

from __future__ import annotations

from typing import Any

from ..record import Token
from .shape import ShapeDecoder, field, provider_error, text

NAME = "anthropic"

# The events that say a stream is a Messages stream (`ping` and `error` objects are too common elsewhere).
_DEFINING = ("message_start", "content_block_start", "content_block_delta")


def matches(obj: dict[str, Any], event: str) -> bool:
    return obj.get("type") in _DEFINING


class Decoder(ShapeDecoder):
    def feed(self, obj: dict[str, Any], event: str) -> list[Token]:
        kind = obj.get("type")
        if kind == "content_block_delta":
            delta = obj.get("delta")
            delta_type = field(delta, "type")
            if delta_type == "text_delta" and (said := text(field(delta, "text"))):
                return [Token(said)]
            if delta_type == "thinking_delta" and (said := text(field(delta, "thinking"))):
                return [Token(said, "thinking")]
            if delta_type == "input_json_delta" and (said := text(field(delta, "partial_json"))):
                return [self.call_token(obj.get("index"), said)]
        elif kind == "content_block_start":
            block = obj.get("content_block")
            if field(block, "type") in ("tool_use", "server_tool_use", "mcp_tool_use"):
                self.start_call(obj.get("index"), field(block, "name"))
        elif kind == "message_start":
            self.note_model(field(obj, "message", "model"))  # its usage.output_tokens is a placeholder (1)
        elif kind == "message_delta":
            self.note_stop(field(obj, "delta", "stop_reason"))
            self.note_usage(field(obj, "usage", "output_tokens"))
        elif kind == "error":
            raise provider_error(obj.get("error"))
        return []
