"""The one sanitizer: stream bytes to display text that is safe in a terminal.

Every byte a stream sends is untrusted. This turns it into text in which C0
and C1 controls, ESC, DEL, bidi overrides and line separators are visible
stand-ins, so nothing can move the cursor, set the title, reorder text or
hide itself; a lone surrogate becomes `\\udXXX` text, so the result can
always be encoded. The result is plain text: widgets must still build `Text` /
`Content` from it, never markup.
"""

from __future__ import annotations

PREVIEW_LENGTH = 200

_TABLE: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}  # ␀ .. ␟
_TABLE.update({0x09: "→", 0x0A: "↵", 0x0D: "␍", 0x1B: "␛", 0x7F: "␡"})
_TABLE.update({code: f"\\x{code:02x}" for code in range(0x80, 0xA0)})  # C1 controls
for _code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A),
              0x2028, 0x2029, 0xFEFF, 0x200B, 0x2060):
    _TABLE[_code] = f"\\u{_code:04x}"
# Lone surrogates (a str from surrogateescape, a file name from argv): no encoder takes them, so they would
# crash the write that meets them. Shown as escape text like the characters above.
_TABLE.update({code: f"\\u{code:04x}" for code in range(0xD800, 0xE000)})


def sanitize(data: bytes | str | None, limit: int | None = PREVIEW_LENGTH) -> str:
    """Decode (invalid UTF-8 becomes U+FFFD), neutralise controls, and cut to `limit` characters."""
    if data is None:
        return ""
    if type(data) is bytes and data.isascii():  # the common case, fast: printable ASCII needs no stand-in
        head = data[:limit] if limit is not None and len(data) > limit else data
        text = head.decode("ascii")
        if text.isprintable():
            return text if head is data else text + "…"
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data[: limit * 4 + 4]) if limit is not None else bytes(data)
        text = raw.decode("utf-8", "replace")
    else:
        text = data
    cut = limit is not None and len(text) > limit
    if cut:
        text = text[:limit]
    if not text.isprintable():  # every character of the table is unprintable: printable text needs no look-up
        text = text.translate(_TABLE)
    if limit is not None and (cut or (isinstance(data, (bytes, bytearray)) and len(data) > limit * 4 + 4)):
        text = text[:limit] + "…"
    return text


_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


def sanitize_all(payloads: list[bytes], limit: int = PREVIEW_LENGTH) -> list[str]:
    """`sanitize` of each payload; printable ASCII that needs no cut (the usual lines of one read) is decoded
    in one go."""
    if (max(map(len, payloads), default=0) <= limit
            and not b"".join(payloads).translate(None, _PRINTABLE_ASCII)):  # nothing left: all printable ASCII
        return b"\0".join(payloads).decode("ascii").split("\0")  # NUL is unprintable: it parts them
    return [sanitize(payload, limit) for payload in payloads]
