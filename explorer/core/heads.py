"""The request that went out and the heads that came back, as sanitized lines of text.

One rendering for `explorer get -v` (which prefixes `>` and `<` as curl does)
and the app's Request tab. The request is shown as the engine recorded it:
`${NAME}` values written as their references and credentials masked
(see secrets.py).
"""

from __future__ import annotations

from .format import fmt_bytes
from .record import Record, SentRequest
from .sanitize import sanitize

NAME_LIMIT, VALUE_LIMIT = 100, 1000


def request_target(url: str) -> str:
    """The request line's target: path and query (the whole URL when it cannot be parsed)."""
    from yarl import URL  # here, not above: the app's process loads it only once it shows a request

    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return url
    return parsed.raw_path_qs or "/"


def request_lines(sent: SentRequest) -> list[str]:
    """Request line, then `Name: value` per header, sanitized."""
    lines = [sanitize(f"{sent.method} {request_target(sent.url)} HTTP/1.1", VALUE_LIMIT)]
    lines += [f"{sanitize(name, NAME_LIMIT)}: {sanitize(value, VALUE_LIMIT)}" for name, value in sent.headers]
    return lines


def request_notes(sent: SentRequest) -> list[str]:
    """What the lines do not say: the URL, the route and the body's size."""
    notes = [f"URL {sanitize(sent.url, VALUE_LIMIT)}", sanitize(sent.route, VALUE_LIMIT)]
    if sent.body_size is not None:
        notes.append(f"body {fmt_bytes(sent.body_size)}")
    return notes


def response_lines(record: Record) -> list[str]:
    """Status line, then `Name: value` per header, sanitized."""
    response = record.response
    lines = [sanitize(f"HTTP/{response.http_version} {response.status} {response.reason}", VALUE_LIMIT)]
    lines += [f"{sanitize(name, NAME_LIMIT)}: {sanitize(value, VALUE_LIMIT)}"
              for name, value in response.headers.items()]
    return lines


def verbose_text(record: Record) -> str:
    """`get -v`'s lines for one response, redirect or 1xx record: `*` notes, `>` request, `<` response."""
    sent = record.response.request
    lines: list[str] = []
    if sent is not None:
        lines += [f"* {note}" for note in request_notes(sent)]
        lines += [f"> {line}" for line in request_lines(sent)] + [">"]
    lines += [f"< {line}" for line in response_lines(record)] + ["<"]
    return "\n".join(lines) + "\n"
