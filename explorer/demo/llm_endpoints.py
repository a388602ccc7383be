"""LLM token streams in six provider shapes, paced like a model serving them.

The bytes come from llm_shapes (pure builders); this module only decides
when each frame goes out. Frames that carry no step (message_start,
response.created, a block's start and stop, the usage report) go out as soon
as the frame before them has; the first content delta waits `ttft`; each
later delta waits `itl` ms, spread by `jitter`, and the delta at `stall_at`
waits `stall` ms more. A frame that carries several steps at once (Gemini's
and Ollama's whole tool calls) waits for all of them. Every frame is one
write, so one HTTP chunk. A client that leaves is the guard's business
(app.py): it catches the ConnectionError of the next write.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random

from aiohttp import web

from .extras import SSE_HEADERS
from .llm_shapes import CONTENT_TYPES, Script, script, timed_frames
from .streaming import open_stream
from .tutorial import Params

STALL_SHARE = 0.6  # stall_at=0: the stall comes this far through the steps (the knobs: catalog.LLM_PARAMS)


def stall_index(p: Params, steps: int) -> int | None:
    """The step the stall comes before, or None (no stall, or `stall_at` past the last step)."""
    if not p["stall"]:
        return None
    at = int(p["stall_at"]) or max(1, round(steps * STALL_SHARE))
    return at if at < steps else None


def script_for(p: Params) -> Script:
    """The script the endpoint streams for these parameters, claiming the timing it is paced with."""
    base = script(int(p["tokens"]), int(p["seed"]), bool(p["thinking"]), bool(p["tools"]), bool(p["usage"]))
    steps = len(base.steps)
    stall = p["stall"] if stall_index(p, steps) is not None else 0.0
    return dataclasses.replace(base, prompt_ms=p["ttft"], eval_ms=p["itl"] * max(0, steps - 1) + stall)


def delays_ms(p: Params, steps: int) -> list[float]:
    """How long each step waits after the one before (the first: after the preamble)."""
    rng = random.Random(int(p["seed"]))
    spread = p["itl"] * p["jitter"]
    delays = [p["ttft"] if i == 0 else p["itl"] + rng.uniform(-spread, spread) for i in range(steps)]
    stall_at = stall_index(p, steps)
    if stall_at is not None:
        delays[stall_at] += p["stall"]
    return delays


async def stream_shape(request: web.Request, p: Params, shape: str) -> web.StreamResponse:
    """Stream `script_for(p)` in `shape`, one frame a write, paced by `delays_ms`."""
    answer = script_for(p)
    delays = delays_ms(p, len(answer.steps))
    content_type = CONTENT_TYPES[shape]
    headers = SSE_HEADERS if content_type == "text/event-stream" else None
    out = await open_stream(request, content_type, headers=headers)
    for frame in timed_frames(shape, answer):
        wait = sum(delays[i] for i in frame.steps)
        if wait > 0:
            await asyncio.sleep(wait / 1000)
        await out.write(frame.data)
    return await out.finish()


async def llm_shape(request: web.Request, p: Params) -> web.StreamResponse:
    """The `/llm/{shape}` endpoints: the shape is the route's last segment (`/llm/anthropic`...)."""
    return await stream_shape(request, p, request.path.rsplit("/", 1)[-1])
