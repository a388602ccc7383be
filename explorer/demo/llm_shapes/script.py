"""A realistic demo response: thinking, then an answer cut into word-ish tokens, then a tool call."""

from __future__ import annotations

import json
import random

from .model import Script, Step

ANSWER = (
    "Streaming lets a client show each token the moment the model produces it.",
    "The first token waits for the whole prompt to be read, so its delay is the longest one.",
    "After it, tokens follow at the pace of one decoding step each, with a little jitter.",
    "A long silence in the middle of an answer is a stall: a busy batch, a preempted request, a slow tool.",
    "Time to first token tells you about queueing and prefill; the gaps between tokens tell you about decoding.",
    "Tokens per second over the whole answer mixes both, which is why the figures are kept apart.",
    "Every provider frames the same deltas differently, with its own events, fields and usage report.",
    "Watch the gaps in the log: they follow the inter-token knob until the stall arrives.",
)

THINKING = (
    "The user wants to see a streamed answer, so I will explain how token streaming works.",
    "I should mention the first token, the gaps between tokens and what a stall looks like.",
    "Keep it short and concrete.",
    "If the weather is asked for, the get_weather tool can answer that.",
)

CITIES = ("Paris", "Lisbon", "Osaka", "Nairobi", "Montreal", "Tromsø")


def word_tokens(text: str, rng: random.Random) -> list[str]:
    """Word-ish tokens keeping their leading space; some long words split in two, as subword tokens are."""
    tokens: list[str] = []
    for n, word in enumerate(text.split(" ")):
        piece = (" " if n else "") + word
        if len(word) > 7 and rng.random() < 0.5:
            cut = len(piece) - rng.randint(3, len(word) - 3)
            tokens += [piece[:cut], piece[cut:]]
        else:
            tokens.append(piece)
    return tokens


def prose_tokens(sentences: tuple[str, ...], count: int, rng: random.Random) -> list[str]:
    """`count` tokens of `sentences`, starting at a seeded sentence and cycling through them."""
    tokens: list[str] = []
    at = rng.randrange(len(sentences))
    while len(tokens) < count:
        words = word_tokens(sentences[at % len(sentences)], rng)
        if tokens:
            words[0] = " " + words[0]
        tokens += words
        at += 1
    return tokens[:count]


def split_fragments(text: str, rng: random.Random) -> list[str]:
    """`text` cut into fragments of 3 to 9 characters, as a model streams a tool call's arguments."""
    fragments, at = [], 0
    while at < len(text):
        step = rng.randint(3, 9)
        fragments.append(text[at:at + step])
        at += step
    return fragments


def tool_arguments(rng: random.Random) -> str:
    """The arguments JSON text of a get_weather call."""
    return json.dumps({"city": rng.choice(CITIES), "unit": "celsius", "days": rng.randint(1, 5)})


def script(tokens: int = 40, seed: int = 0, thinking: bool = False, tools: bool = False, usage: bool = True) -> Script:
    """A realistic script: thinking steps first (if asked; half as many as the answer's, at least 4),
    then `tokens` answer tokens, then (if asked) one get_weather call whose arguments JSON comes in
    several fragments. The usage it reports (when `usage`) is one token a step."""
    rng = random.Random(seed)
    steps: list[Step] = []
    if thinking:
        steps += [Step("thinking", t) for t in prose_tokens(THINKING, max(4, tokens // 2), rng)]
    steps += [Step("text", t) for t in prose_tokens(ANSWER, tokens, rng)]
    if tools:
        steps += [Step("tool:get_weather", f, call=0) for f in split_fragments(tool_arguments(rng), rng)]
    return Script(tuple(steps), output_tokens=len(steps) if usage else None,
                  stop_reason="tool" if tools else "stop")
