"""The LLM side of a stream on screen: its token records and its serving figures, live.

The engine puts a token record right after the record it came from. A session
sees every record of every batch (even those its log's ring will push out),
so a meter fed here counts every token: TTFT, ITL, tokens/s while the stream
runs. Once it ended, the end record's `summary.llm` is the word (it has the
provider's usage count and E2E at the last byte).

A stream that is no LLM stream pays one scan of each batch in C (`in` over a
map), not a Python loop per record.
"""

from __future__ import annotations

from operator import attrgetter

from ..core import Kind, Record
from ..core.llm.metrics import LlmMeter
from ..core.record import LlmSummary, Summary
from ..core.request import STALL_SECONDS

_KIND = attrgetter("kind")


class LlmWatch:
    """One run's token records: those of the last take (for the transcript) and a meter over all of them."""

    def __init__(self, stall_seconds: float = STALL_SECONDS) -> None:
        self.stall_seconds = stall_seconds
        self.meter: LlmMeter | None = None
        self.tokens: list[Record] = []
        """The token records of the last take, in order."""

    @property
    def active(self) -> bool:
        """Whether a token arrived in this run."""
        return self.meter is not None

    def take(self, records: list[Record]) -> None:
        """Note the token records of a batch (the meter counts them); `tokens` holds them until the next take."""
        if self.meter is None and Kind.TOKEN not in map(_KIND, records):
            self.tokens = []
            return
        tokens = [record for record in records if record.kind is Kind.TOKEN]
        if tokens and self.meter is None:
            self.meter = LlmMeter("", self.stall_seconds, text_cap=0)  # the first token names the shape
        meter = self.meter
        assert meter is not None
        for token in tokens:
            meter.add(token)
        self.tokens = tokens

    def summary(self, final: Record | None) -> LlmSummary | None:
        """The figures: the end (or error) record's once the stream is over, else the meter's so far."""
        if final is not None and isinstance(final.value, Summary) and final.value.llm is not None:
            return final.value.llm
        if self.meter is None:
            return None
        return self.meter.summary()

