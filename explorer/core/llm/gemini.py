"""Google Gemini `streamGenerateContent?alt=sse`: data-only SSE, each a GenerateContentResponse.

Format: https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
(response body: https://ai.google.dev/api/generate-content#generatecontentresponse)
- `candidates[].content.parts[]`: a `text` part (with `thought: true` for a
  thought summary), or a `functionCall` part with `name` and `args`, which
  comes whole; `candidates[].finishReason`.
- `usageMetadata.candidatesTokenCount` (output) and `thoughtsTokenCount`
  (thinking, counted apart); `modelVersion`.
- A failure comes as an object with `error` (`code`, `message`, `status`).
"""

from __future__ import annotations

from typing import Any

from ..record import Token
from .shape import ShapeDecoder, field, provider_error, text

NAME = "gemini"


def matches(obj: dict[str, Any], event: str) -> bool:
    return isinstance(obj.get("candidates"), list) or (
        isinstance(obj.get("usageMetadata"), dict) and ("modelVersion" in obj or "responseId" in obj))


class Decoder(ShapeDecoder):
    def feed(self, obj: dict[str, Any], event: str) -> list[Token]:
        if isinstance(obj.get("error"), dict):
            raise provider_error(obj["error"])
        self.note_model(obj.get("modelVersion"))
        usage = obj.get("usageMetadata")
        if isinstance(usage, dict) and "candidatesTokenCount" in usage:
            self.note_usage(usage.get("candidatesTokenCount"), usage.get("thoughtsTokenCount"))
        candidate = field(obj, "candidates", 0)
        if not isinstance(candidate, dict):
            return []
        self.note_stop(candidate.get("finishReason"))
        parts = field(candidate, "content", "parts")
        tokens = []
        for part in parts if isinstance(parts, list) else ():
            if not isinstance(part, dict):
                continue
            if text(part.get("text")):
                tokens.append(Token(part["text"], "thinking" if part.get("thought") is True else "text"))
            elif isinstance(part.get("functionCall"), dict):
                call = part["functionCall"]
                tokens.append(self.whole_call(call.get("name"), call.get("args", {})))
        return tokens
