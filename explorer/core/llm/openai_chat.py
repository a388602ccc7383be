"""OpenAI Chat Completions streaming: `chat.completion.chunk` objects over SSE, ending in `data: [DONE]`.

Format: https://platform.openai.com/docs/api-reference/chat-streaming/streaming
- `choices[].delta.content`: the answer's text; `choices[].delta.tool_calls[]`
  with `index`, then `id` and `function.name` in a call's first fragment and
  `function.arguments` fragments after; `choices[].finish_reason`.
- With `stream_options: {"include_usage": true}` a last chunk has `choices: []`
  and `usage.completion_tokens`.
- `delta.refusal` is answer text too; `delta.reasoning_content` (DeepSeek, vLLM) and `delta.reasoning` (OpenRouter)
  carry reasoning text; legacy completions (`/v1/completions`) send `choices[].text`.
- An error mid-stream comes as an object with an `error` member.
Only choice 0 is read: with `n` > 1 the choices are separate answers.
"""

from __future__ import annotations

from typing import Any

from ..record import Token
from .shape import ShapeDecoder, field, provider_error, text

NAME = "openai-chat"


def matches(obj: dict[str, Any], event: str) -> bool:
    if obj.get("object") in ("chat.completion.chunk", "text_completion"):
        return True
    first = field(obj, "choices", 0)
    return isinstance(first, dict) and ("delta" in first or "text" in first)


class Decoder(ShapeDecoder):
    def feed(self, obj: dict[str, Any], event: str) -> list[Token]:
        if obj.get("error") is not None:
            raise provider_error(obj["error"])
        self.note_model(obj.get("model"))
        usage = obj.get("usage")
        if isinstance(usage, dict):
            self.note_usage(usage.get("completion_tokens"))
        choices = obj.get("choices")
        if not isinstance(choices, list):
            return []
        choice = next((c for c in choices if isinstance(c, dict) and c.get("index", 0) == 0), None)
        if choice is None:
            return []
        self.note_stop(choice.get("finish_reason"))
        tokens = []
        delta = choice.get("delta")
        if isinstance(delta, dict):
            thinking = text(delta.get("reasoning_content")) or text(delta.get("reasoning"))
            if thinking:
                tokens.append(Token(thinking, "thinking"))
            content = text(delta.get("content")) or text(delta.get("refusal"))
            if content:
                tokens.append(Token(content))
            calls = delta.get("tool_calls")
            for call in calls if isinstance(calls, list) else ():
                key = field(call, "index")
                if not isinstance(key, int):
                    key = field(call, "id")
                self.start_call(key, field(call, "function", "name"))
                arguments = text(field(call, "function", "arguments"))
                if arguments:
                    tokens.append(self.call_token(key, arguments))
        elif text(choice.get("text")):
            tokens.append(Token(choice["text"]))
        return tokens
