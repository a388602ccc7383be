"""LLM token streams: recognising a provider's stream shape and reading tokens from it.

Each shape is one module of this package (its format cited from the
provider's documentation): `NAME`, `matches(obj, event)` and a `Decoder`.
Adding a shape means adding a module and its name to `SHAPES`. The order
matters only where two shapes could claim one object: the typed-event
shapes go first.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from .shape import ShapeDecoder

SHAPES = ("anthropic", "openai_responses", "openai_chat", "gemini", "ollama")


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{name}")


def recognise(obj: dict[str, Any], event: str) -> tuple[str, ShapeDecoder] | None:
    """The shape a stream has, judged from one of its JSON objects (and its SSE event name): its name and a
    fresh decoder, or None when no shape claims the object."""
    for name in SHAPES:
        module = _module(name)
        if module.matches(obj, event):
            decoder: ShapeDecoder = module.Decoder()
            return module.NAME, decoder
    return None

