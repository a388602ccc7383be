"""Query parameters of demo endpoints: declared once, capped, and validated.

Each endpoint declares its knobs as `Param`s. The same declarations feed the
catalog (`params` with `default` and `max`) and the request parser, so the
limits a person reads are the limits the server enforces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping


class ParamError(ValueError):
    """A query parameter is malformed or outside its limit (becomes HTTP 400)."""


@dataclass(frozen=True)
class Param:
    """One numeric knob of an endpoint, with its default and its cap."""

    name: str
    default: float
    max: float
    min: float = 0
    integer: bool = True
    help: str = ""
    exclude: tuple[float, ...] = ()  # values inside the range that are refused all the same

    def parse(self, raw: str | None) -> float:
        """Return the value of `raw` (the default when absent), or raise ParamError."""
        if raw is None or raw == "":
            return self.default
        kind = "a whole number" if self.integer else "a number"
        try:
            value: float = int(raw) if self.integer else float(raw)
        except ValueError:
            raise ParamError(f"Parameter '{self.name}' must be {kind} {self._allowed()}, not {raw[:40]!r}.") from None
        if not math.isfinite(value) or value < self.min or value > self.max or value in self.exclude:
            raise ParamError(
                f"Parameter '{self.name}' must be {self._allowed()} (limit {_fmt(self.max)}), got {raw[:40]}."
            )
        return value

    def _allowed(self) -> str:
        allowed = f"between {_fmt(self.min)} and {_fmt(self.max)}"
        if self.exclude:
            allowed += " except " + " and ".join(_fmt(v) for v in self.exclude)
        return allowed

    def describe(self) -> dict[str, float | str | list[float]]:
        """The catalog's view of this parameter."""
        info: dict[str, float | str | list[float]] = {"default": self.default, "max": self.max}
        if self.min:
            info["min"] = self.min
        if self.exclude:
            info["exclude"] = list(self.exclude)
        if self.help:
            info["help"] = self.help
        return info


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def parse_all(params: tuple[Param, ...], sources: Mapping[str, str]) -> dict[str, float]:
    """Parse every declared parameter from `sources` (path and query values)."""
    return {p.name: p.parse(sources.get(p.name)) for p in params}


# Shared knobs, so the same name means the same cap everywhere.
def count(default: int, max: int = 10_000) -> Param:
    return Param("count", default, max, help="number of items")


def interval(default: float, max: float = 30.0) -> Param:
    return Param("interval", default, max, integer=False, help="seconds between items")


def jitter(default: float = 0.0, max: float = 10.0) -> Param:
    return Param("jitter", default, max, integer=False, help="random extra seconds, 0..jitter")


def seed(default: int = 42) -> Param:
    return Param("seed", default, 2**31 - 1, help="random seed")
