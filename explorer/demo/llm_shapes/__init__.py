"""LLM token streams as six provider shapes put them on the wire: pure builders, no I/O.

`script()` makes what a response says (thinking, an answer, a tool call);
`frames(shape, script)` gives the bytes of each SSE event or NDJSON line the
provider would send for it, in order, preamble and epilogue included;
`timed_frames` gives the same frames with the steps each carries, for a
server that paces them (llm_endpoints.py). Each shape's module cites the
provider documentation it follows. Standard library only (json), so tests
and tools can build expected streams without a server.
"""

from __future__ import annotations

from typing import Callable

from . import anthropic, gemini, ollama, openai_chat, openai_responses
from .model import Frame, Script, Step
from .script import script

__all__ = ["CONTENT_TYPES", "SHAPES", "Frame", "Script", "Step", "frames", "script", "timed_frames"]

_BUILDERS: dict[str, tuple[Callable[[Script], list[Frame]], str]] = {
    "openai-chat": (openai_chat.build, openai_chat.CONTENT_TYPE),
    "openai-responses": (openai_responses.build, openai_responses.CONTENT_TYPE),
    "anthropic": (anthropic.build, anthropic.CONTENT_TYPE),
    "gemini": (gemini.build, gemini.CONTENT_TYPE),
    "ollama": (ollama.build_chat, ollama.CONTENT_TYPE),
    "ollama-generate": (ollama.build_generate, ollama.CONTENT_TYPE),
}

SHAPES: tuple[str, ...] = tuple(_BUILDERS)
CONTENT_TYPES: dict[str, str] = {shape: content_type for shape, (_, content_type) in _BUILDERS.items()}


def timed_frames(shape: str, script: Script) -> list[Frame]:
    """The frames of `script` in `shape`, each with the indices of the steps whose text it carries."""
    try:
        build = _BUILDERS[shape][0]
    except KeyError:
        raise ValueError(f"Unknown LLM shape {shape!r}: choose one of {', '.join(SHAPES)}.") from None
    return build(script)


def frames(shape: str, script: Script) -> list[bytes]:
    """Each element is exactly one SSE event (with its `event:` line where the provider sends one, ending
    in a blank line) or one NDJSON line (ending in a newline), in the order the provider sends them."""
    return [frame.data for frame in timed_frames(shape, script)]
