"""OpenAI Responses API streaming: typed events over SSE (`event: <type>`, data with the same `type`).

Format: https://platform.openai.com/docs/api-reference/responses-streaming
- `response.created` / `response.in_progress` carry the response (its `model`).
- `response.output_item.added` announces an output item; a `function_call`
  item has `name` (its arguments follow as `response.function_call_arguments.delta`
  with `item_id` and `output_index`).
- `response.output_text.delta` and `response.refusal.delta`: the answer's text;
  `response.reasoning_summary_text.delta` and `response.reasoning_text.delta`: reasoning.
- `response.completed` / `response.incomplete` hold `usage.output_tokens`;
  `response.failed` holds `response.error`; an `error` event has `code` and
  `message` (the reference shows them on the event, the live API under `error`).
"""

from __future__ import annotations

from typing import Any

from ..record import Token
from .shape import ShapeDecoder, field, provider_error, text

NAME = "openai-responses"

_TEXT = ("response.output_text.delta", "response.refusal.delta")
_THINKING = ("response.reasoning_summary_text.delta", "response.reasoning_text.delta")


def matches(obj: dict[str, Any], event: str) -> bool:
    kind = obj.get("type")
    return isinstance(kind, str) and kind.startswith("response.")


class Decoder(ShapeDecoder):
    def feed(self, obj: dict[str, Any], event: str) -> list[Token]:
        kind = obj.get("type")
        delta = text(obj.get("delta"))
        if kind in _TEXT:
            return [Token(delta)] if delta else []
        if kind in _THINKING:
            return [Token(delta, "thinking")] if delta else []
        if kind == "response.function_call_arguments.delta":
            return [self.call_token(self._key(obj), delta)] if delta else []
        if kind == "response.output_item.added" and field(obj, "item", "type") == "function_call":
            self.start_call(self._key(obj), field(obj, "item", "name"))
        elif kind == "error":  # the fields are the event's own in the reference, under `error` in the live API
            raise provider_error(obj["error"] if isinstance(obj.get("error"), dict) else obj)
        elif kind == "response.failed":
            raise provider_error(field(obj, "response", "error"), "the response failed")
        elif isinstance(kind, str) and kind.startswith("response."):
            response = obj.get("response")
            if isinstance(response, dict):
                self.note_model(response.get("model"))
                self.note_usage(field(response, "usage", "output_tokens"))
                if kind in ("response.completed", "response.incomplete"):
                    self.note_stop(field(response, "incomplete_details", "reason") or response.get("status"))
        return []

    @staticmethod
    def _key(obj: dict[str, Any]) -> Any:
        """A call's key: its output index (the item id is not in every event of every server)."""
        index = obj.get("output_index")
        return index if isinstance(index, int) else obj.get("item_id") or field(obj, "item", "id")
