"""Turning every stream failure into one human sentence and a short stable type."""

from __future__ import annotations

import re
import ssl
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import aiohttp
    import aiohttp.http_exceptions
    import websockets.exceptions as ws  # noqa: F401 (the names `_describe` checks against, for mypy)
    from websockets.exceptions import ConnectionClosedError


class ReadTimeout(TimeoutError):
    """No bytes within the idle timeout on the wire-level client (reported like aiohttp's read timeout)."""


class StreamError(Exception):
    """A failure a read mode detected itself (invalid JSON, zlib, an over-long line...)."""

    def __init__(self, type: str, message: str) -> None:
        super().__init__(message)
        self.type = type
        self.message = message


CLOSE_CODE_NAMES = {
    1002: "protocol error",
    1003: "unsupported data",
    1006: "connection lost without a close frame",
    1007: "invalid payload data",
    1008: "policy violation",
    1009: "message too big",
    1010: "mandatory extension",
    1011: "internal server error",
    1012: "service restart",
    1013: "try again later",
    1014: "bad gateway",
    1015: "TLS handshake failure",
}


def _first_line(text: str) -> str:
    return " ".join(text.strip().split("\n")[0].split()) or "no detail"


def host_port(host: str, port: int | None) -> str:
    """`host:port`, with an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _host(exc: aiohttp.ClientConnectorError) -> str:
    return host_port(exc.host, exc.port)


class _NotLoaded:
    """Stands for a library nothing imported: no exception can be one of its classes.

    Each name is `()`, and `isinstance(exc, ())` is False, so `describe` keeps
    one chain in one order without importing aiohttp (340 ms) to classify a
    WebSocket failure, or websockets for an HTTP one.
    """

    def __getattr__(self, name: str) -> Any:
        return ()


_NOT_LOADED = _NotLoaded()


def _loaded(module: str) -> Any:
    """The module if something imported it, else `_NOT_LOADED`."""
    return sys.modules.get(module) or _NOT_LOADED


def describe(exc: BaseException, *, idle_timeout: float | None, connect_timeout: float | None,
             received: bool, headers: bool = False, host: str = "") -> tuple[str, str]:
    """(type, message) for an exception raised while opening or reading a stream: one clean sentence."""
    kind, message = _describe(exc, idle_timeout=idle_timeout, connect_timeout=connect_timeout, received=received,
                              headers=headers, host=host)
    return kind, _SENTENCE_END.sub(".", message)


# A sentence built from a library's message can end in its own punctuation ("...:" + ".").
_SENTENCE_END = re.compile(r"[\s:;,.]*\.$")


def _describe(exc: BaseException, *, idle_timeout: float | None, connect_timeout: float | None,
              received: bool, headers: bool = False, host: str = "") -> tuple[str, str]:
    """(type, message) for an exception raised while opening or reading a stream.

    `received` says whether any data record arrived and `headers` whether the
    response headers did, which separates a server that never answered from
    one that went quiet.
    """
    if isinstance(exc, StreamError):
        return exc.type, exc.message
    if not TYPE_CHECKING:  # mypy checks the chain against the real classes (the imports above)
        aiohttp, ws = _loaded("aiohttp"), _loaded("websockets.exceptions")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "dns", f"Could not resolve host '{exc.host}': {exc.os_error.strerror or exc.os_error}."
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        cert = exc.certificate_error
        reason = getattr(cert, "verify_message", None) or getattr(cert, "reason", None) or str(cert)
        return "tls", f"The TLS certificate of {exc.host} was rejected: {reason}."
    if isinstance(exc, ssl.SSLCertVerificationError):  # websockets raises it as is
        reason = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or str(exc)
        return "tls", f"The TLS certificate of {host or 'the server'} was rejected: {reason}."
    if isinstance(exc, (aiohttp.ClientSSLError, ssl.SSLError)):
        host = f" with {_host(exc)}" if isinstance(exc, aiohttp.ClientConnectorError) else ""
        return "tls", f"The TLS handshake{host} failed: {_first_line(str(getattr(exc, 'os_error', exc)))}."
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ConnectionRefusedError):
            return "connection_refused", f"Connection refused by {_host(exc)}: nothing is listening there."
        return "connect", f"Could not connect to {_host(exc)}: {exc.os_error.strerror or exc.os_error}."
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return "connect_timeout", f"Could not connect within the {connect_timeout:g} s connect timeout."
    if isinstance(exc, (aiohttp.SocketTimeoutError, ReadTimeout)):
        if not headers:
            return "ttfb_timeout", f"No response within the {idle_timeout:g} s idle timeout after sending the request."
        if not received:
            return "ttfb_timeout", f"The server sent headers, then no data within the {idle_timeout:g} s idle timeout."
        return "idle_timeout", f"The stream went silent for longer than the {idle_timeout:g} s idle timeout."
    if isinstance(exc, aiohttp.ClientPayloadError):
        cause = exc.__cause__
        text = str(exc)
        if "ConnectionResetError" in text:
            return "reset", "The server reset the connection in the middle of the body."
        if isinstance(cause, aiohttp.http_exceptions.ContentLengthError):
            return "truncated", f"The body ended early: {_first_line(cause.message)}"
        if isinstance(cause, aiohttp.http_exceptions.TransferEncodingError):
            return "truncated", "The chunked body was cut short: the connection closed before the last chunk."
        return "bad_body", f"The response body could not be read: {_first_line(str(cause or exc))}."
    if isinstance(exc, aiohttp.ClientResponseError) and isinstance(exc.__cause__,
                                                                  aiohttp.http_exceptions.HttpProcessingError):
        return "bad_framing", f"The server sent malformed HTTP: {_first_line(exc.message)}."
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "disconnected", "The server closed the connection without a complete response."
    if isinstance(exc, ConnectionResetError) or (
        isinstance(exc, aiohttp.ClientOSError) and isinstance(exc.__cause__ or exc, ConnectionResetError)
    ):
        return "reset", "The server reset the connection."
    if isinstance(exc, aiohttp.TooManyRedirects):
        return "redirects", "Too many redirects."
    if isinstance(exc, aiohttp.InvalidURL):
        return "invalid_url", f"Not a usable URL: {exc}."
    if isinstance(exc, ws.InvalidStatus):
        status = exc.response.status_code
        reason = f" {exc.response.reason_phrase}" if exc.response.reason_phrase else ""
        return "ws_handshake", f"The WebSocket handshake was refused: the server answered HTTP {status}{reason}."
    if isinstance(exc, ws.ConnectionClosedError):
        return ws_close_error(exc)
    if isinstance(exc, ws.InvalidURI):
        return "invalid_url", f"Not a usable WebSocket URL: {without_credentials(exc.uri)}."
    if isinstance(exc, ws.InvalidMessage):
        if isinstance(exc.__cause__, EOFError):
            return "ws_handshake", "The server closed the connection before answering the WebSocket handshake."
        detail = _first_line(str(exc.__cause__ or exc))
        return "ws_handshake", f"The server's answer to the WebSocket handshake is not valid HTTP: {detail}."
    if isinstance(exc, ws.InvalidHandshake):
        return "ws_handshake", f"The WebSocket handshake failed: {_first_line(str(exc))}."
    if isinstance(exc, TimeoutError):
        return "timeout", "The operation timed out."
    if isinstance(exc, OSError):
        return "network", f"Network error: {exc.strerror or exc}."
    if isinstance(exc, aiohttp.ClientError):
        return "http", f"HTTP client error: {_first_line(str(exc))}."
    return "internal", f"Unexpected {exc.__class__.__name__}: {_first_line(str(exc))}."


# What a websockets ProtocolError means, in words about the server.
WS_VIOLATIONS = {
    "incorrect masking": "it masked a frame, which only clients may do",
    "control frame too long": "it sent a control frame longer than 125 bytes",
    "fragmented control frame": "it sent a fragmented control frame",
    "reserved bits must be 0": "it set reserved bits that no extension negotiated",
    "invalid opcode": "it sent a frame with an unknown opcode",
    "unexpected continuation frame": "it sent a continuation frame outside a fragmented message",
    "expected a continuation frame": "it began a new message before finishing a fragmented one",
    "incomplete fragmented message": "it closed in the middle of a fragmented message",
    "close frame too short": "it sent a close frame too short to hold a close code",
    "invalid status code": "it sent a close frame with an invalid close code",
    "decompression failed": "a compressed message did not decompress",
    "RSV1 bit set in continuation frame": "it set the compression bit on a continuation frame",
}
WS_OK_CODES = (1000, 1001)


def ws_close_error(exc: ConnectionClosedError) -> tuple[str, str]:
    """A WebSocket closed abnormally: by explorer, for what the server sent, or by the server, or not at all.

    websockets keeps the close frame it sent in `sent` and what made it send
    one in `__cause__`: a close explorer sent because of the server is
    reported for that cause, not as a lost connection.
    """
    from websockets.exceptions import PayloadTooBig, ProtocolError, TooManyFragments

    sent, rcvd, cause = exc.sent, exc.rcvd, exc.__cause__
    if sent is not None and isinstance(cause, (ProtocolError, UnicodeDecodeError, PayloadTooBig, TooManyFragments)):
        return _ws_refused(sent.code, cause)
    server_first = rcvd is not None and (sent is None or exc.rcvd_then_sent)
    if sent is not None and sent.code not in WS_OK_CODES and not server_first:
        return "ws_closed", f"The WebSocket was closed by explorer with code {_ws_code(sent.code, sent.reason)}."
    if rcvd is None:
        if isinstance(cause, ConnectionResetError):
            return "ws_closed", "The server reset the connection without a WebSocket close frame (code 1006)."
        return "ws_closed", "The WebSocket connection was lost without a close frame (code 1006)."
    return "ws_closed", f"The server closed the WebSocket with code {_ws_code(rcvd.code, rcvd.reason)}."


def _ws_code(code: int, reason: str) -> str:
    """`1011 (internal server error): the reason`."""
    meaning = CLOSE_CODE_NAMES.get(code, "application-defined")
    text = _first_line(reason).rstrip(".") if reason.strip() else ""
    return f"{code} ({meaning}): {text}" if text else f"{code} ({meaning})"


def _ws_refused(code: int, cause: BaseException) -> tuple[str, str]:
    """explorer closed the WebSocket because of what the server sent: the cause in words."""
    from websockets.asyncio.messages import MAX_FRAGMENTS
    from websockets.exceptions import PayloadTooBig, TooManyFragments

    closed = f"so explorer closed the connection with code {_ws_code(code, '')}"
    if isinstance(cause, PayloadTooBig):
        cap = getattr(cause, "max_size", None)  # websockets' deprecated text-only form has none
        limit = "the message cap" if cap is None else f"the {cap:,} byte message cap"
        size = getattr(cause, "size", None)  # the frame's size; None when a compressed message outgrew the cap
        seen = "" if size is None else f" of at least {size + (cause.current_size or 0):,} bytes"
        return "ws_too_big", (f"A WebSocket message{seen} was larger than {limit}, {closed}; "
                              "raise the cap with --max-message.")
    if isinstance(cause, TooManyFragments):
        return "ws_too_big", (f"A WebSocket message came in more than {MAX_FRAGMENTS:,} fragments, the most websockets "
                              f"reassembles, {closed}; the WEBSOCKETS_MAX_FRAGMENTS environment variable raises it.")
    if isinstance(cause, UnicodeDecodeError):
        return "ws_invalid_utf8", (f"The server sent text that is not valid UTF-8 ({cause.reason} at byte "
                                   f"{cause.start}), {closed}.")
    detail = str(cause)
    words = WS_VIOLATIONS.get(detail, _first_line(detail))
    return "ws_protocol", f"The server broke the WebSocket protocol ({words}), {closed}."


def without_credentials(url: str) -> str:
    """A URL as shown: any user and password taken out (a relative URL has none)."""
    from yarl import URL

    try:
        parsed = URL(url)
        return str(parsed.with_user(None)) if parsed.absolute else url
    except (ValueError, TypeError):
        return "an unusable address"


def connect_failure(host: str, port: int, error: OSError) -> StreamError:
    """The sentence for a connection that could not be made."""
    where = host_port(host, port)
    if isinstance(error, ConnectionRefusedError):
        return StreamError("connection_refused", f"Connection refused by {where}: nothing is listening there.")
    return StreamError("connect", f"Could not connect to {where}: {error.strerror or error}.")


def header_cap_error(cap: int, what: str = "The response headers") -> StreamError:
    """The response head (or `what` else the header cap holds: trailers, a framing line) passed the cap."""
    return StreamError("header_too_large", f"{what} passed the {cap:,} byte header cap "
                                           "(raise it with --max-header-size).")


TRAILERS = "The trailers after the body"
