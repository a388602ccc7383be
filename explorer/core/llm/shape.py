"""What every LLM stream shape has in common: a decoder from the stream's JSON objects to tokens.

A shape module (one per provider format) holds `NAME`, `matches(obj, event)`,
which says from one JSON object of a stream (and its SSE event name, "" for
NDJSON) whether the stream has this shape, and a `Decoder` subclass of
`ShapeDecoder`. Objects come from untrusted streams: every field is checked
for its type before use, and anything unexpected is skipped, not fatal.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from ..errors import StreamError
from ..record import Token

NAME_CAP = 200  # characters of a tool's name kept in its channel
CALL_CAP = 256  # tool calls told apart in one stream; later ones share one channel, named for the cap


class ShapeDecoder:
    """Turns the JSON objects of one stream into tokens, and keeps what the provider reports.

    `usage_tokens` is the output token count of the provider's usage report
    (None until one comes), `model` and `stop_reason` as the stream says them.
    Tool calls are numbered in the order they start (`call`), keyed by what
    the shape identifies them with (an index, an item id).
    """

    def __init__(self) -> None:
        self.usage_tokens: int | None = None
        self.model: str | None = None
        self.stop_reason: str | None = None
        self._calls: dict[Any, tuple[int, str]] = {}

    def feed(self, obj: dict[str, Any], event: str) -> list[Token]:
        """The tokens one object carries (it may also set usage, model and stop reason)."""
        raise NotImplementedError

    def start_call(self, key: Any, name: object) -> None:
        """A tool call starts: number it, and keep its name for its channel. Past `CALL_CAP` calls, later
        ones share one channel (`call_token`)."""
        key = _call_key(key)
        if key not in self._calls and len(self._calls) < CALL_CAP:
            shown = name[:NAME_CAP] if isinstance(name, str) and name else "?"
            self._calls[key] = (len(self._calls), shown)

    def call_token(self, key: Any, text: str) -> Token:
        """A fragment of a tool call's arguments (a call not announced is started with an unknown name)."""
        key = _call_key(key)
        self.start_call(key, None)
        number, name = self._calls.get(key, (CALL_CAP, f"calls past the {CALL_CAP} call cap"))
        return Token(text, f"tool:{name}", number)

    def whole_call(self, name: object, arguments: object) -> Token:
        """A tool call that comes whole (Gemini, Ollama): its arguments as one JSON token."""
        key = f"whole call {len(self._calls)}"
        self.start_call(key, name)
        if not isinstance(arguments, str):
            arguments = json_text({} if arguments is None else arguments)
        return self.call_token(key, arguments)

    def note_model(self, value: object) -> None:
        if isinstance(value, str) and value:
            self.model = value[:NAME_CAP]

    def note_stop(self, value: object) -> None:
        if isinstance(value, str) and value:
            self.stop_reason = value[:NAME_CAP]

    def note_usage(self, *counts: object) -> None:
        """The output token count: the sum of the counts given that are whole numbers (others are skipped)."""
        numbers = [n for n in map(count, counts) if n is not None]
        if numbers:
            self.usage_tokens = sum(numbers)


def _call_key(key: object) -> int | str | None:
    """What a stream identifies a tool call by: an int or a str; anything else (a hostile list) as none."""
    return key if isinstance(key, (int, str)) and not isinstance(key, bool) else None


def text(value: object) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def field(obj: object, *path: str | int) -> Any:
    """obj[path[0]][path[1]]..., or None where the path leaves dicts and lists."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(obj, list) or not -len(obj) <= step < len(obj):
                return None
        elif not isinstance(obj, dict):
            return None
        obj = obj[step] if isinstance(step, int) else obj.get(step)  # type: ignore[union-attr]
    return obj


def count(value: object) -> int | None:
    """A token count: a whole number of at least 0 (JSON numbers may come as Decimal from ijson)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, Decimal) and value == value.to_integral_value() and value >= 0:
        return int(value)
    return None


def json_text(value: object) -> str:
    """Compact JSON text of a parsed value (ijson's Decimals as the numbers they are); a value nested too
    deep to write again is said so."""
    try:
        return json.dumps(value, ensure_ascii=False, default=_number)
    except (RecursionError, ValueError, TypeError):
        return '"(arguments nested too deep to show)"'


def _number(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(type(value).__name__)


def provider_error(error: object, fallback: str = "an error") -> StreamError:
    """The stream's own error report as one sentence: its type (or code) and message, as untrusted text."""
    kind = text(field(error, "code")) or text(field(error, "type")) or text(field(error, "status"))
    if kind == "error":  # the event's own type (OpenAI Responses), not the error's
        kind = text(field(error, "status"))
    message = text(field(error, "message")) or (error if isinstance(error, str) else None)
    if isinstance(field(error, "code"), int) and not kind:
        kind = str(field(error, "code"))
    said = ": ".join(part[:300] for part in (kind, message) if part) or fallback
    return StreamError("llm_error", f"The provider reported an error in the stream: {said}.")
