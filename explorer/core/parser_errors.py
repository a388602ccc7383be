"""Make malformed framing in the middle of a body fail the read instead of hanging it.

With aiohttp's C parser (3.14), an HTTP parse error that happens after the
headers (say a chunk size of `ZZ`) is set on the connection's protocol but
never on the response's payload stream, so `iter_any()` waits forever. We
forward that error to the payload as a `StreamError`, for this one response.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from .errors import StreamError


def _reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
    return " ".join(str(message).split())


def forward_parser_errors(resp: aiohttp.ClientResponse) -> None:
    """Route protocol-level parse errors of `resp`'s connection to `resp.content`."""
    connection = resp.connection
    protocol = connection.protocol if connection is not None else None
    if protocol is None:
        return
    original = protocol.set_exception

    def set_exception(exc: BaseException, *args: Any) -> None:
        original(exc, *args)
        if (
            isinstance(exc, aiohttp.http_exceptions.HttpProcessingError)
            and resp.content.exception() is None
            and not resp.content.is_eof()
        ):
            cause = args[0] if args and isinstance(args[0], BaseException) else exc
            resp.content.set_exception(
                StreamError("bad_framing", f"The server sent malformed HTTP in the body: {_reason(cause)}.")
            )

    protocol.set_exception = set_exception  # type: ignore[method-assign,assignment]
