"""Ollama's streaming API: NDJSON objects from `/api/chat` and `/api/generate`.

Format: https://github.com/ollama/ollama/blob/main/docs/api.md
- `/api/chat`: `message.content`, `message.thinking` (with `think`), and
  `message.tool_calls[]` with `function.name` and `function.arguments` (an
  object: a call comes whole).
- `/api/generate`: `response`, and `thinking` with `think`.
- Every object has `model`, `created_at` and `done`; the last (`done: true`)
  has `done_reason`, `eval_count` (output tokens), `eval_duration` and
  `prompt_eval_count`. A failure comes as an object with `error`.
"""

from __future__ import annotations

from typing import Any

from ..record import Token
from .shape import ShapeDecoder, field, provider_error, text

NAME = "ollama"


def matches(obj: dict[str, Any], event: str) -> bool:
    return "model" in obj and "done" in obj and ("message" in obj or "response" in obj)


class Decoder(ShapeDecoder):
    def feed(self, obj: dict[str, Any], event: str) -> list[Token]:
        if obj.get("error") is not None:
            raise provider_error(obj["error"])
        self.note_model(obj.get("model"))
        if obj.get("done") is True:
            self.note_stop(obj.get("done_reason"))
            self.note_usage(obj.get("eval_count"))
        message = obj.get("message")
        source = message if isinstance(message, dict) else obj
        tokens = []
        thinking = text(source.get("thinking"))
        if thinking:
            tokens.append(Token(thinking, "thinking"))
        answer = text(source.get("content")) if source is message else text(obj.get("response"))
        if answer:
            tokens.append(Token(answer))
        calls = source.get("tool_calls") if source is message else None
        for call in calls if isinstance(calls, list) else ():
            tokens.append(self.whole_call(field(call, "function", "name"), field(call, "function", "arguments")))
        return tokens
