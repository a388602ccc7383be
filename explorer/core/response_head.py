"""`Head`: a response head as sent, whichever client read it.

Its own module so that the aiohttp client and the redirect rules can use it
without the wire-level client (and h11) that only wire mode needs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Head:
    """A response head as sent: status line and headers (names as the server spelled them)."""

    status: int
    reason: str
    http_version: str
    headers: list[tuple[str, str]]
    t: float  # seconds since the request, when the read that completed it returned
