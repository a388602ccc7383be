"""What a demo model response says (`Script`), and what the shape builders share.

A script is a list of steps, one delta each, in the order the model emits
them. A builder turns a script into the frames of one provider's wire format;
each `Frame` names the steps whose text it carries, so a server can pace the
frames the way the model would have produced them (see llm_endpoints.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Step:
    """One delta the "model" emits."""

    channel: str  # "text" | "thinking" | "tool:NAME"
    text: str  # text delta, thinking delta, or a fragment of the tool call's arguments JSON
    call: int | None = None  # tool steps: which tool call (0-based, in start order); None otherwise

    @property
    def tool(self) -> str | None:
        """The tool's name for a tool step, else None."""
        return self.channel[5:] if self.channel.startswith("tool:") else None


@dataclass(frozen=True)
class Script:
    """What one response says, and the figures it reports about itself."""

    steps: tuple[Step, ...]
    output_tokens: int | None = None  # the usage the provider reports (None: the shape sends no usage)
    input_tokens: int = 12
    model: str = "explorer-demo"
    stop_reason: str = "stop"  # "stop", "length" or "tool": each shape maps it to its own vocabulary
    # The timing the response claims (Ollama's durations, every `created` stamp); it is not the pacing.
    created: int = 1_700_000_000  # epoch seconds: fixed, so the same script always gives the same bytes
    prompt_ms: float = 350.0  # time to the first token (Ollama's prompt_eval_duration)
    eval_ms: float | None = None  # time from the first token to the last (None: 45 ms a step)

    @property
    def thinking_tokens(self) -> int:
        """The part of `output_tokens` spent thinking (one a thinking step), for usage details."""
        return min(self.output_tokens or 0, sum(step.channel == "thinking" for step in self.steps))

    def arguments(self, call: int) -> str:
        """The complete arguments JSON text of tool call `call`: its fragments joined."""
        return "".join(step.text for step in self.steps if step.call == call)


@dataclass(frozen=True)
class Frame:
    """One SSE event or NDJSON line, and the indices of the steps whose text it carries.

    A frame with no steps (a preamble event, a block start or stop, the
    usage report) goes out as soon as the frame before it has.
    """

    data: bytes
    steps: tuple[int, ...] = ()


@dataclass
class Block:
    """A run of consecutive steps on one channel (and one tool call): one content block or output item."""

    channel: str
    call: int | None
    indices: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """One of "text", "thinking" or "tool"."""
        return "tool" if self.channel.startswith("tool:") else self.channel

    @property
    def name(self) -> str:
        return self.channel[5:]

    @property
    def text(self) -> str:
        return "".join(self.texts)


def blocks(script: Script) -> list[Block]:
    """The script's steps grouped into blocks, in order: a new block wherever the channel or call changes."""
    out: list[Block] = []
    for i, step in enumerate(script.steps):
        if not out or (out[-1].channel, out[-1].call) != (step.channel, step.call):
            out.append(Block(step.channel, step.call))
        out[-1].indices.append(i)
        out[-1].texts.append(step.text)
    return out


def sse(data: Any, event: str | None = None) -> bytes:
    """One SSE event: an `event:` line when the provider names its events, one `data:` line, a blank line."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


def ndjson(data: Any) -> bytes:
    """One NDJSON line."""
    return (json.dumps(data) + "\n").encode()


def stop_reason(script: Script, vocabulary: dict[str, str]) -> str:
    """The script's stop reason in a provider's words (an unknown reason passes through unchanged)."""
    return vocabulary.get(script.stop_reason, script.stop_reason)


def eval_ms(script: Script) -> float:
    return 45.0 * len(script.steps) if script.eval_ms is None else script.eval_ms


def rfc3339(epoch_ns: int) -> str:
    """An RFC 3339 UTC time with nanoseconds, as Ollama writes `created_at`."""
    seconds, ns = divmod(epoch_ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{ns:09d}Z"
