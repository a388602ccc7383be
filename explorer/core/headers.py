"""Header text from the wire, and lookup by name in any case (uvicorn and hypercorn send lower-case names).

HTTP/1.1 header fields and the reason phrase are bytes: above 0x7F, opaque
obs-text, historically ISO-8859-1 (RFC 9110, 5.5). `wire_text` reads them as
latin-1 for both clients, as h11 and websockets do: every byte becomes one
character, so nothing a server sends is lost or turns into a lone surrogate,
and C1 bytes stay C1 controls that `sanitize` and the JSONL writer escape.
(A server that sent UTF-8 shows as its bytes, e.g. `Ã©` for `é`.)
"""

from __future__ import annotations

from typing import Iterable


def wire_text(raw: bytes | bytearray | str) -> str:
    """Header or reason bytes as text, one character per byte (latin-1).

    aiohttp hands the reason phrase over already decoded as UTF-8 with
    surrogateescape; such a str is turned back into the bytes sent first.
    """
    if isinstance(raw, str):
        try:
            return raw.encode("utf-8", "surrogateescape").decode("latin-1")
        except UnicodeEncodeError:  # a surrogate no decoder made: keep it visible as `\udXXX`
            return raw.encode("utf-8", "backslashreplace").decode("latin-1")
    return bytes(raw).decode("latin-1")


def header_values(headers: Iterable[tuple[str, str]], name: str) -> list[str]:
    """Every value sent under `name`, in order."""
    lowered = name.lower()
    return [value for key, value in headers if key.lower() == lowered]


def header_value(headers: Iterable[tuple[str, str]], name: str) -> str:
    """The first value sent under `name`, "" when there is none."""
    lowered = name.lower()
    return next((value for key, value in headers if key.lower() == lowered), "")
