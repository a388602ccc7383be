"""LLM token streams: the text a streaming event carries.

Light on purpose (json only): the row model imports it, and the row model is
imported by faces that must start fast.
"""

from __future__ import annotations

import json


def llm_token(data: str) -> str | None:
    """The text an LLM streaming event carries, if it looks like one.

    Understands chat-completion deltas (`choices[0].delta.content`), completion
    chunks (`choices[0].text`) and content-block deltas (`delta.text`).
    """
    if not data.startswith("{"):
        return None
    try:
        obj = json.loads(data)
    except ValueError:
        return None
    if not isinstance(obj, dict):
        return None
    choices = obj.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        delta = choices[0].get("delta")
        if isinstance(delta, dict) and isinstance(delta.get("content"), str):
            return delta["content"]
        if isinstance(choices[0].get("text"), str):
            return choices[0]["text"]
    delta = obj.get("delta")
    if isinstance(delta, dict) and isinstance(delta.get("text"), str):
        return delta["text"]
    return None
