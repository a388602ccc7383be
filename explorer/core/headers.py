"""Header lookup by name in any case (uvicorn and hypercorn send lower-case names), over (name, value) pairs."""

from __future__ import annotations

from typing import Iterable


def header_values(headers: Iterable[tuple[str, str]], name: str) -> list[str]:
    """Every value sent under `name`, in order."""
    lowered = name.lower()
    return [value for key, value in headers if key.lower() == lowered]


def header_value(headers: Iterable[tuple[str, str]], name: str) -> str:
    """The first value sent under `name`, "" when there is none."""
    lowered = name.lower()
    return next((value for key, value in headers if key.lower() == lowered), "")
