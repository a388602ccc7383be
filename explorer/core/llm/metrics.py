"""The serving metrics of one LLM stream, computed in one place from its token records.

The definitions are those of serving benchmarks (vLLM's `bench serve`,
GuideLLM), for the one request in front of us:

- TTFT: from the request sent to the first token's arrival.
- ITL: the gap between consecutive tokens (tokens that arrived in one read have gap 0).
- E2E: from the request sent to the response's last byte.
- TPOT: (E2E - TTFT) / (tokens - 1), the mean time per output token after the first.
- tokens/s: output tokens / E2E.

Output tokens are the provider's count when its usage report says so, else
the deltas counted (then the figures say "deltas, not tokens"). A gap between
tokens that passes the stall rule (timing.py) is a token stall. Memory is
fixed: ITL percentiles come from `GapStats` (within 1%, the maximum exact), and
each channel's text is kept up to a cap with its full length counted.

The engine's stage makes token records with `token()`; a consumer that
receives them (the app, compare) keeps its own meter with `add()`.
"""

from __future__ import annotations

from ..record import Flag, Kind, LlmSummary, Record, Token
from ..request import DEFAULT_MAX_VALUE, STALL_SECONDS
from ..timing import TimingStage


def _rounded(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


class LlmMeter:
    """TTFT, ITL, TPOT, E2E and tokens/s of one LLM stream, and its assembled answer.

    `usage_tokens`, `model` and `stop_reason` are what the provider reported
    (the engine's stage sets them; a consumer reads them from the end record).
    """

    def __init__(self, shape: str, stall_seconds: float = STALL_SECONDS, text_cap: int = DEFAULT_MAX_VALUE) -> None:
        self.shape = shape
        self.timing = TimingStage(stall_seconds)
        self.text_cap = text_cap
        self.first: float | None = None
        self.last = 0.0
        self.deltas = 0
        self._text: list[str] = []
        self._text_kept = 0
        self.text_length = 0
        self.usage_tokens: int | None = None
        self.model: str | None = None
        self.stop_reason: str | None = None

    def token(self, t: float, token: Token) -> Record:
        """The token record of a delta that arrived at `t`: its seq, its gap since the last token, a stall mark."""
        seq = self.deltas
        if not seq:
            token = Token(token.text, token.channel, token.call, self.shape)
        gap = t - (self.last if seq else 0.0)
        flags = int(self.timing.note(gap, seq))
        record = Record(Kind.TOKEN, seq, t, gap, 0, None, token, flags)
        self._account(record)
        return record

    def add(self, record: Record) -> None:
        """Account for a token record the engine made (its stall mark as it says; the first names the shape)."""
        if record.token.shape and not self.shape:
            self.shape = record.token.shape
        self.timing.judged(record.gap, record.seq, bool(record.flags & Flag.STALL))
        self._account(record)

    def _account(self, record: Record) -> None:
        if self.first is None:
            self.first = record.t
        self.last = record.t
        self.deltas += 1
        token = record.token
        if token.channel == "text":
            text = token.text
            self.text_length += len(text)
            room = self.text_cap - self._text_kept
            if room > 0:
                kept = text[:room]
                self._text.append(kept)
                self._text_kept += len(kept)

    @property
    def text(self) -> str:
        """The answer so far (text channel), up to the cap."""
        if len(self._text) > 1:
            self._text[:] = ["".join(self._text)]
        return self._text[0] if self._text else ""

    @property
    def tokens(self) -> int:
        return self.usage_tokens if self.usage_tokens is not None else self.deltas

    def summary(self, e2e: float | None = None) -> LlmSummary:
        """The figures now: `e2e` is the response's last byte when the stream is over; mid-stream, the
        newest token stands in for it."""
        if e2e is None and self.first is not None:
            e2e = self.last
        tokens, ttft = self.tokens, self.first
        stats = self.timing.summary(self.deltas)
        tpot = (e2e - ttft) / (tokens - 1) if e2e is not None and ttft is not None and tokens > 1 else None
        per_second = tokens / e2e if e2e and tokens else None
        return LlmSummary(
            shape=self.shape, ttft=_rounded(ttft),
            itl_p50=stats.gap_p50, itl_p90=stats.gap_p90, itl_p99=stats.gap_p99, itl_max=stats.gap_max,
            tpot=_rounded(tpot), e2e=_rounded(e2e), tokens=tokens,
            tokens_source="usage" if self.usage_tokens is not None else "deltas",
            tokens_per_s=None if per_second is None else round(per_second, 3),
            deltas=self.deltas, stalls=stats.stalls, text=self.text, text_length=self.text_length,
            model=self.model, stop_reason=self.stop_reason)
